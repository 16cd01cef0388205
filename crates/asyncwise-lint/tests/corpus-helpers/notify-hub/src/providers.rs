//! Delivery providers. Several were ported from a synchronous code base and still show it.

use std::net::ToSocketAddrs;
use std::path::Path;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Notification {
    pub to: String,
    pub text: String,
}

pub struct SmsProvider {
    http: reqwest::blocking::Client,
    per_second: u32,
}

impl SmsProvider {
    pub fn new(per_second: u32) -> SmsProvider {
        SmsProvider {
            http: reqwest::blocking::Client::new(),
            per_second,
        }
    }

    pub async fn send(&self, n: &Notification) -> anyhow::Result<()> {
        // Crude rate limit carried over from the thread-per-request version.
        std::thread::sleep(Duration::from_millis(1000 / u64::from(self.per_second.max(1)))); //~ blocking_in_async
        let form = [("to", n.to.as_str()), ("text", n.text.as_str())];
        let resp = self.http.post("https://sms.example.com/send").form(&form).send()?; //~ blocking_in_async
        resp.error_for_status()?;
        Ok(())
    }
}

pub struct WebhookProvider {
    http: reqwest::Client,
}

impl WebhookProvider {
    pub fn new() -> WebhookProvider {
        WebhookProvider {
            http: reqwest::Client::new(),
        }
    }

    pub async fn send(&self, url: &str, n: &Notification) -> anyhow::Result<()> {
        let host = url.trim_start_matches("https://").split('/').next().unwrap_or_default();
        let addrs: Vec<_> = (host, 443).to_socket_addrs()?.collect(); //~ blocking_in_async
        anyhow::ensure!(!addrs.is_empty(), "{host} does not resolve");
        self.http
            .post(url)
            .body(n.text.clone())
            .timeout(Duration::from_secs(5))
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    }
}

/// Appends to a local mbox, for development.
pub async fn deliver_to_mbox(dir: &Path, n: &Notification) -> std::io::Result<()> {
    let path = dir.join(format!("{}.mbox", n.to));
    if !path.exists() { //~ blocking_in_async
        tokio::fs::write(&path, b"").await?;
    }
    let mut existing = tokio::fs::read_to_string(&path).await?;
    existing.push_str(&n.text);
    tokio::fs::write(&path, existing).await
}

/// Sends a digest produced by a sync reporting thread.
pub async fn send_digest(sms: &SmsProvider, to: String) -> anyhow::Result<()> {
    let (tx, rx) = std::sync::mpsc::channel(); //~ unbounded_channel
    let worker = std::thread::spawn(move || {
        let digest = format!("{} events today", 42);
        let _ = tx.send(digest);
    });
    let text = rx.recv()?; //~ blocking_in_async
    worker.join().expect("digest thread panicked"); //~ blocking_in_async
    sms.send(&Notification { to, text }).await
}

/// Quota left for the day; the provider only has a blocking client.
pub async fn quota_left(sms: &SmsProvider) -> anyhow::Result<u64> {
    let http = sms.http.clone();
    let body = tokio::task::spawn_blocking(move || {
        http.get("https://sms.example.com/quota").send()?.text()
    })
    .await??;
    Ok(body.trim().parse()?)
}
