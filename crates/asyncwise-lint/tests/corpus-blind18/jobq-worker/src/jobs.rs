use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};

use serde::{Deserialize, Serialize};

use crate::hooks;
use crate::Config;

static RUNNING: AtomicI64 = AtomicI64::new(0);
static CLEANING: AtomicI64 = AtomicI64::new(0);

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Job {
    pub id: String,
    pub kind: String,
    pub input_url: String,
    pub hook: Option<String>,
}

pub struct JobResult {
    pub id: String,
    pub ok: bool,
}

impl JobResult {
    pub fn timed_out(job: &Job) -> JobResult {
        JobResult { id: job.id.clone(), ok: false }
    }
}

async fn download(url: &str) -> anyhow::Result<Vec<u8>> {
    let resp = reqwest_lite::get(url).await?;
    Ok(resp)
}

pub async fn execute(job: Job, cfg: &Config) -> JobResult {
    RUNNING.fetch_add(1, Ordering::Relaxed);
    let outcome = download(&job.input_url).await;
    RUNNING.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await
    let ok = match outcome {
        Ok(bytes) => {
            let out = cfg.output_dir.join(format!("{}.bin", job.id));
            match std::fs::write(&out, &bytes) { //~ blocking_in_async
                Ok(()) => true,
                Err(e) => {
                    tracing::error!(id = %job.id, "write failed: {e}");
                    false
                }
            }
        }
        Err(e) => {
            tracing::warn!(id = %job.id, "download failed: {e}");
            false
        }
    };
    if let Some(hook) = &job.hook {
        if let Err(e) = hooks::run_hook(hook) { // @helper //~ blocking_in_async
            tracing::warn!(id = %job.id, "hook failed: {e}");
        }
    }
    JobResult { id: job.id, ok }
}

/// Removes the scratch files a previous run left behind (once, at start-up).
pub async fn cleanup_tmp(cfg: &Config) {
    CLEANING.fetch_add(1, Ordering::Relaxed);
    if let Ok(mut entries) = tokio::fs::read_dir(cfg.output_dir.join("tmp")).await {
        while let Ok(Some(entry)) = entries.next_entry().await {
            let _ = tokio::fs::remove_file(entry.path()).await;
        }
    }
    CLEANING.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await(pedantic)
}

pub fn is_scratch(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "tmp")
}

mod reqwest_lite {
    pub async fn get(url: &str) -> anyhow::Result<Vec<u8>> {
        let _ = url;
        Ok(Vec::new())
    }
}
