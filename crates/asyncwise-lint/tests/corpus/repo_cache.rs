//! A read-through cache for resolved manifests.
//!
//! Entries live in a `std::sync::RwLock<HashMap<..>>`; hit/miss statistics in a
//! `parking_lot::Mutex`. Both locks are only ever held for short, synchronous
//! sections — loaders are awaited with no lock held.

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use tracing::{debug, trace};

#[derive(Debug, Error)]
pub enum CacheError {
    #[error("loader failed: {0}")]
    Load(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("cache is at capacity ({0} entries) and nothing is evictable")]
    Full(usize),
}

/// Something that can produce a value for a key on a miss.
#[async_trait]
pub trait Loader<K, V>: Send + Sync {
    async fn load(&self, key: &K) -> Result<V, CacheError>;
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Stats {
    pub hits: u64,
    pub misses: u64,
    pub evictions: u64,
    pub refreshes: u64,
}

impl Stats {
    pub fn hit_ratio(&self) -> f64 {
        let total = self.hits + self.misses;
        if total == 0 {
            0.0
        } else {
            self.hits as f64 / total as f64
        }
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "hits={} misses={} evictions={} ratio={:.2}",
            self.hits,
            self.misses,
            self.evictions,
            self.hit_ratio()
        )
    }
}

#[derive(Debug, Clone)]
struct Entry<V> {
    value: V,
    inserted: Instant,
}

/// Builder for [`Cache`].
#[derive(Debug, Clone)]
pub struct CacheBuilder {
    capacity: usize,
    ttl: Option<Duration>,
}

impl Default for CacheBuilder {
    fn default() -> Self {
        Self { capacity: 1024, ttl: None }
    }
}

impl CacheBuilder {
    pub fn capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity;
        self
    }

    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }

    pub fn build<K, V, L>(self, loader: L) -> Cache<K, V, L> {
        Cache {
            entries: RwLock::new(HashMap::with_capacity(self.capacity)),
            stats: Mutex::new(Stats::default()),
            pending: Mutex::new(HashMap::new()),
            loader: Arc::new(loader),
            capacity: self.capacity,
            ttl: self.ttl,
        }
    }
}

pub struct Cache<K, V, L> {
    entries: RwLock<HashMap<K, Entry<V>>>,
    stats: Mutex<Stats>,
    pending: Mutex<HashMap<K, u32>>,
    loader: Arc<L>,
    capacity: usize,
    ttl: Option<Duration>,
}

