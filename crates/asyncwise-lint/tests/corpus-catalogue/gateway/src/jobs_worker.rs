//! Catalogue corpus: the gateway's background job worker — renders report templates, flushes
//! the store, fans out cache refreshes, and runs jobs from a queue.
//! Focus: the six older rules (blocking_in_async, block_on_in_async, lock_across_await,
//! unbounded_channel, unbounded_spawn, detached_task), firing and quiet forms.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinHandle;

use crate::{GatewayError, Result};

#[derive(Debug, Clone)]
pub struct Job {
    pub id: u64,
    pub template: PathBuf,
}

pub struct Store;

impl Store {
    pub async fn flush(&self) -> Result<usize> {
        Ok(0)
    }
    pub async fn save(&self, _id: u64, _body: &str) -> Result<()> {
        Ok(())
    }
}

/// Reads a template from disk (blocking): meant for start-up and tests.
fn load_template(path: &Path) -> Result<String> {
    Ok(std::fs::read_to_string(path)?)
}

async fn run_job(store: Arc<Store>, job: Job) -> Result<()> {
    let body = load_template(&job.template)?; //~ blocking_in_async
    store.save(job.id, &body).await
}

async fn refresh(key: String) -> Result<usize> {
    tokio::time::sleep(Duration::from_millis(5)).await;
    Ok(key.len())
}

/// Runs every queued job in a task of its own, with no limit and no handle.
pub async fn run_queue(store: Arc<Store>, mut jobs: mpsc::Receiver<Job>) {
    while let Some(job) = jobs.recv().await {
        tokio::spawn(run_job(store.clone(), job)); //~ unbounded_spawn, detached_task
    }
}

/// Same queue, at most eight jobs at once, handles logged by a reaper.
pub async fn run_queue_bounded(store: Arc<Store>, mut jobs: mpsc::Receiver<Job>) -> Result<()> {
    let limit = Arc::new(Semaphore::new(8));
    let (done_tx, mut done_rx) = mpsc::channel::<JoinHandle<Result<()>>>(64);
    let reaper = tokio::spawn(async move {
        while let Some(handle) = done_rx.recv().await {
            if let Ok(Err(e)) = handle.await {
                tracing::warn!(error = %e, "job failed");
            }
        }
    });
    while let Some(job) = jobs.recv().await {
        let permit = limit.clone().acquire_owned().await.map_err(|_| GatewayError::Unavailable("closed".into()))?;
        let store = store.clone();
        let handle = tokio::spawn(async move {
            let _permit = permit;
            let body = tokio::fs::read_to_string(&job.template).await?;
            store.save(job.id, &body).await
        });
        if done_tx.send(handle).await.is_err() {
            break;
        }
    }
    drop(done_tx);
    let _ = reaper.await;
    Ok(())
}

/// A fixed pool of four refreshers fed by a bounded queue.
pub async fn start_refreshers(keys: Vec<String>) -> Vec<JoinHandle<usize>> {
    let (tx, rx) = mpsc::channel::<String>(128);
    let rx = Arc::new(std::sync::Mutex::new(rx));
    let mut workers = Vec::new();
    for _ in 0..4 {
        let rx = rx.clone();
        workers.push(tokio::spawn(async move {
            let mut done = 0;
            loop {
                let next = rx.lock().unwrap().try_recv(); // guard ends with the statement
                match next {
                    Ok(key) => done += refresh(key).await.unwrap_or(0),
                    Err(mpsc::error::TryRecvError::Empty) => tokio::time::sleep(Duration::from_millis(20)).await,
                    Err(mpsc::error::TryRecvError::Disconnected) => return done,
                }
            }
        }));
    }
    for key in keys {
        if tx.try_send(key).is_err() {
            tracing::warn!("refresh queue full, key skipped");
        }
    }
    workers
}

/// Fans out one task per key and joins them right after the loop.
pub async fn refresh_all(keys: Vec<String>) -> Result<usize> {
    let mut handles = Vec::with_capacity(keys.len());
    for key in keys {
        handles.push(tokio::spawn(refresh(key))); //~ unbounded_spawn
    }
    let mut total = 0;
    for handle in handles {
        total += handle.await.map_err(|_| GatewayError::Unavailable("join".into()))??;
    }
    Ok(total)
}

/// Refreshes a batch concurrently and reports each key's result.
async fn refresh_batch(keys: Vec<String>, progress: &mpsc::UnboundedSender<(String, usize)>) -> usize {
    let results = futures::future::join_all(keys.iter().cloned().map(refresh)).await;
    let mut done = 0;
    for (key, result) in keys.into_iter().zip(results) {
        let n = result.unwrap_or(0);
        done += n;
        let _ = progress.send((key, n));
    }
    done
}

/// Progress events fed from four shard tasks into an unbounded queue, one per key.
pub async fn refresh_with_progress(keys: Vec<String>) -> usize {
    let (progress_tx, mut progress_rx) = mpsc::unbounded_channel(); //~ unbounded_channel
    let keys = Arc::new(keys);
    let mut handles = Vec::new();
    for shard in 0..4 {
        let tx = progress_tx.clone();
        let keys = keys.clone();
        handles.push(tokio::spawn(async move {
            let mine: Vec<String> = keys.iter().skip(shard).step_by(4).cloned().collect();
            refresh_batch(mine, &tx).await
        }));
    }
    drop(progress_tx);
    let mut total = 0;
    while let Some((_, n)) = progress_rx.recv().await {
        total += n;
    }
    for handle in handles {
        let _ = handle.await;
    }
    total
}

/// Flushes the store from async code by parking the worker on another executor.
pub async fn flush_now(store: Arc<Store>) -> usize {
    futures::executor::block_on(store.flush()).unwrap_or(0) //~ block_on_in_async
}

/// Synchronous shutdown hook: no runtime is running any more when it is called.
pub fn flush_at_exit(store: &Store) -> usize {
    futures::executor::block_on(store.flush()).unwrap_or(0)
}

/// Renders the template on the blocking pool.
pub async fn render_offloaded(path: PathBuf) -> Result<String> {
    tokio::task::spawn_blocking(move || load_template(&path))
        .await
        .map_err(|_| GatewayError::Unavailable("render".into()))?
}

/// Flushes in the background; the task's error is dropped with its handle.
pub fn schedule_flush(store: Arc<Store>) {
    tokio::spawn(async move { //~ detached_task
        let n = store.flush().await?;
        tracing::info!(n, "flushed");
        Ok::<_, GatewayError>(())
    });
}

/// Flushes in the background and logs its own failure.
pub fn schedule_flush_logged(store: Arc<Store>) {
    tokio::spawn(async move {
        match store.flush().await {
            Ok(n) => tracing::info!(n, "flushed"),
            Err(e) => tracing::error!(error = %e, "flush failed"),
        }
    });
}

/// Waits between polls with the runtime's timer, blocks between polls with the thread's.
pub async fn poll_store(store: Arc<Store>, rounds: u32) -> usize {
    let mut total = 0;
    for round in 0..rounds {
        total += store.flush().await.unwrap_or(0);
        if round % 2 == 0 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        } else {
            std::thread::sleep(Duration::from_millis(100)); //~ blocking_in_async
        }
    }
    total
}
