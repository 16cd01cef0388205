use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, Semaphore};
use tokio::time::{sleep, timeout};

use crate::broker::Broker;
use crate::handlers::Registry;
use crate::store::{self, CheckpointStore};
use crate::Job;

pub struct Worker {
    registry: Registry,
    store: CheckpointStore,
    job_timeout: Duration,
    busy: AtomicBool,
    running: AtomicU64,
    done: AtomicU64,
}

impl Worker {
    pub fn new(registry: Registry, store: CheckpointStore, job_timeout: Duration) -> Self {
        Self {
            registry,
            store,
            job_timeout,
            busy: AtomicBool::new(false),
            running: AtomicU64::new(0),
            done: AtomicU64::new(0),
        }
    }

    /// One job, bounded by the configured timeout.
    pub async fn run_one(&self, job: Job) -> anyhow::Result<()> {
        match timeout(self.job_timeout, self.execute(&job)).await {
            Ok(result) => result,
            Err(_) => anyhow::bail!("job {} timed out", job.id),
        }
    }

    async fn execute(&self, job: &Job) -> anyhow::Result<()> {
        self.busy.store(true, Ordering::Release);
        let outcome = self.registry.dispatch(job).await;
        self.busy.store(false, Ordering::Release); //~ cleanup_after_await
        self.store.save(job.id)?; // @helper //~ blocking_in_async(pedantic)
        outcome
    }

    /// Jobs that must not overlap run one at a time; the flag is cleared even if the caller
    /// gives up on the future.
    pub async fn run_exclusive(&self, job: Job) -> anyhow::Result<()> {
        self.busy.store(true, Ordering::Release);
        let _clear = scopeguard::guard((), |_| self.busy.store(false, Ordering::Release));
        self.registry.dispatch(&job).await
    }

    pub async fn run_counted(&self, job: Job) -> anyhow::Result<()> {
        self.running.fetch_add(1, Ordering::Relaxed);
        self.registry.dispatch(&job).await?; //~ cleanup_after_await
        self.running.fetch_sub(1, Ordering::Relaxed);
        self.done.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    pub fn stats(&self) -> (u64, u64) {
        self.running.fetch_add(0, Ordering::Relaxed);
        let running = self.running.load(Ordering::Relaxed);
        self.running.fetch_sub(0, Ordering::Relaxed);
        (running, self.done.load(Ordering::Relaxed))
    }
}

pub async fn run(worker: Arc<Worker>, mut rx: mpsc::Receiver<Job>) {
    while let Some(job) = rx.recv().await {
        let worker = worker.clone();
        tokio::spawn(async move { worker.run_one(job).await }); //~ unbounded_spawn, detached_task
    }
}

/// The same consumer for deployments that cap concurrent jobs.
pub async fn run_capped(worker: Arc<Worker>, mut rx: mpsc::Receiver<Job>, cap: usize) {
    let slots = Arc::new(Semaphore::new(cap));
    while let Some(job) = rx.recv().await {
        let permit = slots.clone().acquire_owned().await.expect("semaphore closed");
        let worker = worker.clone();
        tokio::spawn(async move {
            let _permit = permit;
            if let Err(e) = worker.run_one(job).await {
                tracing::error!("job failed: {e:#}");
            }
        });
    }
}

/// Blocks start-up until the broker answers; the broker is usually still starting.
pub async fn connect_until_up(url: &str) -> Broker {
    loop {
        match Broker::connect(url).await { //~ retry_without_backoff
            Ok(broker) => return broker,
            Err(e) => tracing::warn!("broker not up yet: {e}"),
        }
    }
}

pub async fn connect_patiently(url: &str) -> Broker {
    let mut delay = Duration::from_millis(100);
    loop {
        match Broker::connect(url).await {
            Ok(broker) => return broker,
            Err(e) => {
                tracing::warn!("broker not up yet: {e}; next try in {delay:?}");
                sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
        }
    }
}

pub async fn connect_or_give_up(url: &str, max_attempts: u32) -> anyhow::Result<Broker> {
    let mut attempts = 0;
    loop {
        attempts += 1;
        match Broker::connect(url).await {
            Ok(broker) => return Ok(broker),
            Err(e) if attempts >= max_attempts => return Err(e),
            Err(_) => continue,
        }
    }
}

pub async fn ack_stubbornly(broker: &Broker, tag: u64) {
    while broker.ack(tag).await.is_err() {} //~ retry_without_backoff
}

/// Re-queues dead letters every 30 s.
pub async fn sweep_dead_letters(broker: Broker, worker: Arc<Worker>) {
    loop {
        let jobs = match broker.poll_dead_letters().await { //~ retry_without_backoff
            Ok(jobs) => jobs,
            Err(e) => {
                tracing::warn!("dead-letter poll failed: {e}");
                continue;
            }
        };
        for job in jobs {
            store::jitter_pause(job.id); // @helper //~ blocking_in_async
            let _ = worker.run_one(job).await; //~ sequential_await
        }
        sleep(Duration::from_secs(30)).await;
    }
}

/// Replays a batch from a file given on the command line, one job after the other on purpose:
/// later jobs of a batch depend on earlier ones.
pub async fn replay_batch(worker: &Worker, jobs: Vec<Job>) -> anyhow::Result<()> {
    for job in jobs {
        worker.run_counted(job).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stats_start_at_zero() {
        let (tx, mut rx) = mpsc::unbounded_channel(); //~ unbounded_channel(pedantic)
        tx.send(1u64).unwrap();
        assert_eq!(rx.recv().await, Some(1));
        let worker = Worker::new(Registry::standard(), CheckpointStore::new("/tmp/ckpt"), Duration::from_secs(1));
        assert_eq!(worker.stats(), (0, 0));
    }

    #[test]
    fn store_file_name() {
        let s = CheckpointStore::new("/tmp/x/ckpt");
        assert_eq!(s.file_name(), "ckpt");
        futures::executor::block_on(async { assert!(true) });
    }
}
