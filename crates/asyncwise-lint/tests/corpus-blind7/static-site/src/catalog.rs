//! The published catalogue: which pages exist, held in memory.

use std::collections::HashMap;

use serde::Deserialize;

#[derive(Clone, Deserialize)]
pub struct Entry {
    pub title: String,
    pub bytes: u64,
    pub etag: String,
}

#[derive(Default, Deserialize)]
pub struct Catalog {
    entries: HashMap<String, Entry>,
}

impl Catalog {
    pub fn parse(text: &str) -> serde_json::Result<Self> {
        serde_json::from_str(text)
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.entries.contains_key(rel)
    }

    pub fn metadata(&self, rel: &str) -> Option<&Entry> {
        self.entries.get(rel)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }
}
