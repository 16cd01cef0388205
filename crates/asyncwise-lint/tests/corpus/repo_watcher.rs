//! Filesystem watching for hot reload.
//!
//! The underlying backend (`notify`) delivers events on its own thread through
//! a synchronous callback. We forward them into a bounded tokio channel from a
//! dedicated bridge thread, debounce them, and hand batches to async hooks.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher as _};
use thiserror::Error;
use tokio::sync::mpsc as async_mpsc;
use tracing::{debug, info, trace, warn};

/// Default quiet period before a batch is emitted.
pub const DEFAULT_DEBOUNCE: Duration = Duration::from_millis(200);

#[derive(Debug, Error)]
pub enum WatchError {
    #[error("notify backend: {0}")]
    Backend(#[from] notify::Error),
    #[error("path {0} does not exist")]
    Missing(PathBuf),
    #[error("bridge thread panicked")]
    BridgePanicked,
}

/// What changed, coarsely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChangeKind {
    Created,
    Modified,
    Removed,
}

impl ChangeKind {
    fn from_event(kind: &EventKind) -> Option<Self> {
        match kind {
            EventKind::Create(_) => Some(ChangeKind::Created),
            EventKind::Modify(_) => Some(ChangeKind::Modified),
            EventKind::Remove(_) => Some(ChangeKind::Removed),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Change {
    pub path: PathBuf,
    pub kind: ChangeKind,
}

/// A debounced batch of changes.
pub type Batch = BTreeSet<Change>;

macro_rules! ignore_suffixes {
    ($($s:literal),* $(,)?) => {
        fn is_ignored(path: &Path) -> bool {
            let name = path.to_string_lossy();
            false $(|| name.ends_with($s))*
        }
    };
}

ignore_suffixes!("~", ".swp", ".swx", ".tmp", "4913");

/// Async hook run for each batch.
#[async_trait::async_trait]
pub trait Hook: Send + Sync + 'static {
    async fn on_batch(&self, batch: Batch);
}

pub struct HotReload {
    _watcher: RecommendedWatcher,
    batches: async_mpsc::Receiver<Batch>,
    bridge: Option<thread::JoinHandle<()>>,
}

impl HotReload {
    /// Starts watching `root`. Synchronous: it only spawns threads.
    pub fn start(root: &Path, debounce: Duration) -> Result<Self, WatchError> {
        if !root.exists() {
            return Err(WatchError::Missing(root.to_owned()));
        }
        let (raw_tx, raw_rx) = mpsc::channel::<notify::Result<Event>>();
        let mut watcher = notify::recommended_watcher(move |res| {
            let _ = raw_tx.send(res);
        })?;
        watcher.watch(root, RecursiveMode::Recursive)?;

        let (batch_tx, batches) = async_mpsc::channel(16);
        let bridge = thread::Builder::new()
            .name("hot-reload-bridge".into())
            .spawn(move || bridge_loop(raw_rx, batch_tx, debounce))
            .expect("spawn bridge thread");
        info!(root = %root.display(), ?debounce, "watching");
        Ok(Self { _watcher: watcher, batches, bridge: Some(bridge) })
    }

    /// Next debounced batch, or `None` once the watcher is gone.
    pub async fn next_batch(&mut self) -> Option<Batch> {
        self.batches.recv().await
    }

    /// Runs `hook` for every batch until the watcher stops.
    pub async fn run_hooks(mut self, hook: Arc<dyn Hook>) -> Result<(), WatchError> {
        while let Some(batch) = self.batches.recv().await {
            debug!(changes = batch.len(), "dispatching batch");
            let hook = hook.clone();
            tokio::spawn(async move { hook.on_batch(batch).await }); //~ unbounded_spawn
        }
        let bridge = self.bridge.take();
        tokio::task::spawn_blocking(move || bridge.map(|h| h.join()))
            .await
            .ok()
            .flatten()
            .transpose()
            .map_err(|_| WatchError::BridgePanicked)?;
        Ok(())
    }
}

/// Runs on a plain thread: blocking receives are fine here.
fn bridge_loop(
    raw_rx: Receiver<notify::Result<Event>>,
    batch_tx: async_mpsc::Sender<Batch>,
    debounce: Duration,
) {
    let mut pending = Batch::new();
    loop {
        match raw_rx.recv_timeout(debounce) {
            Ok(Ok(event)) => {
                let Some(kind) = ChangeKind::from_event(&event.kind) else { continue };
                for path in event.paths {
                    if !is_ignored(&path) {
                        pending.insert(Change { path, kind });
                    }
                }
            }
            Ok(Err(e)) => warn!(error = %e, "watch error"),
            Err(RecvTimeoutError::Timeout) => {
                if pending.is_empty() {
                    continue;
                }
                let batch = std::mem::take(&mut pending);
                trace!(len = batch.len(), "flushing batch");
                if batch_tx.blocking_send(batch).is_err() {
                    return;
                }
            }
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Waits for the first change under `path` and returns it. Intended for
/// `--once` mode and tests.
pub async fn wait_for_change(path: &Path, timeout: Duration) -> Result<Option<Change>, WatchError> {
    let (tx, rx) = mpsc::channel(); //~ unbounded_channel
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<Event>| {
        if let Ok(ev) = res {
            let _ = tx.send(ev);
        }
    })?;
    watcher.watch(path, RecursiveMode::NonRecursive)?;
    tokio::task::yield_now().await;

    let first = rx.recv_timeout(timeout); //~ blocking_in_async
    Ok(first.ok().and_then(|ev| {
        let kind = ChangeKind::from_event(&ev.kind)?;
        ev.paths.into_iter().next().map(|path| Change { path, kind })
    }))
}

/// Polling fallback for filesystems without native notifications.
pub async fn poll_changes(root: PathBuf, every: Duration) -> async_mpsc::Receiver<Batch> {
    let (tx, rx) = async_mpsc::channel(4);
    thread::spawn(move || {
        let mut last = snapshot(&root);
        loop {
            thread::sleep(every);
            let now = snapshot(&root);
            let diff: Batch = now
                .difference(&last)
                .map(|p| Change { path: p.clone(), kind: ChangeKind::Modified })
                .collect();
            if !diff.is_empty() && tx.blocking_send(diff).is_err() {
                break;
            }
            last = now;
        }
    });
    rx
}

fn snapshot(root: &Path) -> BTreeSet<PathBuf> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swap_files_are_ignored() {
        assert!(is_ignored(Path::new("src/.main.rs.swp")));
        assert!(is_ignored(Path::new("notes.txt~")));
        assert!(!is_ignored(Path::new("src/main.rs")));
    }

    #[test]
    fn bridge_emits_batch_after_quiet_period() {
        let (raw_tx, raw_rx) = mpsc::channel();
        let (batch_tx, mut batch_rx) = async_mpsc::channel(1);
        let h = thread::spawn(move || bridge_loop(raw_rx, batch_tx, Duration::from_millis(5)));
        let ev = Event::new(EventKind::Create(notify::event::CreateKind::File)).add_path("a.rs".into());
        raw_tx.send(Ok(ev)).unwrap();
        let batch = batch_rx.blocking_recv().unwrap();
        assert_eq!(batch.len(), 1);
        drop(raw_tx);
        h.join().unwrap();
    }

    #[tokio::test]
    async fn missing_root_is_an_error() {
        let err = HotReload::start(Path::new("/definitely/not/here"), DEFAULT_DEBOUNCE).err();
        assert!(matches!(err, Some(WatchError::Missing(_))));
    }
}
