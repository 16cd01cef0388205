//! Catalogue corpus: upload service on tokio; one helper reads files through async-std
//! (the manifest names two runtimes, the finding is on the second one's line).

use std::path::PathBuf;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

pub struct Uploader {
    target: String,
}

/// Reads the file with async-std's file API.
async fn read_payload(path: &PathBuf) -> std::io::Result<Vec<u8>> {
    async_std::fs::read(path).await
}

impl Uploader {
    pub fn new(target: impl Into<String>) -> Self {
        Uploader { target: target.into() }
    }

    pub async fn upload(&self, path: PathBuf) -> std::io::Result<usize> {
        let payload = read_payload(&path).await?;
        let mut stream = TcpStream::connect(&self.target).await?;
        stream.write_all(&payload).await?;
        stream.shutdown().await?;
        tracing::info!(path = %path.display(), bytes = payload.len(), "uploaded");
        Ok(payload.len())
    }

    pub fn upload_in_background(self: std::sync::Arc<Self>, path: PathBuf) -> tokio::task::JoinHandle<std::io::Result<usize>> {
        tokio::spawn(async move { self.upload(path).await })
    }
}
