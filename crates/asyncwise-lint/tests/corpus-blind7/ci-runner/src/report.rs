use std::sync::OnceLock;

use serde::Serialize;

static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();

fn client() -> &'static reqwest::Client {
    CLIENT.get_or_init(reqwest::Client::new)
}

#[derive(Clone, Serialize)]
pub struct Status {
    pub sha: String,
    pub state: &'static str,
    pub context: String,
}

pub async fn post_status(url: String, status: Status) -> anyhow::Result<()> {
    client().post(url).json(&status).send().await?.error_for_status()?;
    Ok(())
}

pub async fn step_finished(name: &str, ok: bool) {
    tracing::info!(step = name, ok, "step finished");
}

pub async fn upload_logs(dir: std::path::PathBuf) -> anyhow::Result<()> {
    let body = tokio::fs::read(dir.join("build.log")).await?;
    client().put("https://logs.internal/upload").body(body).send().await?.error_for_status()?;
    Ok(())
}

pub async fn save_cache(key: String) -> anyhow::Result<u64> {
    let resp = client().post(format!("https://cache.internal/{key}")).send().await?;
    Ok(resp.content_length().unwrap_or(0))
}

pub async fn remove_workspace(dir: std::path::PathBuf) -> std::io::Result<()> {
    tokio::fs::remove_dir_all(dir).await
}
