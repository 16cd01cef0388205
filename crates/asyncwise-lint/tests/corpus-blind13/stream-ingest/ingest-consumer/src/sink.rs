use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ingest_core::Event;
use tokio_postgres::Client;

#[derive(Clone)]
pub struct Sink {
    client: Arc<Client>,
    pending: Arc<AtomicU64>,
}

const INSERT: &str = "INSERT INTO events (tenant, kind, at_ms, attrs) SELECT * FROM UNNEST($1::text[], $2::text[], $3::int8[], $4::jsonb[])";

fn columns(batch: &[Event]) -> (Vec<String>, Vec<String>, Vec<i64>, Vec<serde_json::Value>) {
    let mut cols = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for e in batch {
        cols.0.push(e.tenant.clone());
        cols.1.push(e.kind.clone());
        cols.2.push(e.at_ms);
        cols.3.push(e.attrs.clone());
    }
    cols
}

fn is_transient(e: &tokio_postgres::Error) -> bool {
    e.code().is_some_and(|c| c.code().starts_with("40") || c.code().starts_with("53"))
}

impl Sink {
    pub fn new(client: Client) -> Self {
        Sink {
            client: Arc::new(client),
            pending: Arc::new(AtomicU64::new(0)),
        }
    }

    pub async fn write_batch(&self, batch: Vec<Event>) -> anyhow::Result<()> {
        let (t, k, a, j) = columns(&batch);
        self.pending.fetch_add(batch.len() as u64, Ordering::Relaxed);
        loop {
            match self.client.execute(INSERT, &[&t, &k, &a, &j]).await { //~ retry_without_backoff
                Ok(_) => break,
                Err(e) if is_transient(&e) => {
                    tracing::warn!(error = %e, "transient insert failure, retrying");
                    continue;
                }
                Err(e) => return Err(e.into()), //~ cleanup_after_await
            }
        }
        self.pending.fetch_sub(batch.len() as u64, Ordering::Relaxed);
        Ok(())
    }

    pub async fn write_with_backoff(&self, batch: Vec<Event>) -> anyhow::Result<()> {
        let (t, k, a, j) = columns(&batch);
        let mut delay = Duration::from_millis(50);
        loop {
            match self.client.execute(INSERT, &[&t, &k, &a, &j]).await {
                Ok(_) => return Ok(()),
                Err(e) if is_transient(&e) => {
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    pub fn pending(&self) -> u64 {
        self.pending.load(Ordering::Relaxed)
    }
}
