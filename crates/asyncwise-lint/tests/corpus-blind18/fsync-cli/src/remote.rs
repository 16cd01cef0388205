use std::collections::HashSet;
use std::sync::Arc;

use serde::Deserialize;

#[derive(Clone)]
pub struct Remote {
    http: reqwest::Client,
    endpoint: Arc<str>,
    token: Arc<str>,
}

#[derive(Deserialize)]
pub struct Quota {
    pub used: u64,
    pub total: u64,
}

pub struct RemoteMeta {
    pub size: u64,
}

impl Remote {
    pub fn new(endpoint: &str, token: &str) -> Remote {
        Remote { http: reqwest::Client::new(), endpoint: endpoint.into(), token: token.into() }
    }

    /// Exchanges the long-lived token for a session; the server refuses while it warms up.
    pub async fn login(&self) -> anyhow::Result<()> {
        loop {
            let resp = self //~ retry_without_backoff
                .http
                .post(format!("{}/session", self.endpoint))
                .bearer_auth(&*self.token)
                .send()
                .await;
            match resp {
                Ok(r) if r.status().is_success() => break Ok(()),
                Ok(r) => tracing::warn!(status = %r.status(), "login rejected"),
                Err(e) => tracing::warn!("login failed: {e}"),
            }
        }
    }

    pub async fn list(&self) -> anyhow::Result<HashSet<String>> {
        let resp = self.http.get(format!("{}/objects", self.endpoint)).send().await?;
        Ok(resp.error_for_status()?.json().await?)
    }

    pub async fn quota(&self) -> anyhow::Result<Quota> {
        let resp = self.http.get(format!("{}/quota", self.endpoint)).send().await?;
        Ok(resp.json().await?)
    }

    pub async fn head(&self, rel: &str) -> anyhow::Result<Option<RemoteMeta>> {
        let resp = self.http.head(format!("{}/objects/{rel}", self.endpoint)).send().await?;
        if resp.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        Ok(Some(RemoteMeta { size: resp.content_length().unwrap_or(0) }))
    }

    pub async fn put(&self, rel: &str, body: Vec<u8>) -> anyhow::Result<()> {
        self.http
            .put(format!("{}/objects/{rel}", self.endpoint))
            .body(body)
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    }
}
