//! Compaction runs on a thread of its own: it blocks on purpose.

use std::path::PathBuf;
use std::time::Duration;

pub fn start_compactor(dir: PathBuf) {
    std::thread::Builder::new()
        .name("compactor".into())
        .spawn(move || loop {
            std::thread::sleep(Duration::from_secs(600));
            match ingest_core::index::compact(&dir) { // @helper
                Ok(merged) => tracing::info!(merged, "compaction done"),
                Err(e) => tracing::warn!(error = %e, "compaction failed"),
            }
        })
        .expect("spawning the compactor thread");
}

/// Compaction on request (the admin socket), on the blocking pool.
pub async fn compact_now(dir: PathBuf) -> std::io::Result<usize> {
    tokio::task::spawn_blocking(move || ingest_core::index::compact(&dir)).await? // @helper
}
