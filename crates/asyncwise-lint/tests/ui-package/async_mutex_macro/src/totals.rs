#[derive(Default)]
pub struct Totals {
    pub(crate) total: tokio::sync::Mutex<u64>, // ok: `bump!` in stats.rs locks `total`
    seen: tokio::sync::Mutex<u64>, //~ async_mutex_unneeded(pedantic)
}

impl Totals {
    pub async fn seen(&self) -> u64 {
        *self.seen.lock().await
    }

    pub async fn total(&self) -> u64 {
        *self.total.lock().await
    }
}
