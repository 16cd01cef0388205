use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use conn_gauge::plugin::{Compactor, Drainer, Task};
use conn_gauge::work::{Metrics, Worker};

static WARMED: AtomicUsize = AtomicUsize::new(0);

/// Warms the cache before anything else runs; `main` awaits it to completion.
async fn warm_up(worker: &Worker, urls: &[&str]) -> usize {
    WARMED.fetch_add(1, Ordering::SeqCst);
    let fetched = futures::future::join_all(urls.iter().map(|u| worker.fetch_page(u))).await;
    WARMED.fetch_sub(1, Ordering::SeqCst); //~ cleanup_after_await
    fetched.iter().filter(|r| r.is_ok()).count()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let metrics = Metrics {
        pending_flushes: prometheus::IntGauge::new("pending_flushes", "batches being written")?,
        open_fetches: prometheus::IntGauge::new("open_fetches", "fetches in progress")?,
    };
    let worker = Arc::new(Worker::new(metrics));
    let warmed = warm_up(&worker, &["https://example.org/", "https://example.org/robots.txt"]).await;
    tracing::info!(warmed, "cache warm");

    let (batch_tx, batch_rx) = tokio::sync::mpsc::channel(64);
    let (shutdown_tx, shutdown_rx) = tokio::sync::watch::channel(false);
    let flusher = tokio::spawn(conn_gauge::driver::flush_loop(worker.clone(), batch_rx, shutdown_rx));
    let tasks: Vec<Box<dyn Task>> = vec![
        Box::new(Compactor { worker: worker.clone() }),
        Box::new(Drainer { worker: worker.clone(), urls: vec!["https://example.org/health".into()] }),
    ];
    let maintenance = tokio::spawn(conn_gauge::driver::maintenance(tasks, Duration::from_secs(300)));

    let page = conn_gauge::driver::fetch_with_deadline(&worker, "https://example.org/").await?;
    batch_tx.send(vec![page]).await?;
    tokio::signal::ctrl_c().await?;
    shutdown_tx.send(true)?;
    maintenance.abort();
    flusher.await?;
    Ok(())
}
