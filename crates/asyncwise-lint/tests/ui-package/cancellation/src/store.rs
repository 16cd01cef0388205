use std::sync::atomic::{AtomicUsize, Ordering};

#[async_trait::async_trait]
pub trait Store: Send + Sync {
    async fn put(&self, body: bytes::Bytes);
    async fn compact(&self);
}

#[derive(Default)]
pub struct Disk {
    pending: AtomicUsize,
    file: tokio::sync::Mutex<Option<tokio::fs::File>>,
}

#[derive(Default)]
pub struct Counters {
    pub flushing: AtomicUsize,
    pub audits: AtomicUsize,
    pub warming: AtomicUsize,
}

#[async_trait::async_trait]
impl Store for Disk {
    async fn put(&self, body: bytes::Bytes) {
        self.pending.fetch_add(1, Ordering::Relaxed);
        self.append(&body).await;
        self.pending.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await
    }

    async fn compact(&self) {
        metrics::gauge!("compacting").increment(1.0);
        self.rewrite().await;
        metrics::gauge!("compacting").decrement(1.0); //~ cleanup_after_await(pedantic)
    }
}

impl Disk {
    async fn append(&self, body: &[u8]) {
        let _ = body;
    }

    async fn rewrite(&self) {}
}

/// Named like the trait's method, but inherent: a call through `dyn Store` never reaches it.
pub struct Ledger {
    open: AtomicUsize,
}

impl Ledger {
    pub(crate) async fn put(&self, body: bytes::Bytes) {
        self.open.fetch_add(1, Ordering::Relaxed);
        record(body).await;
        self.open.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await(pedantic)
    }
}

async fn record(body: bytes::Bytes) {
    let _ = body;
}

pub(crate) async fn flush_all(counters: &Counters) {
    counters.flushing.fetch_add(1, Ordering::Relaxed);
    record(bytes::Bytes::new()).await;
    counters.flushing.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await
}

pub(crate) async fn audit(counters: &Counters) {
    counters.audits.fetch_add(1, Ordering::Relaxed);
    record(bytes::Bytes::new()).await;
    counters.audits.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await
}

pub(crate) async fn warm_up(counters: &Counters) {
    counters.warming.fetch_add(1, Ordering::Relaxed);
    record(bytes::Bytes::new()).await;
    counters.warming.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await(pedantic)
}

// `pub`, but in a binary: no other crate calls it, and `main` awaits it to the end.
pub async fn reload(counters: &Counters) {
    counters.warming.fetch_add(1, Ordering::Relaxed);
    record(bytes::Bytes::new()).await;
    counters.warming.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await(pedantic)
}
