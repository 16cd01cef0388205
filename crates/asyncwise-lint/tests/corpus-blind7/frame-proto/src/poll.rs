//! Idle handling with `tokio::time::timeout` instead of `select!`.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::timeout;

use crate::Frame;

const IDLE: Duration = Duration::from_secs(30);

/// Sends a ping whenever the peer is idle, then waits for the header again.
pub async fn read_with_keepalive(mut stream: TcpStream, events: mpsc::Sender<Frame>) -> std::io::Result<()> {
    let mut header = [0u8; 4];
    loop {
        match timeout(IDLE, stream.read_exact(&mut header)).await { //~? select_cancel_unsafe
            Ok(res) => {
                res?;
                let mut body = vec![0u8; u32::from_be_bytes(header) as usize];
                stream.read_exact(&mut body).await?;
                let _ = events.send(Frame::decode(&body)?).await;
            }
            Err(_elapsed) => stream.write_all(b"\x00\x00\x00\x01\x09").await?,
        }
    }
}

/// An idle peer is dropped: the loop ends on the first timeout.
pub async fn read_until_idle(mut stream: TcpStream, events: mpsc::Sender<Frame>) -> std::io::Result<()> {
    let mut header = [0u8; 4];
    loop {
        let Ok(res) = timeout(IDLE, stream.read_exact(&mut header)).await else {
            tracing::info!("peer idle, closing");
            return Ok(());
        };
        res?;
        let mut body = vec![0u8; u32::from_be_bytes(header) as usize];
        stream.read_exact(&mut body).await?;
        let _ = events.send(Frame::decode(&body)?).await;
    }
}

/// The greeting has a deadline; it is read once.
pub async fn read_greeting(stream: &mut TcpStream) -> std::io::Result<u32> {
    let version = timeout(Duration::from_secs(5), stream.read_u32())
        .await
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
    Ok(version)
}

/// Waits for work with a timeout that only logs; `recv` loses nothing when it times out.
pub async fn drain(mut jobs: mpsc::Receiver<Frame>, done: mpsc::Sender<u8>) {
    loop {
        match timeout(IDLE, jobs.recv()).await {
            Ok(Some(frame)) => {
                if done.send(frame.kind).await.is_err() {
                    return;
                }
            }
            Ok(None) => return,
            Err(_) => tracing::debug!("no jobs for 30s"),
        }
    }
}
