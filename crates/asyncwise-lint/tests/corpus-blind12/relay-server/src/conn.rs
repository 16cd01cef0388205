use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::{interval, timeout};

use crate::hub::Hub;
use crate::protocol::{self, next_outgoing, read_frame, write_frame};

const IDLE: Duration = Duration::from_secs(30);

pub async fn serve(socket: TcpStream, hub: Arc<Hub>) -> anyhow::Result<()> {
    hub.connections.fetch_add(1, Ordering::Relaxed);
    let result = pump(socket, &hub).await;
    hub.connections.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await(pedantic)
    result
}

async fn pump(socket: TcpStream, hub: &Hub) -> anyhow::Result<()> {
    let (mut rd, mut wr) = socket.into_split();
    let hello = read_frame(&mut rd).await?;
    let room = String::from_utf8_lossy(&hello).into_owned();

    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Bytes>(); //~ unbounded_channel
    hub.subscribe(&room, out_tx);

    let mut ping = interval(IDLE);
    loop {
        tokio::select! {
            frame = read_frame(&mut rd) => { //~ select_cancel_unsafe
                let frame = frame?;
                hub.publish(&room, frame).await;
            }
            out = next_outgoing(&mut out_rx) => {
                let Some(out) = out else { break };
                write_frame(&mut wr, &out).await?;
            }
            _ = ping.tick() => {
                write_frame(&mut wr, b"").await?;
            }
        }
    }
    Ok(())
}

/// Version 2 clients: the frame reader is one long-lived future per connection.
pub async fn serve_v2(socket: TcpStream, hub: Arc<Hub>) -> anyhow::Result<()> {
    let _online = hub.track_online();
    let (rd, mut wr) = socket.into_split();
    let mut frames = tokio_util::codec::FramedRead::new(rd, tokio_util::codec::LengthDelimitedCodec::new());
    let (out_tx, mut out_rx) = mpsc::channel::<Bytes>(256);
    hub.subscribe_bounded("lobby", out_tx);
    loop {
        tokio::select! {
            frame = futures::StreamExt::next(&mut frames) => {
                match frame {
                    Some(Ok(frame)) => hub.publish("lobby", frame.freeze()).await,
                    _ => break,
                }
            }
            Some(out) = out_rx.recv() => write_frame(&mut wr, &out).await?,
        }
    }
    Ok(())
}

/// Text console for operators: one command per line, a keep-alive every 30 s.
pub async fn console(socket: TcpStream, hub: Arc<Hub>) -> anyhow::Result<()> {
    let (rd, mut wr) = socket.into_split();
    let mut rd = BufReader::new(rd);
    let mut keepalive = interval(IDLE);
    let mut line = String::new();
    loop {
        line.clear();
        let n = tokio::select! {
            n = rd.read_line(&mut line) => n?, //~ select_cancel_unsafe
            _ = keepalive.tick() => {
                write_frame(&mut wr, b"#").await?;
                continue;
            }
        };
        if n == 0 {
            break;
        }
        hub.broadcast_text(line.trim().to_owned());
    }
    Ok(())
}

/// Reads the fixed 16-byte header of a replay stream, pinging the peer while it is slow.
pub async fn replay_header(socket: &mut TcpStream) -> anyhow::Result<[u8; 16]> {
    let mut header = [0u8; 16];
    let mut attempts = 0;
    loop {
        match timeout(IDLE, socket.read_exact(&mut header)).await { //~ select_cancel_unsafe, retry_without_backoff
            Ok(read) => {
                read?;
                return Ok(header);
            }
            Err(_) => {
                attempts += 1;
                tracing::debug!(attempts, "replay peer is slow");
            }
        }
    }
}

/// The same header read where a slow peer is dropped at once.
pub async fn replay_header_strict(socket: &mut TcpStream) -> anyhow::Result<[u8; 16]> {
    let mut header = [0u8; 16];
    loop {
        match timeout(IDLE, socket.read_exact(&mut header)).await {
            Ok(Ok(_)) if header[0] == 0xA5 => return Ok(header),
            Ok(Ok(_)) => continue,
            Ok(Err(e)) => return Err(e.into()),
            Err(_) => anyhow::bail!("replay peer too slow"),
        }
    }
}

/// The body arrives once; its reader is made once and polled across the ticks.
pub async fn upload(socket: &mut TcpStream, hub: &Hub) -> anyhow::Result<Vec<u8>> {
    let mut body = vec![0u8; 64 * 1024];
    let mut progress = interval(Duration::from_secs(1));
    let read = socket.read_exact(&mut body);
    tokio::pin!(read);
    loop {
        tokio::select! {
            done = &mut read => {
                done?;
                break;
            }
            _ = progress.tick() => hub.broadcast_text("upload in progress".into()),
        }
    }
    Ok(body)
}

pub fn frame_limit() -> u32 {
    protocol::MAX_FRAME
}
