use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::AppState;

#[derive(Default)]
pub struct PriceCache {
    entries: tokio::sync::Mutex<HashMap<String, u64>>, //~ async_mutex_unneeded
}

impl PriceCache {
    pub async fn lookup(&self, sku: &str) -> Option<u64> {
        self.entries.lock().await.get(sku).copied()
    }

    pub async fn replace(&self, fresh: HashMap<String, u64>) {
        let mut map = self.entries.lock().await;
        map.clear();
        map.extend(fresh);
    }
}

async fn fetch_prices(client: &reqwest::Client) -> anyhow::Result<HashMap<String, u64>> {
    let resp = client
        .get("http://pricing.internal/v1/prices")
        .send()
        .await?
        .error_for_status()?;
    Ok(resp.json().await?)
}

pub async fn refresh_loop(state: Arc<AppState>) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        let fresh = fetch_prices(&client).await?;
        state.prices.replace(fresh).await;
    }
}
