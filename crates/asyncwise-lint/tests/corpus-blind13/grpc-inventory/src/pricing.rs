use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

#[derive(Clone)]
pub struct PricingClient {
    http: reqwest::Client,
    base: Arc<str>,
    hits: Arc<AtomicU64>,
}

impl PricingClient {
    pub fn new(base: &str) -> Self {
        PricingClient {
            http: reqwest::Client::new(),
            base: base.into(),
            hits: Arc::new(AtomicU64::new(0)),
        }
    }

    pub async fn fetch(&self, sku: &str) -> anyhow::Result<u64> {
        let url = format!("{}/price/{sku}", self.base);
        let cents = self.http.get(url).send().await?.error_for_status()?.json().await?;
        self.hits.fetch_add(1, Ordering::Relaxed);
        Ok(cents)
    }

    pub async fn priced_skus(&self, day: &str) -> anyhow::Result<u64> {
        let url = format!("{}/priced?day={day}", self.base);
        Ok(self.http.get(url).send().await?.json().await?)
    }

    pub async fn warm_hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }
}

#[derive(Clone)]
pub struct AuditLog {
    tx: tokio::sync::mpsc::Sender<(String, String)>,
    http: reqwest::Client,
}

impl AuditLog {
    pub fn new(tx: tokio::sync::mpsc::Sender<(String, String)>) -> Self {
        AuditLog {
            tx,
            http: reqwest::Client::new(),
        }
    }

    pub async fn record(&self, what: &str, sku: &str) {
        let _ = self.tx.send((what.to_owned(), sku.to_owned())).await;
    }

    pub async fn count_moves(&self, day: &str) -> anyhow::Result<u64> {
        let url = format!("http://audit.internal/moves?day={day}");
        Ok(self.http.get(url).send().await?.json().await?)
    }
}
