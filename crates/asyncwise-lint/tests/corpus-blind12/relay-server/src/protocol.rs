//! Frames on the relay connection: a big-endian `u32` length, then the payload.

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::mpsc;

pub const MAX_FRAME: u32 = 1 << 20;

pub async fn read_frame(rd: &mut OwnedReadHalf) -> std::io::Result<Bytes> {
    let len = rd.read_u32().await?;
    if len > MAX_FRAME {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "frame too large"));
    }
    let mut buf = vec![0u8; len as usize];
    rd.read_exact(&mut buf).await?;
    Ok(Bytes::from(buf))
}

pub async fn write_frame(wr: &mut OwnedWriteHalf, payload: &[u8]) -> std::io::Result<()> {
    wr.write_u32(payload.len() as u32).await?;
    wr.write_all(payload).await
}

/// The next message for this connection from the hub, or `None` when the hub dropped it.
pub async fn next_outgoing(rx: &mut mpsc::UnboundedReceiver<Bytes>) -> Option<Bytes> {
    let first = rx.recv().await?;
    Some(first)
}
