//! The worker's operations. None of them is cancelled in this file; callers elsewhere do.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use prometheus::IntGauge;

use crate::Flag;

pub struct Metrics {
    pub pending_flushes: IntGauge,
    pub open_fetches: IntGauge,
}

pub struct Worker {
    pub in_flight: AtomicUsize,
    pub compacting: AtomicBool,
    pub draining: Flag,
    pub metrics: Metrics,
    client: reqwest::Client,
    sink: Sink,
}

pub struct Sink;

impl Sink {
    pub async fn write(&self, batch: Vec<String>) {
        tracing::debug!(n = batch.len(), "batch written");
        tokio::task::yield_now().await;
    }

    pub async fn compact(&self) {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

impl Worker {
    pub fn new(metrics: Metrics) -> Self {
        Self {
            in_flight: AtomicUsize::new(0),
            compacting: AtomicBool::new(false),
            draining: Flag::default(),
            metrics,
            client: reqwest::Client::new(),
            sink: Sink,
        }
    }

    pub async fn fetch_page(&self, url: &str) -> Result<String, reqwest::Error> {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let response = self.client.get(url).send().await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst); //~ cleanup_after_await
        response?.text().await
    }

    pub(crate) async fn flush_batch(&self, batch: Vec<String>) {
        self.metrics.pending_flushes.inc();
        self.sink.write(batch).await;
        self.metrics.pending_flushes.dec(); //~ cleanup_after_await
    }

    pub(crate) async fn compact(&self) {
        self.compacting.store(true, Ordering::Release);
        self.sink.compact().await;
        self.compacting.store(false, Ordering::Release); //~ cleanup_after_await
    }

    pub(crate) async fn drain(&self, urls: Vec<String>) {
        self.draining.set(true);
        for url in urls {
            if let Err(err) = self.client.head(&url).send().await { //~ sequential_await
                tracing::warn!(%err, %url, "drain probe failed");
            }
        }
        self.draining.set(false); //~ cleanup_after_await
    }

    /// Counted around the bookkeeping only: nothing is awaited between the two calls.
    pub async fn record_batch(&self, batch: Vec<String>) {
        self.metrics.open_fetches.inc();
        let size = batch.len();
        self.metrics.open_fetches.dec();
        tracing::trace!(size, "recorded");
        self.sink.write(batch).await;
    }

    pub fn is_busy(&self) -> bool {
        self.compacting.load(Ordering::Acquire) || self.in_flight.load(Ordering::Relaxed) > 0
    }
}
