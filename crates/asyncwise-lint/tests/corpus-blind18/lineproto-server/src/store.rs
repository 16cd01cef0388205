use std::io;

use dashmap::DashMap;
use parking_lot::Mutex;
use tokio::fs::File;
use tokio::io::AsyncWriteExt;

#[derive(Default)]
pub struct Store {
    data: DashMap<String, String>,
    log: Mutex<Vec<String>>,
}

/// The write-ahead log.
pub struct Wal {
    file: File,
}

impl Wal {
    pub async fn open(path: &str) -> io::Result<Wal> {
        let file = tokio::fs::OpenOptions::new().append(true).create(true).open(path).await?;
        Ok(Wal { file })
    }

    pub async fn write(&mut self, entry: &str) -> io::Result<()> {
        self.file.write_all(entry.as_bytes()).await?;
        self.file.write_all(b"\n").await
    }
}

pub trait Upstream {
    fn touch(&self, key: &str) -> impl std::future::Future<Output = ()> + Send;
}

impl Store {
    pub fn get(&self, key: &str) -> Option<String> {
        self.data.get(key).map(|v| v.clone())
    }

    pub async fn set(&self, key: &str, value: &str) {
        self.data.insert(key.to_owned(), value.to_owned());
        self.log.lock().push(format!("SET {key} {value}"));
    }

    /// Reads through to the upstream on a hit to refresh its TTL there.
    pub async fn get_refreshing(&self, key: &str, upstream: &impl Upstream) -> Option<String> {
        if let Some(v) = self.data.get(key) { //~ lock_across_await
            upstream.touch(key).await;
            return Some(v.clone());
        }
        None
    }

    /// Same, with the value cloned out of the shard first.
    pub async fn get_refreshing_cloned(&self, key: &str, upstream: &impl Upstream) -> Option<String> {
        let v = self.data.get(key).map(|r| r.value().clone())?;
        upstream.touch(key).await;
        Some(v)
    }

    pub async fn append(&self, entry: String, wal: &mut Wal) -> io::Result<()> {
        let mut log = self.log.lock(); //~ lock_across_await
        log.push(entry.clone());
        wal.write(&entry).await?;
        Ok(())
    }

    pub async fn append_then_write(&self, entry: String, wal: &mut Wal) -> io::Result<()> {
        {
            let mut log = self.log.lock();
            log.push(entry.clone());
        }
        wal.write(&entry).await
    }

    pub async fn append_short(&self, entry: String, wal: &mut Wal) -> io::Result<()> {
        self.log.lock().push(entry.clone());
        wal.write(&entry).await
    }

    pub fn render_stats(&self) -> String {
        format!("keys {}\nlog {}\n", self.data.len(), self.log.lock().len())
    }

    pub fn drain_log(&self) -> Vec<String> {
        std::mem::take(&mut *self.log.lock())
    }
}
