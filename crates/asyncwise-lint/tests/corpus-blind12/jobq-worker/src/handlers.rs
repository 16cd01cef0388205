use std::collections::HashMap;

use async_trait::async_trait;

use crate::Job;

#[async_trait]
pub trait Handler: Send + Sync {
    async fn handle(&self, job: &Job) -> anyhow::Result<()>;
}

pub struct Registry {
    handlers: HashMap<String, Box<dyn Handler>>,
}

impl Registry {
    pub fn standard() -> Self {
        let mut handlers: HashMap<String, Box<dyn Handler>> = HashMap::new();
        handlers.insert("webhook".into(), Box::new(WebhookHandler::new()));
        handlers.insert("email".into(), Box::new(EmailHandler::default()));
        handlers.insert("legacy-report".into(), Box::new(LegacyReportHandler::new()));
        Self { handlers }
    }

    pub async fn dispatch(&self, job: &Job) -> anyhow::Result<()> {
        let handler = self
            .handlers
            .get(&job.kind)
            .ok_or_else(|| anyhow::anyhow!("no handler for {}", job.kind))?;
        handler.handle(job).await
    }
}

/// Posts the payload to the subscriber's URL.
pub struct WebhookHandler {
    http: reqwest::blocking::Client,
}

impl WebhookHandler {
    pub fn new() -> Self {
        Self { http: reqwest::blocking::Client::new() }
    }
}

#[async_trait]
impl Handler for WebhookHandler {
    async fn handle(&self, job: &Job) -> anyhow::Result<()> {
        let url = job.payload["url"].as_str().unwrap_or_default();
        let status = self.http.post(url).json(&job.payload).send()?.status(); //~ blocking_in_async
        anyhow::ensure!(status.is_success(), "webhook answered {status}");
        Ok(())
    }
}

#[derive(Default)]
pub struct EmailHandler {
    outbox: tokio::sync::Mutex<Vec<String>>, //~ async_mutex_unneeded
}

#[async_trait]
impl Handler for EmailHandler {
    async fn handle(&self, job: &Job) -> anyhow::Result<()> {
        let to = job.payload["to"].as_str().unwrap_or_default().to_owned();
        self.outbox.lock().await.push(to);
        Ok(())
    }
}

/// Reports still built by the old synchronous generator, which drives its own runtime.
pub struct LegacyReportHandler {
    runtime: tokio::runtime::Runtime,
}

impl LegacyReportHandler {
    pub fn new() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        Self { runtime }
    }

    async fn render(&self, job: &Job) -> anyhow::Result<String> {
        Ok(format!("report {}", job.id))
    }
}

#[async_trait]
impl Handler for LegacyReportHandler {
    async fn handle(&self, job: &Job) -> anyhow::Result<()> {
        let body = self.runtime.block_on(self.render(job))?; //~ block_on_in_async
        tracing::info!(len = body.len(), "legacy report rendered");
        Ok(())
    }
}

/// Used by the `jobq-admin` tool's synchronous `render` subcommand.
pub fn render_blocking(job: &Job) -> anyhow::Result<String> {
    let handler = LegacyReportHandler::new();
    handler.runtime.block_on(handler.render(job))
}
