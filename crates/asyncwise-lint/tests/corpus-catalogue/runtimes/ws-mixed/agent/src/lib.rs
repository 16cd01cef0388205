//! Catalogue corpus: an agent member; its io_uring file reader is built on monoio types.

pub struct Spool {
    dir: std::path::PathBuf,
}

impl Spool {
    pub fn new(dir: std::path::PathBuf) -> Self {
        Spool { dir }
    }

    pub async fn wait_ready(&self) {
        while tokio::fs::metadata(&self.dir).await.is_err() {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}
