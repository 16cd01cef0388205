//! Drives the worker: batches are flushed under a shutdown race, fetches under a deadline.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use crate::plugin::Task;
use crate::work::Worker;

pub async fn flush_loop(worker: Arc<Worker>, mut batches: mpsc::Receiver<Vec<String>>, mut shutdown: watch::Receiver<bool>) {
    while let Some(batch) = batches.recv().await {
        tokio::select! {
            _ = worker.flush_batch(batch) => {}
            _ = shutdown.changed() => {
                tracing::info!("shutdown during flush");
                return;
            }
        }
    }
}

pub async fn fetch_with_deadline(worker: &Worker, url: &str) -> anyhow::Result<String> {
    let body = tokio::time::timeout(Duration::from_secs(10), worker.fetch_page(url)).await??;
    Ok(body)
}

/// Runs each maintenance task, abandoning it when the next period starts.
pub async fn maintenance(tasks: Vec<Box<dyn Task>>, period: Duration) {
    let mut tick = tokio::time::interval(period);
    loop {
        tick.tick().await;
        for task in &tasks {
            if tokio::time::timeout(period, task.run()).await.is_err() { //~? sequential_await
                tracing::warn!(task = task.name(), "maintenance task overran");
            }
        }
    }
}
