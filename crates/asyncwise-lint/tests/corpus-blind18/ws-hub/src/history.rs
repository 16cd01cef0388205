use tokio::fs::{File, OpenOptions};
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

/// Append-only log of every message; the file handle is held for a whole write.
pub struct History {
    file: Mutex<File>,
}

impl History {
    pub async fn open(path: &str) -> std::io::Result<History> {
        let file = OpenOptions::new().create(true).append(true).open(path).await?;
        Ok(History { file: Mutex::new(file) })
    }

    pub async fn record(&self, room: &str, text: &str) -> std::io::Result<()> {
        let mut file = self.file.lock().await;
        file.write_all(room.as_bytes()).await?;
        file.write_all(b"\t").await?;
        file.write_all(text.as_bytes()).await?;
        file.write_all(b"\n").await
    }

    pub async fn recent(&self, _room: &str, _n: usize) -> Vec<String> {
        Vec::new()
    }
}
