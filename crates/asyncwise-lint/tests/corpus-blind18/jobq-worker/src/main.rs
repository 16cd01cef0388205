mod batch;
mod hooks;
mod jobs;
mod queue;
mod worker;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

#[derive(Clone)]
pub struct Config {
    pub redis_url: String,
    pub concurrency: usize,
    pub job_timeout: Duration,
    pub output_dir: std::path::PathBuf,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cfg = Config {
        redis_url: std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1/".into()),
        concurrency: 16,
        job_timeout: Duration::from_secs(300),
        output_dir: "/var/lib/jobq/out".into(),
    };
    hooks::run_hook("on-start")?; //~ blocking_in_async(pedantic)
    jobs::cleanup_tmp(&cfg).await;

    let queue = Arc::new(queue::Queue::connect(&cfg.redis_url).await?);
    let limit = Arc::new(Semaphore::new(cfg.concurrency));
    let reclaimer = tokio::spawn({
        let queue = queue.clone();
        async move { queue.reclaim_stale().await }
    });
    let (stop_tx, mut stop_rx) = tokio::sync::mpsc::unbounded_channel::<()>(); //~ unbounded_channel(pedantic)
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        let _ = stop_tx.send(());
    });
    tokio::select! {
        r = worker::run(queue.clone(), cfg.clone()) => r?,
        r = worker::run_retries(queue.clone(), limit, cfg.clone()) => r?,
        _ = stop_rx.recv() => tracing::info!("shutting down"),
    }
    reclaimer.abort();
    Ok(())
}