impl<K, V, L> Cache<K, V, L>
where
    K: Eq + Hash + Clone + fmt::Debug + Send + Sync,
    V: Clone + Send + Sync,
    L: Loader<K, V>,
{
    fn fresh(&self, e: &Entry<V>) -> bool {
        self.ttl.map_or(true, |ttl| e.inserted.elapsed() < ttl)
    }

    /// Synchronous lookup; never loads.
    pub fn peek(&self, key: &K) -> Option<V> {
        let entries = self.entries.read().unwrap();
        let e = entries.get(key)?;
        self.fresh(e).then(|| e.value.clone())
    }

    pub fn stats(&self) -> Stats {
        *self.stats.lock()
    }

    pub fn len(&self) -> usize {
        self.entries.read().unwrap().len()
    }

    /// Insert, evicting the oldest entry when full. Synchronous.
    pub fn insert(&self, key: K, value: V) {
        let mut entries = self.entries.write().unwrap();
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            if let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, e)| e.inserted)
                .map(|(k, _)| k.clone())
            {
                entries.remove(&oldest);
                self.stats.lock().evictions += 1;
            }
        }
        entries.insert(key, Entry { value, inserted: Instant::now() });
    }

    /// Read-through get.
    pub async fn get(&self, key: &K) -> Result<V, CacheError> {
        if let Some(v) = self.peek(key) {
            self.stats.lock().hits += 1;
            return Ok(v);
        }
        self.stats.lock().misses += 1;
        *self.pending.lock().entry(key.clone()).or_default() += 1;
        let loaded = self.loader.load(key).await;
        self.pending.lock().remove(key);
        let value = loaded?;
        self.insert(key.clone(), value.clone());
        Ok(value)
    }

    /// Like [`get`](Self::get) but returns a stale value immediately and
    /// refreshes it in place.
    pub async fn get_or_refresh(&self, key: &K) -> Result<V, CacheError> {
        let stale = {
            let entries = self.entries.read().unwrap();
            entries.get(key).map(|e| (e.value.clone(), self.fresh(e)))
        };
        match stale {
            Some((v, true)) => Ok(v),
            Some((v, false)) => {
                let mut stats = self.stats.lock(); //~ lock_across_await
                stats.refreshes += 1;
                match self.loader.load(key).await {
                    Ok(fresh) => {
                        self.insert(key.clone(), fresh.clone());
                        Ok(fresh)
                    }
                    Err(e) => {
                        debug!(?key, error = %e, "refresh failed, serving stale");
                        Ok(v)
                    }
                }
            }
            None => self.get(key).await,
        }
    }

    /// Reloads every live key. Used by the admin "warm" endpoint.
    pub async fn refresh_all(&self) -> usize {
        let entries = self.entries.read().unwrap(); //~ lock_across_await
        let keys: Vec<K> = entries.keys().cloned().collect();
        let mut refreshed = 0;
        for key in keys {
            if let Ok(v) = self.loader.load(&key).await {
                trace!(?key, "refreshed");
                self.stats.lock().refreshes += 1;
                refreshed += 1;
                let _ = v;
            }
        }
        refreshed
    }

    /// Evicts expired entries, then asks the loader to pre-load hot keys.
    pub async fn sweep(&self, hot: &[K]) -> Result<usize, CacheError> {
        let removed = {
            let mut entries = self.entries.write().unwrap();
            let before = entries.len();
            let ttl = self.ttl;
            entries.retain(|_, e| ttl.map_or(true, |t| e.inserted.elapsed() < t));
            before - entries.len()
        };
        self.stats.lock().evictions += removed as u64;

        for key in hot {
            let in_flight = self.pending.lock();
            let busy = in_flight.contains_key(key);
            drop(in_flight);
            if busy {
                continue;
            }
            let v = self.loader.load(key).await?;
            self.insert(key.clone(), v);
        }
        Ok(removed)
    }

    /// Number of loads currently waiting on `key`.
    pub async fn wait_pending(&self, key: &K) -> u32 {
        match self.pending.lock().get(key).copied() { //~ lock_across_await
            Some(n) if n > 0 => {
                tokio::task::yield_now().await;
                n
            }
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Counting(AtomicUsize);

    #[async_trait]
    impl Loader<String, usize> for Counting {
        async fn load(&self, key: &String) -> Result<usize, CacheError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(key.len())
        }
    }

    #[test]
    fn stats_display() {
        let s = Stats { hits: 3, misses: 1, evictions: 0, refreshes: 0 };
        assert_eq!(s.to_string(), "hits=3 misses=1 evictions=0 ratio=0.75");
    }

    #[test]
    fn insert_evicts_oldest() {
        let c = CacheBuilder::default().capacity(1).build(Counting(AtomicUsize::new(0)));
        c.insert("a".to_string(), 1);
        c.insert("b".to_string(), 2);
        assert_eq!(c.len(), 1);
        assert_eq!(c.peek(&"b".to_string()), Some(2));
        assert_eq!(c.stats().evictions, 1);
    }

    #[tokio::test]
    async fn get_loads_once() {
        let c = CacheBuilder::default().build(Counting(AtomicUsize::new(0)));
        let k = "hello".to_string();
        assert_eq!(c.get(&k).await.unwrap(), 5);
        assert_eq!(c.get(&k).await.unwrap(), 5);
        assert_eq!(c.loader.0.load(Ordering::SeqCst), 1);
        let stats = c.stats.lock();
        assert_eq!(stats.hits, 1);
    }
}
