#[derive(Default)]
pub struct Stats {
    hits: tokio::sync::Mutex<u64>, //~ async_mutex_unneeded(pedantic)
}

macro_rules! bump {
    ($s:expr) => {
        *$s.total.lock().await += 1;
    };
}

impl Stats {
    pub async fn record(&self) {
        *self.hits.lock().await += 1;
        let totals = crate::totals::Totals::default();
        bump!(totals);
    }
}
