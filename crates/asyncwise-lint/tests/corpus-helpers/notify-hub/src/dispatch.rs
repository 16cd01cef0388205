//! Fan-out of incoming notifications to providers.

use std::sync::Arc;

use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;

use crate::providers::{Notification, SmsProvider, WebhookProvider};
use crate::registry::Registry;
use crate::Config;

#[derive(Clone)]
pub struct Hub {
    tx: mpsc::Sender<String>,
}

impl Hub {
    pub fn start(cfg: &Config, registry: Arc<Registry>) -> Hub {
        let (tx, rx) = mpsc::channel(1024);
        let rx = Arc::new(tokio::sync::Mutex::new(rx));
        let sms = Arc::new(SmsProvider::new(5));
        let web = Arc::new(WebhookProvider::new());
        for _ in 0..cfg.workers {
            let (rx, sms, web, registry) = (rx.clone(), sms.clone(), web.clone(), registry.clone());
            tokio::spawn(async move { //~ unbounded_spawn
                loop {
                    let next = rx.lock().await.recv().await;
                    let Some(raw) = next else { break };
                    let n = parse(&raw);
                    if let Err(e) = deliver(&sms, &web, &registry, n).await {
                        tracing::warn!(error = %e, "delivery failed");
                    }
                }
            });
        }
        Hub { tx }
    }

    pub async fn submit(&self, raw: String) {
        if self.tx.send(raw).await.is_err() {
            tracing::error!("dispatcher stopped");
        }
    }
}

fn parse(raw: &str) -> Notification {
    let (to, text) = raw.split_once('\n').unwrap_or((raw, ""));
    Notification {
        to: to.trim().to_owned(),
        text: text.to_owned(),
    }
}

async fn deliver(
    sms: &SmsProvider,
    web: &WebhookProvider,
    registry: &Registry,
    n: Notification,
) -> anyhow::Result<()> {
    if n.to.starts_with('+') {
        sms.send(&n).await
    } else {
        registry.deliver(web, &n).await
    }
}

/// Sends one notification to many recipients at once, detached: the caller does not wait.
pub fn blast(sms: Arc<SmsProvider>, recipients: Vec<String>, text: String) {
    for to in recipients {
        let sms = sms.clone();
        let n = Notification {
            to,
            text: text.clone(),
        };
        tokio::spawn(async move { sms.send(&n).await }); //~ unbounded_spawn, detached_task
    }
}

/// Same, at most eight at a time, and the caller learns how many failed.
pub async fn blast_bounded(sms: Arc<SmsProvider>, recipients: Vec<String>, text: String) -> usize {
    let limit = Arc::new(Semaphore::new(8));
    let mut tasks = JoinSet::new();
    for to in recipients {
        let permit = limit.clone().acquire_owned().await.expect("semaphore never closed");
        let sms = sms.clone();
        let n = Notification {
            to,
            text: text.clone(),
        };
        tasks.spawn(async move {
            let _permit = permit;
            sms.send(&n).await
        });
    }
    let mut failed = 0;
    while let Some(res) = tasks.join_next().await {
        if !matches!(res, Ok(Ok(()))) {
            failed += 1;
        }
    }
    failed
}

/// Warms provider connections with a fixed pool of four probes.
pub async fn warm_up(web: Arc<WebhookProvider>) {
    let mut probes = Vec::new();
    for i in 0..4 {
        let web = web.clone();
        probes.push(tokio::spawn(async move {
            let n = Notification {
                to: format!("probe-{i}"),
                text: String::new(),
            };
            web.send("https://probe.example.com/", &n).await
        }));
    }
    for probe in futures::future::join_all(probes).await {
        if let Ok(Err(e)) = probe {
            tracing::debug!(error = %e, "probe failed");
        }
    }
}

/// A queue for provider callbacks (delivery receipts), fed by the HTTP callback handler.
pub fn receipts_queue() -> (flume::Sender<String>, flume::Receiver<String>) {
    flume::unbounded() //~ unbounded_channel
}

/// Internal queue between the parser and the retry stage.
pub fn retry_queue() -> (async_channel::Sender<Notification>, async_channel::Receiver<Notification>) {
    async_channel::bounded(256)
}

/// Audit events; the auditor drains them on a timer.
pub fn audit_queue() -> (
    futures::channel::mpsc::UnboundedSender<String>,
    futures::channel::mpsc::UnboundedReceiver<String>,
) {
    futures::channel::mpsc::unbounded() //~ unbounded_channel
}

/// Re-sends a notification after a provider outage; fire and forget.
pub fn resend_later(web: Arc<WebhookProvider>, url: String, n: Notification) {
    let _ = tokio::spawn(async move { //~ detached_task
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
        web.send(&url, &n).await?;
        Ok::<_, anyhow::Error>(())
    });
}

/// Counts the recipients a provider knows, through its sync SDK call.
pub async fn known_recipients(web: &WebhookProvider) -> usize {
    let count = futures::executor::block_on(count_remote(web)); //~ block_on_in_async
    count.unwrap_or(0)
}

async fn count_remote(_web: &WebhookProvider) -> anyhow::Result<usize> {
    Ok(0)
}

/// The health probe run by the container's exec check, outside the runtime.
pub fn health_check_blocking(web: &WebhookProvider) -> bool {
    pollster::block_on(count_remote(web)).is_ok()
}

/// Health as an async endpoint.
pub async fn health(web: &WebhookProvider) -> bool {
    pollster::block_on(count_remote(web)).is_ok() //~ block_on_in_async
}
