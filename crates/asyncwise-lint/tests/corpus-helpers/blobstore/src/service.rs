//! The async front of the store: a cache in front of the disk, an optional mirror.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;

use crate::storage::{DiskStore, MemoryStore, Storage};

/// Blobs up to this size are written inline rather than on the blocking pool.
const SMALL_BLOB: usize = 4096;

pub struct BlobService {
    disk: DiskStore,
    cache: MemoryStore,
    mirror: Option<Arc<dyn Storage>>,
}

#[derive(Debug)]
pub struct Stats {
    pub shards: usize,
    pub cached: usize,
}

impl BlobService {
    pub async fn open(root: PathBuf) -> io::Result<BlobService> {
        let disk = DiskStore::open(root)?; // @helper //~ blocking_in_async
        let cache = MemoryStore::new(1024); // @helper
        Ok(BlobService {
            disk,
            cache,
            mirror: None,
        })
    }

    pub fn with_mirror(mut self, mirror: Arc<dyn Storage>) -> BlobService {
        self.mirror = Some(mirror);
        self
    }

    pub async fn get(&self, key: &str) -> io::Result<Option<Bytes>> {
        if let Some(hit) = self.cache.read_blob(key) { // @helper
            return Ok(Some(hit));
        }
        let found = self.disk.read_blob(key)?; // @helper //~ blocking_in_async
        if let Some(value) = &found {
            self.cache.insert(key, value.clone()); // @helper
        }
        Ok(found)
    }

    pub async fn put(&self, key: String, value: Bytes) -> io::Result<()> {
        self.cache.insert(&key, value.clone()); // @helper
        if let Some(mirror) = &self.mirror {
            mirror.put(&key, value.clone())?; // @helper //~? blocking_in_async
        }
        if value.len() <= SMALL_BLOB {
            return self.disk.write_blob(&key, &value); // @helper //~ blocking_in_async
        }
        let disk = self.disk.clone();
        tokio::task::spawn_blocking(move || disk.write_blob(&key, &value)).await? // @helper
    }

    /// Removes every blob whose key is not in `live`.
    pub async fn gc(&self, live: &HashSet<String>) -> io::Result<usize> {
        let keys = self.disk.list_keys()?; // @helper //~ blocking_in_async
        let mut removed = 0;
        for key in keys.iter().filter(|k| !live.contains(*k)) {
            self.disk.remove(key)?; // @helper //~ blocking_in_async
            removed += 1;
        }
        Ok(removed)
    }

    pub async fn stats(&self) -> io::Result<Stats> {
        let shards = Self::count_shards(self.disk.root())?; // @helper //~ blocking_in_async
        Ok(Stats {
            shards,
            cached: self.cache.len(), // @helper
        })
    }

    fn count_shards(root: &Path) -> io::Result<usize> {
        Ok(std::fs::read_dir(root)?.count())
    }
}

/// Copies the given keys from one backend to another (used for migrations).
pub async fn copy_all<S: Storage, D: Storage>(src: &S, dst: &D, keys: &[String]) -> io::Result<()> {
    for key in keys {
        if let Some(value) = src.get(key)? { // @helper //~? blocking_in_async
            dst.put(key, value)?; // @helper //~? blocking_in_async
        }
    }
    Ok(())
}

/// Writes every blob under `out`, synchronously (the `blobstore export` tool).
pub fn export(store: &DiskStore, out: &Path) -> io::Result<usize> {
    let keys = store.list_keys()?; // @helper
    for key in &keys {
        if let Some(value) = store.read_blob(key)? { // @helper
            std::fs::write(out.join(key), &value)?;
        }
    }
    Ok(keys.len())
}
