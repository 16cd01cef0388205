//! Catalogue corpus: a rate limiter on tokio's clock.

use std::time::Duration;
use tokio::sync::Semaphore;

pub struct RateLimiter {
    permits: Semaphore,
    refill: Duration,
}

impl RateLimiter {
    pub fn new(per_tick: usize, refill: Duration) -> Self {
        RateLimiter { permits: Semaphore::new(per_tick), refill }
    }

    pub async fn acquire(&self) {
        if let Ok(permit) = self.permits.acquire().await {
            permit.forget();
        }
    }

    pub async fn refill_once(&self, n: usize) {
        tokio::time::sleep(self.refill).await;
        self.permits.add_permits(n);
    }
}
