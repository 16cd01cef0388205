//! Counters left by a guard, so a dropped future cannot leave them raised.

use std::sync::atomic::{AtomicUsize, Ordering};

use prometheus::IntGauge;

pub struct InFlight<'a>(&'a AtomicUsize);

impl<'a> InFlight<'a> {
    pub fn enter(counter: &'a AtomicUsize) -> Self {
        counter.fetch_add(1, Ordering::SeqCst);
        Self(counter)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

pub struct Uploader {
    pub active: AtomicUsize,
    pub queued: IntGauge,
    client: reqwest::Client,
}

impl Uploader {
    pub fn new(queued: IntGauge) -> Self {
        Self { active: AtomicUsize::new(0), queued, client: reqwest::Client::new() }
    }

    pub async fn upload(&self, url: &str, body: Vec<u8>) -> Result<(), reqwest::Error> {
        let _in_flight = InFlight::enter(&self.active);
        self.client.put(url).body(body).send().await?.error_for_status()?;
        Ok(())
    }

    pub async fn upload_queued(&self, url: &str, body: Vec<u8>) -> Result<(), reqwest::Error> {
        self.queued.inc();
        let _leave = scopeguard::guard((), |_| self.queued.dec());
        self.client.post(url).body(body).send().await?;
        Ok(())
    }

    /// A per-connection session task: spawned and never aborted, its handle is dropped.
    pub fn start_session(self: std::sync::Arc<Self>, url: String) {
        tokio::spawn(async move {
            self.active.fetch_add(1, Ordering::SeqCst);
            let outcome = self.client.get(&url).send().await;
            self.active.fetch_sub(1, Ordering::SeqCst);
            if let Err(err) = outcome {
                tracing::warn!(%err, "session ended with an error");
            }
        });
    }
}
