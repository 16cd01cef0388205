//! Catalogue corpus: the gateway's framed stream relay — reads length-prefixed frames from a
//! client, forwards them to an upstream, and reacts to shutdown and keep-alive timers.
//! Focus: select_cancel_unsafe (branches re-created each time round a loop, and safe forms).

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use futures::StreamExt;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch, Semaphore};
use tokio_util::codec::{FramedRead, LinesCodec};
use tokio_util::sync::CancellationToken;

use crate::{GatewayError, Result, Settings};

#[derive(Debug, Clone)]
pub struct RelayConfig {
    pub keepalive: Duration,
    pub max_frame: usize,
}

impl RelayConfig {
    pub fn from_settings(settings: &Settings) -> Self {
        RelayConfig { keepalive: settings.request_timeout / 2, max_frame: 1 << 20 }
    }
}

/// Reads one frame: the first await is a multi-byte read.
async fn read_frame(reader: &mut OwnedReadHalf, max: usize) -> Result<BytesMut> {
    let len = reader.read_u32().await? as usize;
    if len > max {
        return Err(GatewayError::BadFrame("too long"));
    }
    let mut buf = BytesMut::zeroed(len);
    reader.read_exact(&mut buf).await?;
    Ok(buf)
}

/// Waits for a command from the control channel, then writes its acknowledgement.
async fn next_command(commands: &mut mpsc::Receiver<String>, out: &mut OwnedWriteHalf) -> Result<String> {
    let cmd = commands.recv().await.ok_or(GatewayError::BadFrame("closed"))?;
    out.write_all(b"ack\n").await?;
    Ok(cmd)
}

pub async fn relay_frames(
    stream: TcpStream,
    upstream: mpsc::Sender<BytesMut>,
    mut shutdown: watch::Receiver<bool>,
    cfg: RelayConfig,
) -> Result<()> {
    let (mut reader, mut writer) = stream.into_split();
    let mut header = [0u8; 8];
    let mut keepalive = tokio::time::interval(cfg.keepalive);
    loop {
        tokio::select! {
            res = reader.read_exact(&mut header) => { //~ select_cancel_unsafe
                res?;
                let frame = read_frame(&mut reader, cfg.max_frame).await?;
                if upstream.send(frame).await.is_err() {
                    break;
                }
            }
            _ = keepalive.tick() => {
                writer.write_all(b"\0\0\0\0").await?;
            }
            _ = shutdown.changed() => break,
        }
    }
    Ok(())
}

/// Frames read through a helper whose first await is `read_u32`.
pub async fn relay_with_helper(mut reader: OwnedReadHalf, upstream: mpsc::Sender<BytesMut>, token: CancellationToken) -> Result<()> {
    loop {
        tokio::select! {
            frame = read_frame(&mut reader, 1 << 16) => { //~ select_cancel_unsafe
                let frame = frame?;
                if upstream.send(frame).await.is_err() {
                    return Ok(());
                }
            }
            _ = token.cancelled() => return Ok(()),
        }
    }
}

/// Line protocol read with `read_line` in the loop, and lengths read with `read_u64`.
pub async fn control_session(stream: TcpStream, sizes: &mut TcpStream, token: CancellationToken) -> Result<u64> {
    let (read_half, mut write_half) = stream.into_split();
    let mut lines = BufReader::new(read_half);
    let mut line = String::new();
    let mut total = 0u64;
    loop {
        line.clear();
        tokio::select! {
            n = lines.read_line(&mut line) => { //~ select_cancel_unsafe
                if n? == 0 {
                    break;
                }
                total += line.len() as u64;
                write_half.write_all(b"ok\n").await?;
            }
            size = sizes.read_u64() => total += size?, //~ select_cancel_unsafe
            _ = token.cancelled() => break,
        }
    }
    Ok(total)
}

