use std::time::Duration;

use futures::StreamExt;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio_util::codec::{FramedRead, LengthDelimitedCodec};

use crate::Frame;

const PING: &[u8] = b"\x00\x00\x00\x01\x09";

async fn read_frame<R: AsyncRead + Unpin>(reader: &mut R) -> std::io::Result<Frame> {
    let len = reader.read_u32().await? as usize;
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).await?;
    Frame::decode(&body)
}

/// Reads frames until shutdown; the header read restarts whenever shutdown is polled first.
pub async fn run(stream: TcpStream, mut shutdown: watch::Receiver<bool>, events: mpsc::Sender<Frame>) -> std::io::Result<()> {
    let (read_half, mut write_half) = stream.into_split();
    let mut reader = BufReader::new(read_half);
    let mut header = [0u8; 4];
    let mut keepalive = tokio::time::interval(Duration::from_secs(15));
    loop {
        tokio::select! {
            res = reader.read_exact(&mut header) => { //~ select_cancel_unsafe
                res?;
                let mut body = vec![0u8; u32::from_be_bytes(header) as usize];
                reader.read_exact(&mut body).await?;
                if events.send(Frame::decode(&body)?).await.is_err() {
                    break;
                }
            }
            _ = keepalive.tick() => write_half.write_all(PING).await?,
            _ = shutdown.changed() => break,
        }
    }
    Ok(())
}

/// Variant for the relay: frames parsed by a helper, outgoing frames from a channel.
pub async fn relay(stream: TcpStream, mut outgoing: mpsc::Receiver<Vec<u8>>, events: mpsc::Sender<Frame>) -> std::io::Result<()> {
    let (read_half, mut write_half) = stream.into_split();
    let mut reader = BufReader::new(read_half);
    loop {
        tokio::select! {
            frame = read_frame(&mut reader) => { //~ select_cancel_unsafe
                let _ = events.send(frame?).await;
            }
            Some(bytes) = outgoing.recv() => write_half.write_all(&bytes).await?,
            else => break,
        }
    }
    Ok(())
}

/// Writer side: the write itself is a branch, so a tick can cut a frame in half.
pub async fn pump(mut stream: TcpStream, mut pending: mpsc::Receiver<Vec<u8>>, frame: Vec<u8>) -> std::io::Result<()> {
    let mut stats = tokio::time::interval(Duration::from_secs(60));
    loop {
        tokio::select! {
            res = stream.write_all(&frame) => { //~ select_cancel_unsafe
                res?;
                match pending.recv().await {
                    Some(next) => stream.write_all(&next).await?,
                    None => break,
                }
            }
            _ = stats.tick() => tracing::debug!("pump alive"),
        }
    }
    Ok(())
}

/// Handshake: one read raced against a deadline, not in a loop.
pub async fn handshake(stream: &mut TcpStream) -> std::io::Result<[u8; 8]> {
    let mut hello = [0u8; 8];
    tokio::select! {
        res = stream.read_exact(&mut hello) => { res?; }
        _ = tokio::time::sleep(Duration::from_secs(5)) => {
            return Err(std::io::ErrorKind::TimedOut.into());
        }
    }
    Ok(hello)
}

/// One long upload read while progress is reported: the future is made once and polled by `&mut`.
pub async fn receive_blob(stream: &mut TcpStream, size: usize, progress: watch::Sender<u64>) -> std::io::Result<Vec<u8>> {
    let mut blob = vec![0u8; size];
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    let read = stream.read_exact(&mut blob);
    tokio::pin!(read);
    let mut seconds = 0u64;
    loop {
        tokio::select! {
            res = &mut read => {
                res?;
                break;
            }
            _ = ticks.tick() => {
                seconds += 1;
                let _ = progress.send(seconds);
            }
        }
    }
    Ok(blob)
}

/// Framed reading through a codec: `next()` is cancel safe.
pub async fn run_framed(stream: TcpStream, mut shutdown: watch::Receiver<bool>, events: mpsc::Sender<Frame>) -> std::io::Result<()> {
    let mut frames = FramedRead::new(stream, LengthDelimitedCodec::new());
    loop {
        tokio::select! {
            next = frames.next() => match next {
                Some(bytes) => {
                    let frame = Frame::decode(&bytes?)?;
                    if events.send(frame).await.is_err() {
                        break;
                    }
                }
                None => break,
            },
            _ = shutdown.changed() => break,
        }
    }
    Ok(())
}
