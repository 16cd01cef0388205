//! Background job worker: pulls jobs from the queue table and runs them
//! with a fixed pool of workers plus a bounded "burst" lane.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use parking_lot::Mutex;
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinHandle;
use tracing::{error, info, warn};

use crate::queue::{Job, JobStore};

const WORKERS: usize = 8;
const MAX_BURST: usize = 32;

pub struct WorkerStats {
    pub done: u64,
    pub failed: u64,
    pub last_error: Option<String>,
}

pub struct Pool {
    store: JobStore,
    stats: Arc<Mutex<WorkerStats>>,
    burst: Arc<Semaphore>,
}

impl Pool {
    pub fn new(store: JobStore) -> Self {
        Pool {
            store,
            stats: Arc::new(Mutex::new(WorkerStats { done: 0, failed: 0, last_error: None })),
            burst: Arc::new(Semaphore::new(MAX_BURST)),
        }
    }

    pub async fn start(self: Arc<Self>) -> Vec<JoinHandle<()>> {
        let (tx, rx) = mpsc::channel::<Job>(WORKERS * 4);
        let rx = Arc::new(tokio::sync::Mutex::new(rx));
        let mut handles = Vec::with_capacity(WORKERS + 1);
        for id in 0..WORKERS {
            let pool = Arc::clone(&self);
            let rx = Arc::clone(&rx);
            handles.push(tokio::spawn(async move {
                loop {
                    let job = { rx.lock().await.recv().await };
                    match job {
                        Some(job) => pool.run_one(id, job).await,
                        None => break,
                    }
                }
            }));
        }
        let poller = Arc::clone(&self);
        handles.push(tokio::spawn(async move { poller.poll_loop(tx).await }));
        handles
    }

    async fn poll_loop(&self, tx: mpsc::Sender<Job>) {
        loop {
            match self.store.claim_batch(WORKERS).await {
                Ok(jobs) if jobs.is_empty() => tokio::time::sleep(Duration::from_millis(500)).await,
                Ok(jobs) => {
                    for job in jobs {
                        if tx.send(job).await.is_err() {
                            return;
                        }
                    }
                }
                Err(e) => {
                    warn!("claim failed: {e:#}");
                    std::thread::sleep(Duration::from_secs(1)); //~ blocking_in_async
                }
            }
        }
    }

    async fn run_one(&self, worker: usize, job: Job) {
        let result = self.execute(&job).await;
        let mut stats = self.stats.lock();
        match result {
            Ok(()) => stats.done += 1,
            Err(e) => {
                stats.failed += 1;
                stats.last_error = Some(format!("{e:#}"));
            }
        }
        info!(worker, job = %job.id, "finished");
    }

    async fn execute(&self, job: &Job) -> anyhow::Result<()> {
        let mut attempt = 0;
        loop {
            match job.run().await {
                Ok(()) => return self.store.mark_done(&job.id).await.context("mark done"),
                Err(e) if attempt < job.max_retries => {
                    attempt += 1;
                    let mut stats = self.stats.lock(); //~ lock_across_await
                    stats.last_error = Some(e.to_string());
                    self.store.record_retry(&job.id, attempt).await?;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Urgent jobs bypass the queue, but at most MAX_BURST of them run at once.
    pub async fn run_urgent(self: Arc<Self>, jobs: Vec<Job>) {
        for job in jobs {
            let permit = self.burst.clone().acquire_owned().await.expect("semaphore closed");
            let pool = Arc::clone(&self);
            tokio::spawn(async move {
                pool.run_one(usize::MAX, job).await;
                drop(permit);
            });
        }
    }

    /// Re-runs failed jobs: every retry is its own task.
    pub async fn requeue_failed(self: Arc<Self>) -> anyhow::Result<()> {
        let failed = self.store.failed_jobs().await?;
        for job in failed {
            let store = self.store.clone();
            tokio::spawn(async move { //~ unbounded_spawn, detached_task
                store.reset(&job.id).await.unwrap();
            });
        }
        Ok(())
    }

    pub fn snapshot(&self) -> (u64, u64) {
        let stats = self.stats.lock();
        (stats.done, stats.failed)
    }
}

pub async fn report_stats(pool: Arc<Pool>) -> anyhow::Result<()> {
    loop {
        let (done, failed) = pool.snapshot();
        pool.store.publish_stats(done, failed).await?;
        tokio::time::sleep(Duration::from_secs(15)).await;
    }
}

pub fn spawn_reporter(pool: Arc<Pool>) {
    tokio::spawn(report_stats(pool)); //~ detached_task
}

pub async fn drain(handles: Vec<JoinHandle<()>>) {
    for h in handles {
        if let Err(e) = h.await {
            error!("worker panicked: {e}");
        }
    }
}
