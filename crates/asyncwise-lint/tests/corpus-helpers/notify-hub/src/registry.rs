//! Webhook registrations, shared by every connection.

use std::collections::HashMap;
use std::sync::{Mutex, RwLock};
use std::time::Instant;

use crate::providers::{Notification, WebhookProvider};

#[derive(Default)]
pub struct Registry {
    hooks: Mutex<HashMap<String, (String, Instant)>>,
    muted: RwLock<Vec<String>>,
}

impl Registry {
    pub fn register(&self, user: &str, url: &str) {
        let mut hooks = self.hooks.lock().unwrap_or_else(|e| e.into_inner());
        hooks.insert(user.to_owned(), (url.to_owned(), Instant::now()));
    }

    pub fn expire(&self) {
        let mut hooks = self.hooks.lock().unwrap_or_else(|e| e.into_inner());
        hooks.retain(|_, (_, at)| at.elapsed().as_secs() < 86_400);
    }

    /// Delivers to the user's webhook, or logs that there is none.
    pub async fn deliver(&self, web: &WebhookProvider, n: &Notification) -> anyhow::Result<()> {
        if self.muted.read().unwrap_or_else(|e| e.into_inner()).contains(&n.to) {
            return Ok(());
        }
        let url = {
            let hooks = self.hooks.lock().unwrap_or_else(|e| e.into_inner());
            hooks.get(&n.to).map(|(url, _)| url.clone())
        };
        match url {
            Some(url) => web.send(&url, n).await,
            None => Ok(()),
        }
    }

    /// Delivers to every webhook; the registry stays locked while the requests run.
    pub async fn broadcast(&self, web: &WebhookProvider, text: &str) -> usize {
        let hooks = self.hooks.lock().unwrap_or_else(|e| e.into_inner()); //~ lock_across_await
        let mut sent = 0;
        for (user, (url, _)) in hooks.iter() {
            let n = Notification {
                to: user.clone(),
                text: text.to_owned(),
            };
            if web.send(url, &n).await.is_ok() { //~ sequential_await
                sent += 1;
            }
        }
        sent
    }

    /// Delivers to the webhook if there is one, otherwise to the fallback address.
    pub async fn deliver_or_fallback(&self, web: &WebhookProvider, n: &Notification) -> anyhow::Result<()> {
        if let Some((url, _)) = self.hooks.lock().unwrap_or_else(|e| e.into_inner()).get(&n.to).cloned() { //~ lock_across_await
            tracing::debug!(%url, "webhook registered; delivered by the dispatcher");
            Ok(())
        } else {
            web.send("https://fallback.example.com/notify", n).await
        }
    }

    pub async fn mute_until_acknowledged(&self, web: &WebhookProvider, n: &Notification) -> anyhow::Result<()> {
        let mut muted = self.muted.write().unwrap_or_else(|e| e.into_inner());
        muted.push(n.to.clone());
        drop(muted);
        web.send("https://ack.example.com/", n).await
    }
}
