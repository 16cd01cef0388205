//! Read-through cache for remote configuration documents, refreshed in the
//! background. Readers never wait on the network once a value is cached.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use tokio::runtime::Handle;
use tokio::task::JoinHandle;
use tracing::{debug, warn};

use crate::remote::{ConfigClient, Document, FetchError};

struct Entry {
    doc: Arc<Document>,
    fetched_at: Instant,
}

pub struct ConfigCache {
    client: ConfigClient,
    entries: RwLock<HashMap<String, Entry>>,
    ttl: Duration,
    misses: Mutex<u64>,
    refresher: Mutex<Option<JoinHandle<()>>>,
}

impl ConfigCache {
    pub fn new(client: ConfigClient, ttl: Duration) -> Arc<Self> {
        Arc::new(ConfigCache {
            client,
            entries: RwLock::new(HashMap::new()),
            ttl,
            misses: Mutex::new(0),
            refresher: Mutex::new(None),
        })
    }

    pub async fn get(&self, key: &str) -> Result<Arc<Document>, FetchError> {
        if let Some(entry) = self.entries.read().unwrap().get(key) {
            if entry.fetched_at.elapsed() < self.ttl {
                return Ok(Arc::clone(&entry.doc));
            }
        }
        *self.misses.lock().unwrap() += 1;
        let doc = Arc::new(self.client.fetch(key).await?);
        self.entries
            .write()
            .unwrap()
            .insert(key.to_string(), Entry { doc: Arc::clone(&doc), fetched_at: Instant::now() });
        Ok(doc)
    }

    pub async fn get_or_stale(&self, key: &str) -> Option<Arc<Document>> {
        if let Some(entry) = self.entries.read().unwrap().get(key) { //~ lock_across_await
            if entry.fetched_at.elapsed() > self.ttl {
                match self.client.fetch(key).await {
                    Ok(fresh) => return Some(Arc::new(fresh)),
                    Err(e) => debug!("serving stale {key}: {e}"),
                }
            }
            return Some(Arc::clone(&entry.doc));
        }
        None
    }

    async fn refresh_all(&self) {
        let keys: Vec<String> = self.entries.read().unwrap().keys().cloned().collect();
        for key in keys {
            match self.client.fetch(&key).await { //~ sequential_await
                Ok(doc) => {
                    let mut entries = self.entries.write().unwrap();
                    entries.insert(key, Entry { doc: Arc::new(doc), fetched_at: Instant::now() });
                }
                Err(e) => warn!("refresh of {key} failed: {e}"),
            }
        }
    }

    async fn refresh_all_batched(&self) -> Result<(), FetchError> {
        let mut entries = self.entries.write().unwrap(); //~ lock_across_await
        let keys: Vec<String> = entries.keys().cloned().collect();
        let docs = self.client.fetch_many(&keys).await?;
        for (key, doc) in keys.into_iter().zip(docs) {
            entries.insert(key, Entry { doc: Arc::new(doc), fetched_at: Instant::now() });
        }
        Ok(())
    }

    pub fn start_refresher(self: &Arc<Self>, every: Duration) {
        let cache = Arc::clone(self);
        let handle = tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                cache.refresh_all().await;
            }
        });
        if let Some(old) = self.refresher.lock().unwrap().replace(handle) {
            old.abort();
        }
    }

    pub fn start_batched_refresher(self: &Arc<Self>, every: Duration) {
        let cache = Arc::clone(self);
        tokio::spawn(async move { //~ detached_task
            loop {
                tokio::time::sleep(every).await;
                cache.refresh_all_batched().await.expect("batched refresh failed");
            }
        });
    }

    /// Called from synchronous plugin code running on the blocking pool.
    pub fn get_blocking(self: &Arc<Self>, key: &str) -> Option<Arc<Document>> {
        let cache = Arc::clone(self);
        let key = key.to_string();
        Handle::current().block_on(async move { cache.get(&key).await.ok() })
    }

    pub async fn get_for_plugin(self: Arc<Self>, key: String) -> Option<Arc<Document>> {
        tokio::task::spawn_blocking(move || {
            let handle = Handle::current();
            handle.block_on(self.get(&key)).ok()
        })
        .await
        .ok()
        .flatten()
    }

    pub async fn warm(&self, keys: &[&str]) {
        let handle = Handle::current();
        for key in keys {
            if let Err(e) = handle.block_on(self.get(key)) { //~ block_on_in_async
                warn!("warming {key} failed: {e}");
            }
        }
    }

    pub async fn stats(&self) -> (usize, u64) {
        let len = self.entries.read().unwrap().len();
        let misses = *self.misses.lock().unwrap();
        tokio::task::yield_now().await;
        (len, misses)
    }
}
