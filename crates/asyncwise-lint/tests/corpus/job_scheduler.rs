//! Background job scheduler: bounded concurrency with a JoinSet.
//! (Intentionally clean: every spawn is bounded, kept, or handles its own errors.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, StreamExt};
use tokio::runtime::Handle;
use tokio::sync::{mpsc, Mutex as AsyncMutex};
use tokio::task::{self, JoinError, JoinSet};

const MAX_WORKERS: usize = 4;

pub type JobResult = Result<JobOutput, JobError>;

#[derive(Debug, Clone)]
pub struct Job {
    pub id: u64,
    pub kind: JobKind,
    pub deadline: Duration,
}

#[derive(Debug, Clone)]
pub enum JobKind {
    Thumbnail { path: std::path::PathBuf },
    Webhook { url: String },
    Report { tenant: String },
}

#[derive(Debug)]
pub struct JobOutput {
    pub id: u64,
    pub took: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("job {0} timed out")]
    Timeout(u64),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("join: {0}")]
    Join(#[from] JoinError),
}

pub struct Scheduler {
    queue: mpsc::Receiver<Job>,
    max_concurrency: usize,
    history: Arc<Mutex<HashMap<u64, Duration>>>,
    reports: Arc<AsyncMutex<Vec<String>>>,
}

/// Helper that keeps every blocking call on the blocking pool.
async fn offload_io<T: Send + 'static>(
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, JobError> {
    Ok(task::spawn_blocking(f).await??)
}

fn render_thumbnail_sync(path: &std::path::Path) -> std::io::Result<()> {
    let bytes = std::fs::read(path)?;
    std::thread::sleep(Duration::from_millis(2));
    std::fs::write(path.with_extension("thumb"), &bytes[..bytes.len().min(1024)])
}

async fn run_job(job: Job, reports: Arc<AsyncMutex<Vec<String>>>) -> JobResult {
    let started = Instant::now();
    let work = async {
        match &job.kind {
            JobKind::Thumbnail { path } => {
                let path = path.clone();
                offload_io(move || render_thumbnail_sync(&path)).await?;
            }
            JobKind::Webhook { url } => {
                let _ = reqwest::Client::new().post(url).send().await;
            }
            JobKind::Report { tenant } => {
                let mut out = reports.lock().await;
                out.push(format!("report for {tenant}"));
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        Ok::<_, JobError>(())
    };
    tokio::time::timeout(job.deadline, work).await.map_err(|_| JobError::Timeout(job.id))??;
    Ok(JobOutput { id: job.id, took: started.elapsed() })
}

impl Scheduler {
    fn record(&self, res: Result<JobResult, JoinError>) {
        match res {
            Ok(Ok(out)) => {
                self.history.lock().unwrap().insert(out.id, out.took);
            }
            Ok(Err(e)) => log::warn!("job failed: {e}"),
            Err(e) => log::error!("job panicked: {e}"),
        }
    }

    pub async fn run(mut self) {
        let mut set: JoinSet<JobResult> = JoinSet::new();
        while let Some(job) = self.queue.recv().await {
            while set.len() >= self.max_concurrency {
                if let Some(res) = set.join_next().await {
                    self.record(res);
                }
            }
            set.spawn(run_job(job, self.reports.clone()));
        }
        while let Some(res) = set.join_next().await {
            self.record(res);
        }
        let slowest = {
            let history = self.history.lock().unwrap();
            history.values().max().copied()
        };
        tokio::time::sleep(Duration::from_millis(1)).await;
        log::info!("scheduler drained; slowest job {:?}", slowest);
    }

    pub async fn run_batch(&self, jobs: Vec<Job>) -> usize {
        let mut in_flight = FuturesUnordered::new();
        let mut done = 0;
        for job in jobs {
            if in_flight.len() >= MAX_WORKERS {
                if let Some(Ok(Ok(_))) = in_flight.next().await {
                    done += 1;
                }
            }
            in_flight.push(tokio::spawn(run_job(job, self.reports.clone())));
        }
        while let Some(r) = in_flight.next().await {
            done += matches!(r, Ok(Ok(_))) as usize;
        }
        done
    }

    pub async fn snapshot(&self) -> Vec<(u64, Duration)> {
        let mut g = self.history.lock().unwrap();
        g.retain(|_, d| *d < Duration::from_secs(3600));
        let out: Vec<_> = g.iter().map(|(k, v)| (*k, *v)).collect();
        std::mem::drop(g);
        self.reports.lock().await.clear();
        out
    }
}

pub async fn start_workers(tx: mpsc::Sender<Job>) -> Vec<task::JoinHandle<()>> {
    let mut handles = Vec::with_capacity(MAX_WORKERS);
    for worker in 0..MAX_WORKERS {
        let tx = tx.clone();
        handles.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                let job = Job {
                    id: worker as u64,
                    kind: JobKind::Report { tenant: format!("shard-{worker}") },
                    deadline: Duration::from_secs(30),
                };
                if tx.send(job).await.is_err() {
                    break;
                }
            }
        }));
    }
    handles
}

pub async fn legacy_sync_bridge(jobs: Vec<Job>, reports: Arc<AsyncMutex<Vec<String>>>) -> usize {
    let (tx, rx) = std::sync::mpsc::sync_channel::<u64>(MAX_WORKERS);
    let handle = Handle::current();
    let collector = std::thread::spawn(move || rx.iter().count());
    task::block_in_place(|| {
        for job in jobs {
            let id = job.id;
            let _ = handle.block_on(run_job(job, reports.clone()));
            let _ = tx.send(id);
        }
    });
    task::spawn_blocking(move || collector.join().unwrap_or(0))
        .await
        .unwrap_or(0)
}

pub fn run_standalone(jobs: Vec<Job>) -> usize {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let reports = Arc::new(AsyncMutex::new(Vec::new()));
    rt.block_on(async move {
        tokio::spawn(async {
            if let Err(e) = tokio::fs::remove_file("/tmp/scheduler.lock").await {
                log::debug!("no stale lock: {e}");
            }
        });
        legacy_sync_bridge(jobs, reports).await
    })
}
