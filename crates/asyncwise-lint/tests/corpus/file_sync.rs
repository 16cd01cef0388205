//! File-sync daemon: watches a directory and mirrors changes to a remote store.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use notify::{RecursiveMode, Watcher};
use tokio::sync::RwLock;

pub type Digest = [u8; 32];

mod blocking {
    use super::Digest;
    use std::path::PathBuf;
    use tokio::task::spawn_blocking;

    pub async fn read(path: PathBuf) -> std::io::Result<Vec<u8>> {
        spawn_blocking(move || std::fs::read(path)).await.expect("blocking pool gone")
    }

    pub async fn hash_file(path: PathBuf) -> std::io::Result<Digest> {
        spawn_blocking(move || {
            let data = std::fs::read(&path)?;
            Ok(*blake3::hash(&data).as_bytes())
        })
        .await?
    }

    pub async fn mkdirs(path: PathBuf) -> std::io::Result<()> {
        spawn_blocking(move || std::fs::create_dir_all(path)).await?
    }
}

#[async_trait::async_trait]
pub trait RemoteStore: Send + Sync {
    async fn put(&self, path: &Path, bytes: Vec<u8>, digest: Digest) -> anyhow::Result<()>;
    async fn list(&self) -> anyhow::Result<Vec<(PathBuf, Digest)>>;
    async fn get(&self, path: &Path) -> anyhow::Result<Vec<u8>>;
}

#[derive(Default)]
pub struct Index {
    entries: HashMap<PathBuf, (SystemTime, Digest)>,
}

impl Index {
    fn is_stale(&self, path: &Path, modified: SystemTime) -> bool {
        self.entries.get(path).map_or(true, |(m, _)| *m < modified)
    }
    fn mark_synced(&mut self, path: &Path, digest: Digest) {
        self.entries.insert(path.to_path_buf(), (SystemTime::now(), digest));
    }
    fn digest(&self, path: &Path) -> Option<Digest> {
        self.entries.get(path).map(|(_, d)| *d)
    }
}

pub struct SyncDaemon {
    root: PathBuf,
    remote: Arc<dyn RemoteStore>,
    index: Arc<RwLock<Index>>,
    pending: Arc<std::sync::Mutex<HashSet<PathBuf>>>,
}

impl SyncDaemon {
    pub async fn scan(&self) -> anyhow::Result<Vec<PathBuf>> {
        let index = self.index.read().await;
        let mut changed = Vec::new();
        for entry in std::fs::read_dir(&self.root)? { //~ blocking_in_async
            let path = entry?.path();
            let modified = std::fs::metadata(&path)?.modified()?; //~ blocking_in_async
            if index.is_stale(&path, modified) {
                changed.push(path);
            }
        }
        Ok(changed)
    }

    pub async fn push_changes(self: Arc<Self>, changed: Vec<PathBuf>) -> anyhow::Result<()> {
        let mut uploads = Vec::with_capacity(changed.len());
        for path in changed {
            let me = Arc::clone(&self);
            uploads.push(tokio::spawn(async move { me.upload_one(path).await })); //~ unbounded_spawn
        }
        for u in uploads {
            u.await??;
        }
        Ok(())
    }

    async fn upload_one(&self, path: PathBuf) -> anyhow::Result<()> {
        let bytes = blocking::read(path.clone()).await?;
        let digest = blocking::hash_file(path.clone()).await?;
        self.remote.put(&path, bytes, digest).await?;
        {
            let mut pending = self.pending.lock().unwrap();
            pending.remove(&path);
        }
        self.index.write().await.mark_synced(&path, digest);
        Ok(())
    }

    pub async fn pull(&self) -> anyhow::Result<usize> {
        let remote = self.remote.list().await?;
        let mut applied = 0;
        for (rel, digest) in remote {
            if self.index.read().await.digest(&rel) == Some(digest) {
                continue;
            }
            let bytes = self.remote.get(&rel).await?;
            self.apply_remote(&rel, bytes).await?;
            self.index.write().await.mark_synced(&rel, digest);
            applied += 1;
        }
        Ok(applied)
    }

    async fn apply_remote(&self, rel: &Path, bytes: Vec<u8>) -> anyhow::Result<()> {
        let target = self.root.join(rel);
        if let Some(parent) = target.parent() {
            blocking::mkdirs(parent.to_path_buf()).await?;
        }
        if tokio::fs::try_exists(&target).await? {
            self.keep_both(target.clone()).await?;
        }
        let tmp = target.with_extension("partial");
        tokio::fs::write(&tmp, &bytes).await?;
        std::fs::rename(&tmp, &target)?; //~ blocking_in_async
        Ok(())
    }

    async fn keep_both(&self, target: PathBuf) -> std::io::Result<u64> {
        let backup = target.with_extension("conflict");
        tokio::task::spawn_blocking(move || std::fs::copy(&target, &backup)).await?
    }

    pub async fn watch(self: Arc<Self>) -> anyhow::Result<()> {
        let (tx, rx) = std::sync::mpsc::channel(); //~ unbounded_channel
        let mut watcher = notify::recommended_watcher(tx)?;
        watcher.watch(&self.root, RecursiveMode::Recursive)?;
        loop {
            match rx.recv_timeout(Duration::from_secs(2)) { //~ blocking_in_async
                Ok(Ok(event)) => {
                    let event: notify::Event = event;
                    self.pending.lock().unwrap().extend(event.paths);
                }
                Ok(Err(e)) => log::warn!("watch error: {e}"),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            let batch: Vec<PathBuf> = self.pending.lock().unwrap().drain().collect();
            if !batch.is_empty() {
                self.clone().push_changes(batch).await?;
            }
        }
        Ok(())
    }

    /// The fixed version: the std receiver lives on its own thread.
    pub async fn watch_bridged(self: Arc<Self>) -> anyhow::Result<()> {
        let (async_tx, mut async_rx) = tokio::sync::mpsc::channel::<PathBuf>(1024);
        let root = self.root.clone();
        std::thread::spawn(move || {
            let (tx, rx) = std::sync::mpsc::channel();
            let mut watcher = notify::recommended_watcher(tx).expect("watcher");
            watcher.watch(&root, RecursiveMode::Recursive).expect("watch root");
            for res in rx {
                let Ok(event) = res else { continue };
                let event: notify::Event = event;
                for p in event.paths {
                    if async_tx.blocking_send(p).is_err() {
                        return;
                    }
                }
            }
        });
        while let Some(path) = async_rx.recv().await {
            self.pending.lock().unwrap().insert(path);
            let batch: Vec<PathBuf> = self.pending.lock().unwrap().drain().collect();
            self.clone().push_changes(batch).await?;
        }
        Ok(())
    }
}