/// Forwards events to a bounded queue while watching for shutdown.
pub async fn pump_events(mut source: mpsc::Receiver<String>, sink: mpsc::Sender<String>, token: CancellationToken) {
    let mut pending: Option<String> = None;
    loop {
        if pending.is_none() {
            pending = source.recv().await;
        }
        let Some(event) = pending.take() else { break };
        tokio::select! {
            sent = sink.send(event) => { //~ select_cancel_unsafe
                if sent.is_err() {
                    break;
                }
            }
            _ = token.cancelled() => break,
        }
    }
}

/// Writes replies while a permit is held; the permit request itself sits in the select.
pub async fn paced_writer(
    mut out: OwnedWriteHalf,
    mut replies: mpsc::Receiver<Vec<u8>>,
    limit: Arc<Semaphore>,
    token: CancellationToken,
) -> Result<()> {
    loop {
        tokio::select! {
            permit = limit.acquire() => { //~ select_cancel_unsafe
                let _permit = permit.map_err(|_| GatewayError::BadFrame("closed"))?;
                match replies.recv().await {
                    Some(reply) => out.write_all(&reply).await?,
                    None => return Ok(()),
                }
            }
            _ = token.cancelled() => return Ok(()),
        }
    }
}

/// Sends a heartbeat frame each round while watching for shutdown.
pub async fn heartbeat_loop(mut out: OwnedWriteHalf, mut shutdown: watch::Receiver<bool>, every: Duration) -> Result<()> {
    let beat = [0u8, 0, 0, 0];
    loop {
        tokio::select! {
            res = out.write_all(&beat) => res?, //~ select_cancel_unsafe
            _ = shutdown.changed() => return Ok(()),
        }
        tokio::time::sleep(every).await;
    }
}

/// Cancel-safe branches only: `recv`, `read` into a buffer, `next` on a framed reader, ticks.
pub async fn safe_relay(stream: TcpStream, mut control: mpsc::Receiver<String>, token: CancellationToken) -> Result<()> {
    let (read_half, mut write_half) = stream.into_split();
    let mut lines = FramedRead::new(read_half, LinesCodec::new());
    let mut ticker = tokio::time::interval(Duration::from_secs(15));
    let mut scratch = vec![0u8; 4096];
    let mut raw = tokio::io::empty();
    loop {
        tokio::select! {
            Some(cmd) = control.recv() => tracing::debug!(%cmd, "control"),
            line = lines.next() => match line {
                Some(Ok(line)) => tracing::trace!(%line, "line"),
                _ => break,
            },
            n = raw.read(&mut scratch) => { let _ = n?; }
            _ = ticker.tick() => write_half.write_all(b"ping\n").await?,
            _ = token.cancelled() => break,
        }
    }
    Ok(())
}

/// The whole greeting read is pinned once outside the loop and polled by reference.
pub async fn greeting_with_progress(stream: &mut TcpStream, token: CancellationToken) -> Result<[u8; 16]> {
    let mut greeting = [0u8; 16];
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    let read = stream.read_exact(&mut greeting);
    tokio::pin!(read);
    loop {
        tokio::select! {
            res = &mut read => { res?; break; }
            _ = ticker.tick() => tracing::debug!("still waiting for greeting"),
            _ = token.cancelled() => return Err(GatewayError::BadFrame("cancelled")),
        }
    }
    Ok(greeting)
}

/// One select, no loop: the read is started once and a timeout ends it.
pub async fn read_hello(stream: &mut TcpStream, wait: Duration) -> Result<u32> {
    tokio::select! {
        v = stream.read_u32() => Ok(v?),
        _ = tokio::time::sleep(wait) => Err(GatewayError::Unavailable("hello timeout".into())),
    }
}

/// Waits for room in the semaphore without keeping a permit: the result is discarded.
pub async fn wait_for_capacity(limit: Arc<Semaphore>, mut commands: mpsc::Receiver<String>, mut out: OwnedWriteHalf) -> Result<()> {
    loop {
        tokio::select! {
            _ = limit.acquire() => tracing::trace!("capacity available"),
            cmd = next_command(&mut commands, &mut out) => {
                tracing::info!(cmd = %cmd?, "command");
            }
        }
    }
}
