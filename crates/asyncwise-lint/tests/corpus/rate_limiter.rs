//! Per-client token-bucket rate limiter, used as tower-style middleware.
//!
//! The buckets are behind a std `Mutex`: every critical section is a few
//! arithmetic operations and never spans an `.await`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{Mutex as AsyncMutex, Semaphore};
use tokio::time;
use tracing::{debug, trace};

#[derive(Debug, Clone, Copy)]
pub struct Quota {
    pub burst: u32,
    pub per_second: f64,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn refill(&mut self, quota: Quota, now: Instant) {
        let elapsed = now.duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * quota.per_second).min(quota.burst as f64);
        self.last = now;
    }
}

#[derive(Clone)]
pub struct RateLimiter {
    quota: Quota,
    buckets: Arc<Mutex<HashMap<IpAddr, Bucket>>>,
    global: Arc<Semaphore>,
    audit: Arc<AsyncMutex<Vec<(IpAddr, Instant)>>>,
}

/// Sleeps for the given number of milliseconds on the tokio timer.
async fn sleep(ms: u64) {
    time::sleep(Duration::from_millis(ms)).await;
}

impl RateLimiter {
    pub fn new(quota: Quota, max_in_flight: usize) -> Self {
        RateLimiter {
            quota,
            buckets: Arc::new(Mutex::new(HashMap::new())),
            global: Arc::new(Semaphore::new(max_in_flight)),
            audit: Arc::new(AsyncMutex::new(Vec::new())),
        }
    }

    /// Returns how long the caller must wait before it may proceed.
    fn reserve(&self, ip: IpAddr) -> Option<Duration> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap();
        let bucket = buckets.entry(ip).or_insert(Bucket { tokens: self.quota.burst as f64, last: now });
        bucket.refill(self.quota, now);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            None
        } else {
            Some(Duration::from_secs_f64((1.0 - bucket.tokens) / self.quota.per_second))
        }
    }

    pub async fn acquire(&self, ip: IpAddr) {
        while let Some(wait) = self.reserve(ip) {
            trace!("{ip} throttled for {wait:?}");
            sleep(wait.as_millis() as u64).await;
        }
    }

    pub async fn try_acquire(&self, ip: IpAddr) -> bool {
        let allowed = {
            let mut buckets = self.buckets.lock().unwrap();
            match buckets.get_mut(&ip) {
                Some(b) if b.tokens >= 1.0 => {
                    b.tokens -= 1.0;
                    true
                }
                Some(_) => false,
                None => true,
            }
        };
        if !allowed {
            self.audit.lock().await.push((ip, Instant::now()));
        }
        allowed
    }

    pub async fn run_limited<F, T>(&self, ip: IpAddr, fut: F) -> T
    where
        F: std::future::Future<Output = T>,
    {
        self.acquire(ip).await;
        let _permit = self.global.acquire().await.expect("limiter closed");
        let mut audit = self.audit.lock().await;
        audit.retain(|(_, at)| at.elapsed() < Duration::from_secs(60));
        time::sleep(Duration::from_millis(1)).await;
        drop(audit);
        fut.await
    }

    pub async fn forget_idle(&self, idle_for: Duration) -> usize {
        let mut buckets = self.buckets.lock().unwrap();
        let before = buckets.len();
        buckets.retain(|_, b| b.last.elapsed() < idle_for);
        let removed = before - buckets.len();
        drop(buckets);
        debug!("forgot {removed} idle buckets");
        sleep(10).await;
        removed
    }

    pub async fn tokens_left(&self, ip: IpAddr) -> f64 {
        let tokens = self.buckets.lock().unwrap().get(&ip).map(|b| b.tokens).unwrap_or(self.quota.burst as f64);
        time::sleep(Duration::ZERO).await;
        tokens
    }

    pub fn spawn_janitor(&self) -> tokio::task::JoinHandle<()> {
        let limiter = self.clone();
        tokio::spawn(async move {
            let mut tick = time::interval(Duration::from_secs(300));
            loop {
                tick.tick().await;
                let removed = limiter.forget_idle(Duration::from_secs(600)).await;
                trace!("janitor removed {removed}");
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_is_respected() {
        let limiter = RateLimiter::new(Quota { burst: 2, per_second: 1.0 }, 10);
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(limiter.reserve(ip).is_none());
        assert!(limiter.reserve(ip).is_none());
        assert!(limiter.reserve(ip).is_some());
        std::thread::sleep(Duration::from_millis(1100));
        assert!(limiter.reserve(ip).is_none());
    }
}
