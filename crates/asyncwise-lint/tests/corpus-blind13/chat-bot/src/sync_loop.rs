use std::sync::Arc;

use crate::api::{ApiError, Client, Session};
use crate::commands;
use crate::storage::Store;

pub async fn login(client: &Client, user: &str, password: &str) -> Result<Session, ApiError> {
    loop {
        match client.login(user, password).await { //~ retry_without_backoff
            Ok(session) => return Ok(session),
            Err(e) if e.is_transient() => {
                tracing::warn!(error = %e, "login failed, trying again");
                continue;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Long-polls `/sync`: the server holds each request up to 30 s, so going round at once is
/// the protocol, not a spin.
pub async fn run(client: Client, store: Arc<Store>) -> anyhow::Result<()> {
    let mut since: Option<String> = store.since();
    loop {
        let resp = match client.sync(since.as_deref()).await {
            Ok(resp) => resp,
            Err(e) => {
                tracing::warn!(error = %e, "sync failed");
                continue;
            }
        };
        since = Some(resp.next_batch.clone());
        store.set_since(&resp.next_batch);
        for event in resp.events {
            tokio::spawn(commands::handle(client.clone(), store.clone(), event)); //~ unbounded_spawn, detached_task
        }
    }
}
