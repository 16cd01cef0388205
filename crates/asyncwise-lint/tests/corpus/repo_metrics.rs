//! In-process metrics with periodic push to a collector.
//!
//! Counters and gauges are recorded synchronously from anywhere (including
//! non-async code) and aggregated in a `std::sync::Mutex`. A background task
//! snapshots the registry every `interval` and pushes it over HTTP.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use thiserror::Error;
use tokio::sync::mpsc::unbounded_channel as event_queue;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;
use tracing::{debug, warn};

#[derive(Debug, Error)]
pub enum MetricsError {
    #[error("push failed: {0}")]
    Push(#[from] reqwest::Error),
    #[error("collector rejected batch with status {0}")]
    Rejected(u16),
    #[error("metric name {0:?} is invalid")]
    InvalidName(String),
}

#[derive(Debug, Clone, Deserialize)]
pub struct MetricsConfig {
    pub endpoint: String,
    #[serde(default = "default_interval", with = "humantime_serde")]
    pub interval: Duration,
    #[serde(default)]
    pub prefix: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

fn default_interval() -> Duration {
    Duration::from_secs(15)
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
#[serde(tag = "type", content = "value", rename_all = "lowercase")]
pub enum Value {
    Counter(u64),
    Gauge(f64),
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct Snapshot {
    pub timestamp: u64,
    pub labels: BTreeMap<String, String>,
    pub values: BTreeMap<String, Value>,
}

impl fmt::Display for Snapshot {
    /// Prometheus-ish text exposition, used by the `/metrics` debug page.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut labels = String::new();
        for (i, (k, v)) in self.labels.iter().enumerate() {
            if i > 0 {
                labels.push(',');
            }
            let _ = write!(labels, "{k}=\"{v}\"");
        }
        for (name, value) in &self.values {
            match value {
                Value::Counter(c) => writeln!(f, "{name}{{{labels}}} {c}")?,
                Value::Gauge(g) => writeln!(f, "{name}{{{labels}}} {g}")?,
            }
        }
        Ok(())
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Increment a counter on the global registry.
#[macro_export]
macro_rules! counter {
    ($name:expr) => {
        $crate::metrics::global().incr($name, 1)
    };
    ($name:expr, $n:expr) => {
        $crate::metrics::global().incr($name, $n)
    };
}

#[derive(Debug, Default)]
pub struct Registry {
    values: Mutex<BTreeMap<String, Value>>,
    labels: BTreeMap<String, String>,
}

static GLOBAL: OnceLock<Arc<Registry>> = OnceLock::new();

pub fn global() -> &'static Arc<Registry> {
    GLOBAL.get_or_init(|| Arc::new(Registry::default()))
}

impl Registry {
    pub fn incr(&self, name: &str, n: u64) {
        let mut values = self.values.lock().unwrap();
        match values.entry(name.to_owned()).or_insert(Value::Counter(0)) {
            Value::Counter(c) => *c += n,
            other => warn!(name, ?other, "metric type mismatch"),
        }
    }

    pub fn gauge(&self, name: &str, v: f64) -> Result<(), MetricsError> {
        if !valid_name(name) {
            return Err(MetricsError::InvalidName(name.to_owned()));
        }
        self.values.lock().unwrap().insert(name.to_owned(), Value::Gauge(v));
        Ok(())
    }

    pub fn snapshot(&self) -> Snapshot {
        let values = self.values.lock().unwrap().clone();
        Snapshot {
            timestamp: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
            labels: self.labels.clone(),
            values,
        }
    }
}

/// Pushes snapshots to the collector.
pub struct Reporter {
    http: reqwest::Client,
    config: MetricsConfig,
    registry: Arc<Registry>,
    events: UnboundedSender<String>,
    flusher: Option<JoinHandle<()>>,
}

impl Reporter {
    pub fn new(config: MetricsConfig, registry: Arc<Registry>) -> Self {
        let (events, mut rx) = event_queue::<String>(); //~ unbounded_channel
        let reg = registry.clone();
        let flusher = tokio::spawn(async move {
            while let Some(name) = rx.recv().await {
                reg.incr(&name, 1);
            }
        });
        Self {
            http: reqwest::Client::new(),
            config,
            registry,
            events,
            flusher: Some(flusher),
        }
    }

    /// Record an event from any thread without touching the registry lock.
    pub fn event(&self, name: &str) {
        let _ = self.events.send(name.to_owned());
    }

    pub async fn flush_once(&self) -> Result<(), MetricsError> {
        let mut snap = self.registry.snapshot();
        if !self.config.prefix.is_empty() {
            snap.values = snap
                .values
                .into_iter()
                .map(|(k, v)| (format!("{}{}", self.config.prefix, k), v))
                .collect();
        }
        snap.labels.extend(self.config.labels.clone());
        let resp = self.http.post(&self.config.endpoint).json(&snap).send().await?;
        if !resp.status().is_success() {
            return Err(MetricsError::Rejected(resp.status().as_u16()));
        }
        debug!(count = snap.values.len(), "metrics pushed");
        Ok(())
    }

    /// Starts the periodic flush loop.
    pub fn start(self: Arc<Self>) {
        let interval = self.config.interval;
        tokio::spawn(async move { //~ detached_task
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                self.flush_once().await.expect("metrics push failed");
            }
        });
    }

    /// Starts the flush loop, logging failures instead of dying on them.
    pub fn start_resilient(self: Arc<Self>) -> JoinHandle<()> {
        let interval = self.config.interval;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            loop {
                tick.tick().await;
                if let Err(e) = self.flush_once().await {
                    warn!(error = %e, "metrics push failed");
                }
            }
        })
    }

    /// Final flush on shutdown.
    pub async fn shutdown(mut self) {
        if let Some(f) = self.flusher.take() {
            f.abort();
        }
        if let Err(e) = futures::executor::block_on(self.flush_once()) { //~ block_on_in_async
            warn!(error = %e, "final metrics flush failed");
        }
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        if let Some(f) = self.flusher.take() {
            f.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_validated() {
        assert!(valid_name("http_requests_total"));
        assert!(!valid_name("bad name"));
        assert!(Registry::default().gauge("", 1.0).is_err());
    }

    #[test]
    fn counters_accumulate() {
        let r = Registry::default();
        r.incr("hits", 2);
        r.incr("hits", 3);
        assert_eq!(r.snapshot().values["hits"], Value::Counter(5));
    }

    #[test]
    fn exposition_format() {
        let mut s = Snapshot::default();
        s.labels.insert("host".into(), "a".into());
        s.values.insert("up".into(), Value::Gauge(1.0));
        assert_eq!(s.to_string(), "up{host=\"a\"} 1\n");
    }

    #[tokio::test]
    async fn events_reach_registry() {
        let reg = Arc::new(Registry::default());
        let cfg = MetricsConfig {
            endpoint: "http://127.0.0.1:9/".into(),
            interval: default_interval(),
            prefix: String::new(),
            labels: BTreeMap::new(),
        };
        let rep = Reporter::new(cfg, reg.clone());
        rep.event("login");
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(reg.snapshot().values.get("login"), Some(&Value::Counter(1)));
    }
}
