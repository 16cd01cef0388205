use std::io;
use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::time::timeout;
use tokio_util::codec::{Framed, LinesCodec};

use crate::store::Store;

/// Serves one client: one command per line, a PING every 30 s of silence.
pub async fn serve(socket: TcpStream, store: Arc<Store>) -> anyhow::Result<()> {
    let (rd, mut wr) = socket.into_split();
    let mut reader = BufReader::new(rd);
    let mut line = String::new();
    let mut ping = tokio::time::interval(Duration::from_secs(30));
    loop {
        tokio::select! {
            n = reader.read_line(&mut line) => { //~ select_cancel_unsafe
                if n? == 0 {
                    break;
                }
                let reply = handle(&store, line.trim()).await;
                wr.write_all(reply.as_bytes()).await?;
                line.clear();
            }
            _ = ping.tick() => {
                wr.write_all(b"PING\r\n").await?;
            }
        }
    }
    Ok(())
}

/// The framed variant: `LinesCodec`'s `next()` keeps partial lines in the codec's buffer,
/// so racing it against the ticker loses nothing.
pub async fn serve_framed(socket: TcpStream, store: Arc<Store>) -> anyhow::Result<()> {
    let mut framed = Framed::new(socket, LinesCodec::new_with_max_length(64 * 1024));
    let mut ping = tokio::time::interval(Duration::from_secs(30));
    loop {
        tokio::select! {
            line = framed.next() => {
                let Some(line) = line else { break };
                let reply = handle(&store, line?.trim()).await;
                framed.send(reply).await?;
            }
            _ = ping.tick() => framed.send("PING".to_string()).await?,
        }
    }
    Ok(())
}

pub async fn handle(store: &Store, line: &str) -> String {
    let mut parts = line.splitn(3, ' ');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("GET"), Some(k), None) => store.get(k).unwrap_or_else(|| "NIL".into()) + "\r\n",
        (Some("SET"), Some(k), Some(v)) => {
            store.set(k, v).await;
            "OK\r\n".into()
        }
        _ => "ERR unknown command\r\n".into(),
    }
}

/// Length-prefixed frames from a replica; an idle replica is logged and waited for again.
pub async fn read_frames(mut stream: TcpStream, tx: mpsc::Sender<Vec<u8>>) -> io::Result<()> {
    let mut header = [0u8; 4];
    loop {
        match timeout(Duration::from_secs(5), stream.read_exact(&mut header)).await { //~ select_cancel_unsafe
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(e),
            Err(_) => {
                tracing::debug!("replica idle");
                continue;
            }
        }
        let len = u32::from_be_bytes(header) as usize;
        let mut body = vec![0; len];
        stream.read_exact(&mut body).await?;
        if tx.send(body).await.is_err() {
            break;
        }
    }
    Ok(())
}

/// The strict variant: a frame header that does not arrive in time ends the session.
pub async fn read_frames_strict(mut stream: TcpStream, tx: mpsc::Sender<Vec<u8>>) -> io::Result<()> {
    let mut header = [0u8; 4];
    loop {
        timeout(Duration::from_secs(5), stream.read_exact(&mut header)).await??;
        let mut body = vec![0; u32::from_be_bytes(header) as usize];
        stream.read_exact(&mut body).await?;
        if tx.send(body).await.is_err() {
            return Ok(());
        }
    }
}

async fn read_frame(rd: &mut OwnedReadHalf) -> io::Result<Vec<u8>> {
    let len = rd.read_u32().await?;
    let mut body = vec![0; len as usize];
    rd.read_exact(&mut body).await?;
    Ok(body)
}

/// Reads frames from one half while the other half is kept alive by heartbeats.
pub async fn pump(socket: TcpStream, tx: mpsc::Sender<Vec<u8>>) -> io::Result<()> {
    let (mut rd, mut wr) = socket.into_split();
    let mut beat = tokio::time::interval(Duration::from_secs(10));
    loop {
        tokio::select! {
            frame = read_frame(&mut rd) => { //~ select_cancel_unsafe
                let _ = tx.send(frame?).await;
            }
            _ = beat.tick() => {
                wr.write_all(b"\0\0\0\0").await?;
            }
        }
    }
}

/// Reads one 8-byte header unless shutdown comes first; the read is made once and polled by
/// reference, so a shutdown signal that is not final loses no bytes.
pub async fn read_header_or_shutdown(
    stream: &mut TcpStream,
    header: &mut [u8; 8],
    mut shutdown: watch::Receiver<bool>,
) -> io::Result<bool> {
    let read = stream.read_exact(header);
    tokio::pin!(read);
    loop {
        tokio::select! {
            r = &mut read => {
                r?;
                return Ok(true);
            }
            _ = shutdown.changed() => {
                if *shutdown.borrow() {
                    return Ok(false);
                }
            }
        }
    }
}
