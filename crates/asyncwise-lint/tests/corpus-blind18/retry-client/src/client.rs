use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use tokio::sync::RwLock;

use crate::error::Error;

#[derive(Debug, Deserialize)]
pub struct Account {
    pub id: u64,
    pub email: String,
}

pub struct AccountsClient {
    http: reqwest::Client,
    endpoints: Vec<String>,
    attempt_timeout: Duration,
    max_attempts: u32,
    token: RwLock<Option<String>>, //~ async_mutex_unneeded(pedantic)
}

impl AccountsClient {
    pub fn new(endpoints: Vec<String>) -> AccountsClient {
        AccountsClient {
            http: reqwest::Client::new(),
            endpoints,
            attempt_timeout: Duration::from_secs(2),
            max_attempts: 5,
            token: RwLock::new(None),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.endpoints[0], path)
    }

    /// GETs `path`, trying again whenever an attempt fails or times out.
    pub async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, Error> {
        loop {
            match tokio::time::timeout(self.attempt_timeout, self.http.get(self.url(path)).send()).await { //~ retry_without_backoff
                Ok(Ok(resp)) => return Ok(resp.json().await?),
                Ok(Err(e)) => tracing::debug!("request failed: {e}"),
                Err(_) => tracing::debug!("request timed out"),
            }
        }
    }

    /// GETs `path` with an exponential pause between attempts.
    pub async fn get_json_patient<T: DeserializeOwned>(&self, path: &str) -> Result<T, Error> {
        let mut delay = Duration::from_millis(100);
        loop {
            match self.http.get(self.url(path)).send().await {
                Ok(resp) => return Ok(resp.json().await?),
                Err(e) => {
                    tracing::debug!("request failed: {e}; next try in {delay:?}");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(10));
                }
            }
        }
    }

    /// Tries each endpoint once, in order, until one answers.
    pub async fn get_failover<T: DeserializeOwned>(&self, path: &str) -> Result<T, Error> {
        let mut candidates: Vec<&String> = self.endpoints.iter().rev().collect();
        loop {
            let Some(base) = candidates.pop() else {
                return Err(Error::Exhausted);
            };
            match self.http.get(format!("{base}{path}")).send().await {
                Ok(resp) => return Ok(resp.json().await?),
                Err(e) => tracing::warn!(%base, "endpoint failed: {e}"),
            }
        }
    }

    /// Retries a bounded number of times.
    pub async fn delete(&self, id: u64) -> Result<(), Error> {
        let mut attempts = 0;
        loop {
            match self.http.delete(self.url(&format!("/accounts/{id}"))).send().await {
                Ok(_) => return Ok(()),
                Err(e) if attempts < self.max_attempts => {
                    attempts += 1;
                    tracing::debug!("delete failed ({e}), attempt {attempts}");
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Fetches an account; on a 401 the token is refreshed once and the request sent again.
    pub async fn account(&self, id: u64) -> Result<Account, Error> {
        let mut refreshed = false;
        loop {
            let token = self.token.read().await.clone().unwrap_or_default();
            let resp = self.http.get(self.url(&format!("/accounts/{id}"))).bearer_auth(token).send().await?;
            match resp.status() {
                reqwest::StatusCode::UNAUTHORIZED if !refreshed => {
                    refreshed = true;
                    self.refresh_token().await?;
                    continue;
                }
                reqwest::StatusCode::UNAUTHORIZED => return Err(Error::Unauthorized),
                _ => return Ok(resp.json().await?),
            }
        }
    }

    async fn refresh_token(&self) -> Result<(), Error> {
        let fresh: String = self.http.post(self.url("/token")).send().await?.json().await?;
        *self.token.write().await = Some(fresh);
        Ok(())
    }

    async fn health(&self) -> Result<(), Error> {
        self.http.get(self.url("/health")).send().await?.error_for_status()?;
        Ok(())
    }

    /// Waits until the service answers its health check.
    pub async fn wait_ready(&self) {
        while self.health().await.is_err() {} //~ retry_without_backoff
    }

    /// Waits until the service answers, checking twice a second.
    pub async fn wait_ready_polling(&self) {
        while self.health().await.is_err() {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Loads several accounts one after the other.
    pub async fn accounts(&self, ids: &[u64]) -> Vec<Result<reqwest::Response, Error>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let account = self.http.get(self.url(&format!("/accounts/{id}"))).send().await; //~ sequential_await
            out.push(account.map_err(Error::from));
        }
        out
    }
}

/// Loads an account from the accounts service and its audit trail from the audit service.
pub async fn account_with_audit(
    accounts: &AccountsClient,
    audit: &AccountsClient,
    id: u64,
) -> Result<(Account, Vec<String>), Error> {
    let account = accounts.account(id).await?; //~ sequential_await
    let trail = audit.get_json::<Vec<String>>(&format!("/audit/{id}")).await?;
    Ok((account, trail))
}
