use std::collections::HashMap;
use std::time::{Duration, Instant};

use tokio::sync::RwLock;

use crate::Forecast;

const TTL: Duration = Duration::from_secs(600);

#[derive(Default)]
pub struct ForecastCache {
    entries: RwLock<HashMap<u64, (Instant, Forecast)>>, //~ async_mutex_unneeded
}

impl ForecastCache {
    pub async fn get(&self, place: &u64) -> Option<Forecast> {
        let entries = self.entries.read().await;
        entries
            .get(place)
            .filter(|(at, _)| at.elapsed() < TTL)
            .map(|(_, f)| f.clone())
    }

    pub async fn put(&self, place: u64, forecast: Forecast) {
        self.entries.write().await.insert(place, (Instant::now(), forecast));
    }

    pub async fn evict_expired(&self) -> usize {
        let mut entries = self.entries.write().await;
        let before = entries.len();
        entries.retain(|_, (at, _)| at.elapsed() < TTL);
        before - entries.len()
    }
}
