use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use tokio::sync::{watch, Semaphore};

use crate::levels::{Edit, Levels, TableMeta};
use crate::manifest::Manifest;
use crate::sstable::{self, Table};
use crate::throttle::IoThrottle;

pub struct Compactor {
    levels: Arc<RwLock<Levels>>,
    manifest: Manifest,
    dir: PathBuf,
    running: AtomicBool,
    bytes_in_flight: AtomicU64,
    io_slots: Semaphore,
    throttle: IoThrottle,
}

impl Compactor {
    pub fn new(dir: PathBuf, levels: Arc<RwLock<Levels>>, bytes_per_sec: u64) -> Compactor {
        Compactor {
            manifest: Manifest::new(dir.join("MANIFEST")),
            dir,
            levels,
            running: AtomicBool::new(false),
            bytes_in_flight: AtomicU64::new(0),
            io_slots: Semaphore::new(4),
            throttle: IoThrottle { bytes_per_sec },
        }
    }

    /// Runs compactions until `shutdown` says stop, one per free I/O slot.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        loop {
            tokio::select! {
                permit = self.io_slots.acquire() => { //~ select_cancel_unsafe
                    let Ok(_permit) = permit else { break };
                    if let Err(e) = self.compact_level(0).await {
                        tracing::error!("compaction failed: {e}");
                    }
                }
                _ = shutdown.changed() => {
                    if *shutdown.borrow() {
                        break;
                    }
                }
            }
        }
    }

    pub async fn compact_level(&self, level: usize) -> io::Result<()> {
        self.running.store(true, Ordering::Release);
        let result = self.merge_level(level).await;
        self.running.store(false, Ordering::Release); //~ cleanup_after_await(pedantic)
        result
    }

    async fn merge_level(&self, level: usize) -> io::Result<()> {
        let inputs: Vec<TableMeta> = self.levels.read().unwrap().tables(level).to_vec();
        let mut merged = Vec::new();
        for meta in &inputs {
            let path = self.dir.join(&meta.name);
            let data = sstable::load_sync(&path)?; // @helper //~ blocking_in_async(pedantic)
            self.throttle.pause_for(data.len() as u64); // @helper //~ blocking_in_async
            merged.extend_from_slice(&data);
        }
        let table = Table { name: format!("L{}-{}.sst", level + 1, inputs.len()), size: merged.len() as u64, data: merged };
        self.write_output(&table).await?;
        let edit = Edit {
            removed: inputs.iter().map(|t| t.name.clone()).collect(),
            added: vec![TableMeta { name: table.name.clone(), level: level + 1, smallest: vec![], largest: vec![], size: table.size }],
        };
        futures::executor::block_on(self.manifest.persist(&edit))?; //~ block_on_in_async
        self.levels.write().unwrap().apply(&edit);
        self.remove_obsolete(&edit.removed).await
    }

    /// The same merge, paced by an async sleep instead of a thread sleep.
    async fn merge_level_paced(&self, inputs: Vec<PathBuf>) -> io::Result<Vec<u8>> {
        let mut merged = Vec::new();
        for path in inputs { //~? sequential_await
            let data = tokio::fs::read(&path).await?;
            tokio::time::sleep(self.throttle.delay_for(data.len() as u64)).await;
            merged.extend_from_slice(&data);
        }
        Ok(merged)
    }

    pub async fn write_output(&self, table: &Table) -> io::Result<()> {
        self.bytes_in_flight.fetch_add(table.size, Ordering::Relaxed); //~? cleanup_after_await
        table.write_to_dir(&self.dir).await?; //~ cleanup_after_await
        self.bytes_in_flight.fetch_sub(table.size, Ordering::Relaxed);
        Ok(())
    }

    /// Reads tables ahead of a merge; the in-flight gauge is left by a guard.
    pub async fn prefetch_guarded(&self, names: &[String]) -> Vec<Vec<u8>> {
        let n = names.len() as u64;
        self.bytes_in_flight.fetch_add(n, Ordering::Relaxed);
        scopeguard::defer! {
            self.bytes_in_flight.fetch_sub(n, Ordering::Relaxed);
        }
        futures::future::join_all(names.iter().map(|name| tokio::fs::read(self.dir.join(name))))
            .await
            .into_iter()
            .filter_map(Result::ok)
            .collect()
    }

    /// Reads the index and bloom filter of a table for a point lookup.
    pub async fn probe(&self, path: PathBuf, key: &[u8]) -> io::Result<bool> {
        self.bytes_in_flight.fetch_add(1, Ordering::Relaxed);
        let found = self.probe_inner(&path, key).await;
        self.bytes_in_flight.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await
        found
    }

    async fn probe_inner(&self, path: &PathBuf, key: &[u8]) -> io::Result<bool> {
        let index = sstable::read_index(path).await?; //~ sequential_await
        let bloom = sstable::read_bloom(path).await?;
        let h = sstable::checksum(key) as usize;
        Ok(!index.offsets.is_empty() && bloom.bits.get(h % bloom.bits.len().max(1)).is_some_and(|b| *b != 0))
    }

    /// Checks every table of a level against its checksum file.
    pub async fn verify_level(&self, level: usize) -> io::Result<usize> {
        let levels = self.levels.read().unwrap(); //~ lock_across_await
        let mut bad = 0;
        for meta in levels.tables(level) { //~ sequential_await
            let data = tokio::fs::read(self.dir.join(&meta.name)).await?;
            if sstable::checksum(&data) == 0 {
                bad += 1;
            }
        }
        Ok(bad)
    }

    pub async fn remove_obsolete(&self, names: &[String]) -> io::Result<()> {
        for name in names {
            std::fs::remove_file(self.dir.join(name))?; //~ blocking_in_async(pedantic)
        }
        Ok(())
    }
}
