//! The runner. Work-directory handling lives in `runner/workdir.rs` (a second `impl Runner`).

mod workdir;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use tokio::process::Command;
use tokio::sync::{mpsc, Semaphore};

use crate::fsutil::*;
use crate::spec::{self, JobSpec};

pub struct Runner {
    root: PathBuf,
    slots: Arc<Semaphore>,
}

#[derive(Debug)]
pub struct Outcome {
    pub name: String,
    pub ok: bool,
}

impl Runner {
    pub fn new(root: PathBuf, parallel: usize) -> Runner {
        Runner {
            root,
            slots: Arc::new(Semaphore::new(parallel)),
        }
    }

    /// Runs the job described by the spec file.
    pub async fn run_spec_file(&self, path: &Path) -> anyhow::Result<Outcome> {
        let spec = spec::load_expanded(path).context("loading the spec")?; // @helper //~ blocking_in_async
        self.run(spec).await
    }

    pub async fn run(&self, spec: JobSpec) -> anyhow::Result<Outcome> {
        let _slot = self.slots.acquire().await?;
        let dir = self.prepare_workdir(&spec)?; // @helper //~ blocking_in_async
        for line in spec::numbered(&spec.steps) { // @helper
            tracing::info!(job = %spec.name, "{line}");
        }
        let mut ok = true;
        for step in &spec.steps { //~? sequential_await
            let status = Command::new("sh").arg("-c").arg(step).current_dir(&dir).status().await?; //~? sequential_await
            if !status.success() {
                ok = false;
                break;
            }
        }
        if ok {
            self.collect_artifacts(&spec, &dir)?; // @helper //~ blocking_in_async
        }
        Self::cleanup(&dir)?; // @helper //~ blocking_in_async
        Ok(Outcome {
            name: spec.name,
            ok,
        })
    }

    /// Seeds a work directory from a template tree.
    pub async fn seed(&self, template: &Path, name: &str) -> anyhow::Result<u64> {
        let target = rel(&self.root, &["work", name]); // @helper
        Ok(copy_dir(template, &target)?) // @helper //~ blocking_in_async
    }

    /// Same, on the blocking pool.
    pub async fn seed_offloaded(&self, template: PathBuf, name: &str) -> anyhow::Result<u64> {
        let target = rel(&self.root, &["work", name]); // @helper
        Ok(tokio::task::spawn_blocking(move || copy_dir(&template, &target)).await??) // @helper
    }
}

/// Reads spec paths from a queue and runs each job in a task; results go back on a channel.
pub async fn serve_queue(
    runner: Arc<Runner>,
    mut specs: mpsc::Receiver<PathBuf>,
    results: mpsc::Sender<anyhow::Result<Outcome>>,
) {
    while let Some(path) = specs.recv().await {
        let runner = runner.clone();
        let results = results.clone();
        tokio::spawn(async move { //~ unbounded_spawn
            let outcome = runner.run_spec_file(&path).await;
            let _ = results.send(outcome).await;
        });
    }
}

/// For the `job-runner validate` command: no runtime.
pub fn validate(path: &Path) -> anyhow::Result<usize> {
    let spec = spec::load_expanded(path)?; // @helper
    Ok(spec.steps.len())
}
