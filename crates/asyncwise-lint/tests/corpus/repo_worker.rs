//! Job scheduler: pulls jobs from a bounded queue and runs them on a
//! `JoinSet` with a concurrency cap, retrying failed jobs with backoff.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use thiserror::Error;
use tokio::sync::{mpsc, watch, Mutex as AsyncMutex};
use tokio::task::{JoinError, JoinSet};
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, instrument, warn};

/// Number of fixed housekeeping workers.
pub const HOUSEKEEPERS: usize = 2;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Hash)]
pub struct JobId(pub u64);

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "job-{:06}", self.0)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    pub id: JobId,
    pub kind: String,
    pub payload: serde_json::Value,
    #[serde(default)]
    pub attempt: u32,
}

#[derive(Debug, Error)]
pub enum JobError {
    #[error("handler for {0:?} not registered")]
    NoHandler(String),
    #[error("job failed: {0}")]
    Failed(String),
    #[error("job panicked or was cancelled: {0}")]
    Join(#[from] JoinError),
}

impl JobError {
    fn retryable(&self) -> bool {
        matches!(self, JobError::Failed(_))
    }
}

#[async_trait::async_trait]
pub trait Handler: Send + Sync + 'static {
    async fn run(&self, job: &Job) -> Result<(), JobError>;
}

#[derive(Debug, Clone, Deserialize)]
pub struct SchedulerConfig {
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    #[serde(default = "default_retries")]
    pub max_retries: u32,
    #[serde(default = "default_queue")]
    pub queue_depth: usize,
}

fn default_concurrency() -> usize {
    8
}
fn default_retries() -> u32 {
    3
}
fn default_queue() -> usize {
    256
}

#[derive(Debug, Default)]
pub struct Counters {
    pub started: AtomicUsize,
    pub succeeded: AtomicUsize,
    pub failed: AtomicUsize,
}

pub struct Scheduler {
    config: SchedulerConfig,
    handlers: HashMap<String, Arc<dyn Handler>>,
    counters: Arc<Counters>,
    last_error: Arc<AsyncMutex<Option<String>>>,
    cancel: CancellationToken,
}

impl Scheduler {
    pub fn new(config: SchedulerConfig) -> Self {
        Self {
            config,
            handlers: HashMap::new(),
            counters: Arc::default(),
            last_error: Arc::default(),
            cancel: CancellationToken::new(),
        }
    }

    pub fn register(mut self, kind: impl Into<String>, handler: impl Handler) -> Self {
        self.handlers.insert(kind.into(), Arc::new(handler));
        self
    }

    pub fn queue(&self) -> (mpsc::Sender<Job>, mpsc::Receiver<Job>) {
        mpsc::channel(self.config.queue_depth)
    }

    pub fn cancel_token(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// Main loop. Returns once the queue is closed and all jobs finished.
    #[instrument(skip_all)]
    pub async fn run(self, mut rx: mpsc::Receiver<Job>, retry_tx: mpsc::Sender<Job>) {
        let mut set: JoinSet<(Job, Result<(), JobError>)> = JoinSet::new();
        let started = Instant::now();

        while let Some(job) = rx.recv().await {
            while set.len() >= self.config.concurrency {
                if let Some(done) = set.join_next().await {
                    self.complete(done, &retry_tx).await;
                }
            }
            let Some(handler) = self.handlers.get(&job.kind).cloned() else {
                warn!(kind = %job.kind, id = %job.id, "no handler, dropping job");
                continue;
            };
            self.counters.started.fetch_add(1, Ordering::Relaxed);
            let cancel = self.cancel.child_token();
            set.spawn(async move {
                let res = tokio::select! {
                    r = handler.run(&job) => r,
                    _ = cancel.cancelled() => Err(JobError::Failed("cancelled".into())),
                };
                (job, res)
            });
        }

        while let Some(done) = set.join_next().await {
            self.complete(done, &retry_tx).await;
        }
        info!(elapsed = ?started.elapsed(), "scheduler drained");
    }

    async fn complete(
        &self,
        done: Result<(Job, Result<(), JobError>), JoinError>,
        retry_tx: &mpsc::Sender<Job>,
    ) {
        let (mut job, res) = match done {
            Ok(pair) => pair,
            Err(e) => {
                error!(error = %e, "job task panicked");
                self.counters.failed.fetch_add(1, Ordering::Relaxed);
                return;
            }
        };
        match res {
            Ok(()) => {
                self.counters.succeeded.fetch_add(1, Ordering::Relaxed);
                debug!(id = %job.id, "job done");
            }
            Err(e) if e.retryable() && job.attempt < self.config.max_retries => {
                job.attempt += 1;
                let delay = backoff(job.attempt);
                let tx = retry_tx.clone();
                *self.last_error.lock().await = Some(e.to_string());
                let handle = tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    tx.send(job).await
                });
                if let Err(e) = handle.await {
                    warn!(error = %e, "retry timer task failed");
                }
            }
            Err(e) => {
                self.counters.failed.fetch_add(1, Ordering::Relaxed);
                let mut last = self.last_error.lock().await;
                *last = Some(e.to_string());
                tokio::task::yield_now().await;
                error!(id = %job.id, error = %e, "job failed permanently");
            }
        }
    }

    /// Spawns the fixed housekeeping workers; they stop on cancellation.
    pub fn spawn_housekeepers(&self, mut tick: watch::Receiver<u64>) -> Vec<tokio::task::JoinHandle<()>> {
        let mut handles = Vec::new();
        for n in 0..HOUSEKEEPERS {
            let cancel = self.cancel.clone();
            let counters = self.counters.clone();
            let mut tick = tick.clone();
            handles.push(tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = cancel.cancelled() => break,
                        changed = tick.changed() => {
                            if changed.is_err() { break; }
                            let started = counters.started.load(Ordering::Relaxed);
                            debug!(worker = n, started, "housekeeping");
                        }
                    }
                }
            }));
        }
        tick.mark_unchanged();
        handles
    }
}

fn backoff(attempt: u32) -> Duration {
    let base = Duration::from_millis(250);
    base.saturating_mul(1 << attempt.min(6))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Flaky(AtomicUsize);

    #[async_trait::async_trait]
    impl Handler for Flaky {
        async fn run(&self, _job: &Job) -> Result<(), JobError> {
            if self.0.fetch_add(1, Ordering::SeqCst) % 2 == 0 {
                Err(JobError::Failed("flaky".into()))
            } else {
                Ok(())
            }
        }
    }

    fn job(n: u64) -> Job {
        Job { id: JobId(n), kind: "flaky".into(), payload: serde_json::Value::Null, attempt: 0 }
    }

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff(1), Duration::from_millis(500));
        assert_eq!(backoff(10), backoff(6));
    }

    #[test]
    fn job_id_display() {
        assert_eq!(JobId(42).to_string(), "job-000042");
    }

    #[tokio::test]
    async fn runs_all_jobs() {
        let cfg = SchedulerConfig { concurrency: 2, max_retries: 0, queue_depth: 16 };
        let sched = Scheduler::new(cfg).register("flaky", Flaky(AtomicUsize::new(1)));
        let counters = sched.counters.clone();
        let (tx, rx) = sched.queue();
        let (retry_tx, _retry_rx) = mpsc::channel(16);
        for n in 0..10 {
            tx.send(job(n)).await.unwrap();
        }
        drop(tx);
        sched.run(rx, retry_tx).await;
        let total = counters.succeeded.load(Ordering::SeqCst) + counters.failed.load(Ordering::SeqCst);
        assert_eq!(total, 10);
    }
}
