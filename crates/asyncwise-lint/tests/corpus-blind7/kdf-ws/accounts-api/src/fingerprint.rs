//! Two types with a `hash_password` method: one offloads the work, one is a cheap digest.

use std::sync::Arc;

use sha1::{Digest, Sha1};
use tokio::sync::Semaphore;

/// Hashes passwords on the blocking pool, at most `permits` at a time.
pub struct PasswordService {
    permits: Arc<Semaphore>,
}

impl PasswordService {
    pub fn new(permits: usize) -> Self {
        Self { permits: Arc::new(Semaphore::new(permits)) }
    }

    pub async fn hash_password(&self, password: String) -> anyhow::Result<String> {
        let _permit = self.permits.acquire().await?;
        let phc = tokio::task::spawn_blocking(move || pwcore::phc::hash_new(&password)).await??; // @helper
        Ok(phc)
    }
}

/// k-anonymity check against a breached-password range API: only a SHA-1 prefix leaves.
pub struct BreachCheck {
    base: String,
    client: reqwest::Client,
}

impl BreachCheck {
    pub fn new(base: &str) -> Self {
        Self { base: base.to_owned(), client: reqwest::Client::new() }
    }

    /// SHA-1 of the password in upper-case hex, as the range API expects.
    pub fn hash_password(&self, password: &str) -> String {
        Sha1::digest(password.as_bytes()).iter().map(|b| format!("{b:02X}")).collect()
    }

    pub async fn is_breached(&self, digest: &str) -> anyhow::Result<bool> {
        let (prefix, suffix) = digest.split_at(5);
        let body = self.client.get(format!("{}/range/{prefix}", self.base)).send().await?.text().await?;
        Ok(body.lines().any(|line| line.starts_with(suffix)))
    }
}
