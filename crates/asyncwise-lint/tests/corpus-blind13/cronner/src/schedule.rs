use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_std::sync::{Mutex, RwLock};
use async_std::task;
use chrono::{DateTime, Utc};

use crate::jobs;

#[derive(Clone, Debug)]
pub struct Job {
    pub name: String,
    pub schedule: cron::Schedule,
    pub program: String,
    pub args: Vec<String>,
    pub notify_url: Option<String>,
}

pub fn load_table(path: &Path) -> anyhow::Result<Vec<Job>> {
    let text = std::fs::read_to_string(path)?;
    let mut jobs = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() < 8 {
            anyhow::bail!("short crontab line: {line}");
        }
        jobs.push(Job {
            name: fields[7].to_owned(),
            schedule: cron::Schedule::from_str(&fields[..6].join(" "))?,
            program: fields[6].to_owned(),
            args: fields[8..].iter().map(|s| s.to_string()).collect(),
            notify_url: None,
        });
    }
    Ok(jobs)
}

pub struct Scheduler {
    pub jobs: Vec<Job>,
    pub running: AtomicUsize,
    pub last_run: Mutex<HashMap<String, DateTime<Utc>>>,
    pub paused: RwLock<HashSet<String>>, //~ async_mutex_unneeded
    pub finished: tokio::sync::broadcast::Sender<String>,
}

impl Scheduler {
    pub fn new(jobs: Vec<Job>) -> Self {
        Scheduler {
            jobs,
            running: AtomicUsize::new(0),
            last_run: Mutex::new(HashMap::new()),
            paused: RwLock::new(HashSet::new()),
            finished: tokio::sync::broadcast::channel(64).0,
        }
    }

    fn due(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Job> {
        self.jobs
            .iter()
            .filter(|j| j.schedule.after(&from).next().is_some_and(|t| t <= to))
            .cloned()
            .collect()
    }

    pub async fn run(self: Arc<Self>) {
        let mut last = Utc::now();
        loop {
            task::sleep(Duration::from_secs(1)).await;
            let now = Utc::now();
            for job in self.due(last, now) {
                if self.paused.read().await.contains(&job.name) {
                    continue;
                }
                task::spawn(run_job(self.clone(), job)); //~ unbounded_spawn, detached_task
            }
            last = now;
        }
    }

    pub async fn trigger(&self, name: &str) -> anyhow::Result<()> {
        let job = self.jobs.iter().find(|j| j.name == name).cloned();
        match job {
            Some(job) => jobs::execute(&job).await.map(drop),
            None => anyhow::bail!("no job named {name}"),
        }
    }
}

async fn run_job(sched: Arc<Scheduler>, job: Job) -> anyhow::Result<()> {
    sched.running.fetch_add(1, Ordering::SeqCst);
    let output = jobs::execute(&job).await?; //~ cleanup_after_await
    sched.running.fetch_sub(1, Ordering::SeqCst);
    sched.last_run.lock().await.insert(job.name.clone(), Utc::now());
    if !output.status.success() {
        jobs::report_failure(&job, &output); // @helper //~ blocking_in_async
    }
    if let Some(url) = &job.notify_url {
        jobs::notify(url, &job.name, output.status.success()).await;
    }
    let _ = sched.finished.send(job.name);
    Ok(())
}
