//! The store. Async methods use `tokio::fs` or the blocking pool; the sync `purge_all` is for
//! the admin command line.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::codec::{self, Session};

pub struct SessionStore {
    dir: PathBuf,
    ttl: Duration,
}

impl SessionStore {
    pub fn new(dir: PathBuf, ttl: Duration) -> SessionStore {
        SessionStore { dir, ttl }
    }

    fn path_for(&self, id: &str) -> PathBuf {
        self.dir.join(codec::file_name(id))
    }

    pub async fn load(&self, id: &str) -> io::Result<Option<Session>> {
        let path = self.path_for(id); // @helper
        match tokio::fs::read(&path).await {
            Ok(bytes) => Ok(codec::decode(&bytes).filter(|s| !s.expired(self.ttl))), // @helper
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn save(&self, session: &Session) -> io::Result<()> {
        let bytes = codec::encode(session); // @helper
        write_atomic(&self.path_for(&session.id), &bytes).await // @helper
    }

    /// Removes expired sessions on the blocking pool.
    pub async fn sweep(&self) -> io::Result<usize> {
        let dir = self.dir.clone();
        let ttl = self.ttl;
        tokio::task::spawn_blocking(move || sweep_expired(&dir, ttl)).await? // @helper
    }

    /// Same, for callers on a multi-threaded runtime that want the result inline.
    pub fn sweep_in_place(&self) -> io::Result<usize> {
        tokio::task::block_in_place(|| sweep_expired(&self.dir, self.ttl)) // @helper
    }

    pub async fn sweep_now(&self) -> io::Result<usize> {
        tokio::task::block_in_place(|| sweep_expired(&self.dir, self.ttl)) // @helper
    }
}

async fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = path.with_extension("tmp");
    tokio::fs::write(&tmp, bytes).await?;
    tokio::fs::rename(&tmp, path).await
}

fn sweep_expired(dir: &Path, ttl: Duration) -> io::Result<usize> {
    let mut removed = 0;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let expired = std::fs::read(&path)
            .ok()
            .and_then(|b| codec::decode(&b))
            .is_some_and(|s| s.expired(ttl));
        if expired {
            std::fs::remove_file(&path)?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Deletes every session (the `sessions purge` admin command; no runtime there).
pub fn purge_all(dir: &Path) -> io::Result<()> {
    std::fs::remove_dir_all(dir)?;
    std::fs::create_dir(dir)
}
