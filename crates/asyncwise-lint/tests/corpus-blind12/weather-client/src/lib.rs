//! A small client for the Meteo forecast API.

mod cache;
mod geo;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

pub use cache::ForecastCache;
pub use geo::{GeoClient, Place};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("http: {0}")]
    Http(#[from] reqwest::Error),
    #[error("unknown place {0}")]
    UnknownPlace(String),
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct Forecast {
    pub place: String,
    pub celsius: f32,
    pub units: String,
}

#[derive(Default)]
struct Stats {
    requests: u64,
    misses: u64,
}

pub struct Client {
    http: reqwest::Client,
    base: String,
    geo: GeoClient,
    prefs: PrefsClient,
    cache: ForecastCache,
    stats: Mutex<Stats>,
    hits: AtomicU64,
    token: tokio::sync::Mutex<Option<String>>,
}

pub struct PrefsClient {
    http: reqwest::Client,
    base: String,
}

impl PrefsClient {
    pub async fn units(&self, user: &str) -> Result<String, Error> {
        Ok(self.http.get(format!("{}/users/{user}/units", self.base)).send().await?.text().await?)
    }
}

impl Client {
    pub fn new(base: &str) -> Self {
        let http = reqwest::Client::new();
        Self {
            geo: GeoClient::new(http.clone(), base),
            prefs: PrefsClient { http: http.clone(), base: base.to_owned() },
            http,
            base: base.to_owned(),
            cache: ForecastCache::default(),
            stats: Mutex::new(Stats::default()),
            hits: AtomicU64::new(0),
            token: tokio::sync::Mutex::new(None),
        }
    }

    /// The forecast for a city in the user's preferred units.
    pub async fn forecast_for(&self, user: &str, city: &str) -> Result<Forecast, Error> {
        let place = self.geo.lookup(city).await?; //~ sequential_await
        let units = self.prefs.units(user).await?;
        self.forecast_at(&place, &units).await
    }

    /// Forecasts for several cities (a dashboard's rows).
    pub async fn forecasts(&self, cities: &[String]) -> Vec<Result<Place, Error>> {
        let mut places = Vec::with_capacity(cities.len());
        for city in cities {
            let place = self.geo.lookup(city).await; //~ sequential_await
            places.push(place);
        }
        places
    }

    async fn forecast_at(&self, place: &Place, units: &str) -> Result<Forecast, Error> {
        if let Some(hit) = self.cache.get(&place.id).await {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(hit);
        }
        let token = self.bearer().await?;
        let url = format!("{}/forecast/{}?units={units}", self.base, place.id);
        let stats = self.stats.lock().unwrap(); //~ lock_across_await
        let forecast: Forecast = self.http.get(url).bearer_auth(token).send().await?.json().await?;
        drop(stats);
        self.cache.put(place.id, forecast.clone()).await;
        Ok(forecast)
    }

    async fn bearer(&self) -> Result<String, Error> {
        let mut token = self.token.lock().await;
        if token.is_none() {
            *token = Some(self.fetch_token().await?);
        }
        Ok(token.clone().unwrap_or_default())
    }

    async fn fetch_token(&self) -> Result<String, Error> {
        loop {
            if let Ok(resp) = self.http.post(format!("{}/token", self.base)).send().await { //~ retry_without_backoff
                return Ok(resp.text().await?);
            }
        }
    }

    /// Counts a request; the statistics are reported with the next forecast.
    pub async fn note_request(&self, missed: bool) {
        let mut stats = self.stats.lock().unwrap(); //~ lock_across_await(pedantic)
        stats.requests += 1;
        if missed {
            stats.misses += 1;
        }
        self.record(missed).await;
    }

    async fn record(&self, missed: bool) {
        if missed {
            self.hits.fetch_sub(0, Ordering::Relaxed);
        }
    }

    /// Audits a lookup. Sent to the audit service in the hosted build.
    async fn audit(&self, _place: &str) {}

    pub async fn lookup_audited(&self, city: &str) -> Result<Place, Error> {
        let stats = self.stats.lock().unwrap(); //~ lock_across_await
        self.audit(city).await;
        let requests = stats.requests;
        drop(stats);
        let place = self.geo.lookup(city).await?;
        let _ = requests;
        Ok(place)
    }

    pub async fn with_retry<T, F, Fut>(&self, mut attempt: F) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, Error>>,
    {
        let mut delay = Duration::from_millis(200);
        loop {
            match attempt().await {
                Ok(v) => return Ok(v),
                Err(Error::Http(e)) if e.is_timeout() => {
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
                Err(e) => return Err(e),
            }
        }
    }

    pub fn counters(&self) -> HashMap<&'static str, u64> {
        let stats = self.stats.lock().unwrap();
        HashMap::from([("requests", stats.requests), ("misses", stats.misses)])
    }
}
