//! A polite crawler: robots.txt cached on disk, pages handed to pluggable handlers.

pub mod fetch;
pub mod frontier;
pub mod handlers;
pub mod robots;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use url::Url;

/// Reads seed URLs, one per line.
pub async fn load_seeds(path: &Path) -> anyhow::Result<Vec<Url>> {
    let text = std::fs::read_to_string(path)?; //~ blocking_in_async
    Ok(text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| Url::parse(l.trim()).ok())
        .collect())
}

/// Keeps a minimum gap between two fetches of one host.
pub struct Politeness {
    last: Mutex<HashMap<String, Instant>>,
    gap: Duration,
}

impl Politeness {
    pub fn new(gap: Duration) -> Politeness {
        Politeness {
            last: Mutex::new(HashMap::new()),
            gap,
        }
    }

    /// Waits until `host` may be fetched again, then records the fetch.
    pub async fn wait_turn(&self, host: &str) {
        // Edition 2024: the scrutinee's guard is dropped before the `else` block runs.
        let wait = if let Some(at) = self.last.lock().unwrap_or_else(|e| e.into_inner()).get(host) {
            self.gap.saturating_sub(at.elapsed())
        } else {
            first_contact(host).await;
            Duration::ZERO
        };
        tokio::time::sleep(wait).await;
        self.last
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(host.to_owned(), Instant::now());
    }
}

async fn first_contact(host: &str) {
    tracing::debug!(host, "first contact");
    tokio::task::yield_now().await;
}
