//! Watches the content directory and rebuilds the search index when files
//! change. `notify` delivers events on a std channel from its own thread.

use std::fs as stdfs;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use notify::{recommended_watcher, Event, RecursiveMode, Watcher};
use tokio::sync::mpsc as tmpsc;
use tracing::{debug, error, info};

use crate::index::SearchIndex;

/// Our own storage helpers; not `std::fs`.
mod fs {
    use std::path::Path;

    pub async fn read_to_string(path: &Path) -> std::io::Result<String> {
        tokio::fs::read_to_string(path).await
    }

    pub async fn metadata(path: &Path) -> std::io::Result<std::fs::Metadata> {
        tokio::fs::metadata(path).await
    }
}

#[derive(Debug, Clone)]
pub enum Change {
    Upsert(PathBuf),
    Remove(PathBuf),
}

pub struct ContentWatcher {
    root: PathBuf,
    index: SearchIndex,
}

fn is_markdown(path: &Path) -> bool {
    path.extension().map(|e| e == "md").unwrap_or(false)
}

/// Initial scan, run once at start-up before the runtime is serving requests.
pub fn initial_scan(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in stdfs::read_dir(root)? {
        let path = entry?.path();
        if is_markdown(&path) {
            out.push(path);
        }
    }
    Ok(out)
}

impl ContentWatcher {
    pub fn new(root: PathBuf, index: SearchIndex) -> Self {
        ContentWatcher { root, index }
    }

    pub async fn run(mut self) -> anyhow::Result<()> {
        let (raw_tx, raw_rx) = mpsc::channel::<notify::Result<Event>>(); //~ unbounded_channel
        let mut watcher = recommended_watcher(raw_tx)?;
        watcher.watch(&self.root, RecursiveMode::Recursive)?;

        let (tx, mut rx) = tmpsc::channel::<Change>(1024);
        std::thread::Builder::new().name("fs-events".into()).spawn(move || {
            for res in raw_rx {
                let Ok(event) = res else { continue };
                for path in event.paths {
                    let change = if path.exists() { Change::Upsert(path) } else { Change::Remove(path) };
                    if tx.blocking_send(change).is_err() {
                        return;
                    }
                }
            }
        })?;

        while let Some(change) = rx.recv().await {
            if let Err(e) = self.apply(change).await {
                error!("index update failed: {e:#}");
            }
        }
        Ok(())
    }

    async fn apply(&mut self, change: Change) -> anyhow::Result<()> {
        match change {
            Change::Upsert(path) if is_markdown(&path) => {
                let body = fs::read_to_string(&path).await?;
                let meta = fs::metadata(&path).await?;
                self.index.upsert(&path, &body, meta.modified().ok()).await?;
            }
            Change::Upsert(_) => {}
            Change::Remove(path) => self.index.remove(&path).await?,
        }
        Ok(())
    }

    /// Full rebuild, triggered from the admin API.
    pub async fn rebuild(&mut self) -> anyhow::Result<usize> {
        let files = tokio::task::spawn_blocking({
            let root = self.root.clone();
            move || initial_scan(&root)
        })
        .await??;
        let newest: Vec<(PathBuf, SystemTime)> = files
            .iter()
            .filter_map(|p| stdfs::metadata(p).ok().map(|m| (p.clone(), m.modified().ok()))) //~ blocking_in_async
            .filter_map(|(p, t)| t.map(|t| (p, t)))
            .collect();
        for (path, _) in &newest {
            let body = stdfs::read_to_string(path)?; //~ blocking_in_async
            self.index.upsert(path, &body, None).await?;
        }
        Ok(newest.len())
    }

    /// Compacts the index directory; deletions are cheap so they run inline.
    pub async fn compact(&self, keep: usize) -> anyhow::Result<()> {
        let mut entries = tokio::fs::read_dir(self.root.join(".index")).await?;
        let mut segments = Vec::new();
        while let Some(entry) = entries.next_entry().await? {
            segments.push(entry.path());
        }
        segments.sort();
        for old in segments.iter().rev().skip(keep) {
            stdfs::remove_file(old)?; //~ blocking_in_async
            debug!("removed segment {}", old.display());
        }
        tokio::task::block_in_place(|| stdfs::write(self.root.join(".index/COMPACTED"), b"ok"))?;
        Ok(())
    }

    /// Debounced event pump used by the preview server.
    pub async fn poll_changes(&self, raw_rx: &mpsc::Receiver<Change>) -> Vec<Change> {
        let mut batch = Vec::new();
        while let Ok(change) = raw_rx.try_recv() {
            batch.push(change);
        }
        if batch.is_empty() {
            if let Ok(change) = raw_rx.recv() { //~ blocking_in_async
                batch.push(change);
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        info!("{} changes", batch.len());
        batch
    }
}
