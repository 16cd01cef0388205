use std::sync::Arc;

use dashmap::DashMap;
use tokio::sync::Mutex;

pub struct Entry {
    pub state: String,
}

pub struct Registry {
    pub(crate) entries: DashMap<String, Arc<Mutex<Entry>>>,
}

impl Registry {
    pub fn new(names: Vec<String>) -> Self {
        Registry {
            entries: DashMap::from_iter(names.into_iter().map(|n| {
                let entry = Entry { state: "idle".into() };
                (n, Arc::new(Mutex::new(entry)))
            })),
        }
    }

    pub fn start(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }
}

pub struct Runtime {
    pub entries: Registry,
}
