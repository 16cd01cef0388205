use std::sync::Arc;

use futures::StreamExt;
use tokio::sync::{mpsc, Semaphore};
use tokio::time::timeout;

use crate::jobs::{self, JobResult};
use crate::queue::Queue;
use crate::Config;

/// Runs every job published on the stream, one task per job.
pub async fn run(queue: Arc<Queue>, cfg: Config) -> anyhow::Result<()> {
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<JobResult>(); //~ unbounded_channel
    let ack_queue = queue.clone();
    let reporter = tokio::spawn(async move {
        while let Some(result) = done_rx.recv().await {
            if let Err(e) = ack_queue.ack(&result.id).await {
                tracing::error!(id = %result.id, "could not ack: {e}");
            }
        }
    });

    let mut jobs = queue.subscribe().await?;
    while let Some(job) = jobs.next().await {
        let done = done_tx.clone();
        let cfg = cfg.clone();
        tokio::spawn(async move { //~ unbounded_spawn
            let result = match timeout(cfg.job_timeout, jobs::execute(job.clone(), &cfg)).await {
                Ok(result) => result,
                Err(_) => JobResult::timed_out(&job),
            };
            let _ = done.send(result);
        });
    }
    drop(done_tx);
    reporter.await?;
    Ok(())
}

/// Drains the retry list with at most `limit` jobs running.
pub async fn run_retries(queue: Arc<Queue>, limit: Arc<Semaphore>, cfg: Config) -> anyhow::Result<()> {
    let (tx, mut rx) = mpsc::channel::<JobResult>(256);
    loop {
        let permit = limit.clone().acquire_owned().await?;
        let job = match queue.pop_retry().await? {
            Some(job) => job,
            None => {
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                continue;
            }
        };
        let tx = tx.clone();
        let cfg = cfg.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let result = jobs::execute(job, &cfg).await;
            let _ = tx.send(result).await;
        });
        while let Ok(result) = rx.try_recv() {
            tracing::info!(id = %result.id, ok = result.ok, "retried job finished");
        }
    }
}
