use tokio::io::AsyncReadExt;
use tokio::sync::mpsc::{Receiver, Sender};

pub async fn read_frame(reader: &mut tokio::net::tcp::OwnedReadHalf) -> std::io::Result<Vec<u8>> {
    let len = reader.read_u32().await?;
    let mut body = vec![0; len as usize];
    reader.read_exact(&mut body).await?;
    Ok(body)
}

pub async fn next_frame(rx: &mut Receiver<Vec<u8>>) -> Option<Vec<u8>> {
    let frame = rx.recv().await?;
    Some(frame)
}

pub async fn forward(out: &Sender<Vec<u8>>, frame: Vec<u8>) {
    let _ = out.send(frame).await;
}

pub fn consume(frame: Vec<u8>) {
    drop(frame);
}
