use std::sync::Arc;

use crate::pool::Pool;

pub struct SearchIndex {
    pool: Arc<Pool>,
}

impl SearchIndex {
    pub fn new(pool: Arc<Pool>) -> SearchIndex {
        SearchIndex { pool }
    }

    pub async fn rebuild(&self) -> Result<u64, tokio_postgres::Error> {
        let conn = self.pool.get().await?;
        let n = conn.client.execute("REFRESH MATERIALIZED VIEW product_search", &[]).await?;
        self.pool.put(conn);
        Ok(n)
    }
}

/// Rebuilds the index from the admin CLI's thread, outside the runtime.
pub fn rebuild_on_thread(handle: tokio::runtime::Handle, index: SearchIndex) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || match handle.block_on(index.rebuild()) {
        Ok(n) => tracing::info!(rows = n, "rebuilt"),
        Err(e) => tracing::error!("rebuild failed: {e}"),
    })
}
