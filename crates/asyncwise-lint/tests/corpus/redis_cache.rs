//! Two-level cache: an in-process LRU in front of Redis.

use std::collections::HashMap;
use std::future::Future;
use std::num::NonZeroUsize;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use futures::StreamExt;
use lru::LruCache;
use parking_lot::Mutex;
use redis::aio::ConnectionManager;
use redis::AsyncCommands;
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinHandle;

#[derive(Clone)]
struct Entry {
    bytes: Vec<u8>,
    stored: Instant,
    ttl: Duration,
}

impl Entry {
    fn new(bytes: Vec<u8>, ttl: Duration) -> Self {
        Entry { bytes, stored: Instant::now(), ttl }
    }
    fn fresh(&self) -> bool {
        self.stored.elapsed() < self.ttl
    }
}

pub enum Invalidation {
    Key(String),
    Prefix(String),
}

pub struct CacheLayer {
    local: Arc<Mutex<LruCache<String, Entry>>>,
    negative: Arc<RwLock<HashMap<String, Instant>>>,
    conn: ConnectionManager,
    refresh_limit: Arc<Semaphore>,
    ttl: Duration,
}

impl CacheLayer {
    pub fn new(conn: ConnectionManager, ttl: Duration) -> Self {
        CacheLayer {
            local: Arc::new(Mutex::new(LruCache::new(NonZeroUsize::new(10_000).unwrap()))),
            negative: Arc::new(RwLock::new(HashMap::new())),
            conn,
            refresh_limit: Arc::new(Semaphore::new(16)),
            ttl,
        }
    }

    pub async fn get(&self, key: &str) -> redis::RedisResult<Option<Vec<u8>>> {
        if let Some(hit) = self.local.lock().get(key).filter(|e| e.fresh()).map(|e| e.bytes.clone()) {
            return Ok(Some(hit));
        }
        if self.negative.read().unwrap().get(key).map_or(false, |t| t.elapsed() < self.ttl) {
            return Ok(None);
        }
        let mut conn = self.conn.clone();
        let value: Option<Vec<u8>> = conn.get(key).await?;
        match &value {
            Some(bytes) => {
                self.local.lock().put(key.to_string(), Entry::new(bytes.clone(), self.ttl));
            }
            None => {
                self.negative.write().unwrap().insert(key.to_string(), Instant::now());
            }
        }
        Ok(value)
    }

    pub async fn set(&self, key: &str, bytes: &[u8]) -> redis::RedisResult<()> {
        let mut conn = self.conn.clone();
        conn.set_ex::<_, _, ()>(key, bytes, self.ttl.as_secs()).await?;
        let mut local = self.local.lock();
        local.put(key.to_string(), Entry::new(bytes.to_vec(), self.ttl));
        self.negative.write().unwrap().remove(key);
        Ok(())
    }

    pub async fn get_or_load<F, Fut>(&self, key: &str, load: F) -> anyhow::Result<Vec<u8>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = anyhow::Result<Vec<u8>>>,
    {
        match self.local.lock().get(key) { //~ lock_across_await
            Some(e) if e.fresh() => Ok(e.bytes.clone()),
            _ => {
                let bytes = load().await?;
                self.set(key, &bytes).await?;
                Ok(bytes)
            }
        }
    }

    pub async fn prime(&self, keys: &[&str]) -> usize {
        let fetch_one = async |k: &str| self.get(k).await.ok().flatten().is_some();
        let mut primed = 0;
        for k in keys {
            primed += fetch_one(k).await as usize;
        }
        primed
    }

    pub async fn invalidate_prefix(&self, prefix: &str) -> redis::RedisResult<usize> {
        let mut neg = self.negative.write().unwrap(); //~ lock_across_await
        neg.retain(|k, _| !k.starts_with(prefix));
        let mut conn = self.conn.clone();
        let keys: Vec<String> = conn.keys(format!("{prefix}*")).await?;
        for k in &keys {
            conn.del::<_, ()>(k).await?;
        }
        Ok(keys.len())
    }

    pub async fn evict_stale(&self) -> usize {
        let guard = self.local.lock();
        let stale: Vec<String> = guard.iter().filter(|(_, e)| !e.fresh()).map(|(k, _)| k.clone()).collect();
        drop(guard);
        let mut conn = self.conn.clone();
        for k in &stale {
            let _: redis::RedisResult<()> = conn.expire(k, 1).await;
        }
        let mut local = self.local.lock();
        for k in &stale {
            local.pop(k);
        }
        stale.len()
    }

    pub async fn refresh_hot(self: Arc<Self>, keys: Vec<String>) {
        for key in keys {
            let permit = match self.refresh_limit.clone().acquire_owned().await {
                Ok(p) => p,
                Err(_) => return,
            };
            let me = Arc::clone(&self);
            tokio::spawn(async move {
                let _permit = permit;
                if let Err(e) = me.get(&key).await {
                    log::warn!("refresh {key}: {e}");
                }
            });
        }
    }

    pub fn warm(self: &Arc<Self>, keys: &[String]) -> Vec<JoinHandle<()>> {
        keys.iter()
            .map(|k| {
                let me = Arc::clone(self);
                let k = k.clone();
                tokio::spawn(async move { //~ unbounded_spawn
                    let _ = me.get(&k).await;
                })
            })
            .collect()
    }

    pub fn invalidations(self: &Arc<Self>) -> mpsc::UnboundedSender<Invalidation> {
        let (tx, mut rx) = mpsc::unbounded_channel(); //~ unbounded_channel
        let me = Arc::clone(self);
        tokio::spawn(async move {
            while let Some(inv) = rx.recv().await {
                match inv {
                    Invalidation::Key(k) => {
                        me.local.lock().pop(&k);
                    }
                    Invalidation::Prefix(p) => {
                        if let Err(e) = me.invalidate_prefix(&p).await {
                            log::error!("invalidate {p}: {e}");
                        }
                    }
                }
            }
        });
        tx
    }

    pub fn start_pubsub_listener(self: &Arc<Self>, client: redis::Client) {
        let me = Arc::clone(self);
        tokio::spawn(async move { //~ detached_task
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe("cache:invalidate").await?;
            let mut stream = pubsub.on_message();
            while let Some(msg) = stream.next().await {
                let key: String = msg.get_payload()?;
                me.local.lock().pop(&key);
            }
            Ok::<_, redis::RedisError>(())
        });
    }
}
