//! A bounded in-memory store, used as the read cache and in tests.

use std::collections::HashMap;
use std::sync::RwLock;

use bytes::Bytes;

use super::Storage;

pub struct MemoryStore {
    map: RwLock<HashMap<String, Bytes>>,
    capacity: usize,
}

impl MemoryStore {
    pub fn new(capacity: usize) -> MemoryStore {
        MemoryStore {
            map: RwLock::new(HashMap::new()),
            capacity,
        }
    }

    // Same name as `DiskStore::read_blob`, but only a map lookup.
    pub fn read_blob(&self, key: &str) -> Option<Bytes> {
        self.map.read().unwrap_or_else(|e| e.into_inner()).get(key).cloned()
    }

    pub fn insert(&self, key: &str, value: Bytes) {
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        if map.len() >= self.capacity {
            map.clear();
        }
        map.insert(key.to_owned(), value);
    }

    pub fn len(&self) -> usize {
        self.map.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Storage for MemoryStore {
    fn get(&self, key: &str) -> std::io::Result<Option<Bytes>> {
        Ok(self.read_blob(key))
    }

    fn put(&self, key: &str, value: Bytes) -> std::io::Result<()> {
        self.insert(key, value);
        Ok(())
    }

    fn remove(&self, key: &str) -> std::io::Result<()> {
        self.map.write().unwrap_or_else(|e| e.into_inner()).remove(key);
        Ok(())
    }
}
