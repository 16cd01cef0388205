use std::path::PathBuf;

use futures::future::{join_all, try_join_all};
use tokio::task::JoinSet;

use crate::report::{self, Status};
use crate::steps::{self, Step, StepOutput};

/// Runs a matrix's independent steps at once; every result is looked at.
pub async fn run_matrix(steps: Vec<Step>) -> anyhow::Result<Vec<StepOutput>> {
    let handles: Vec<_> = steps
        .into_iter()
        .map(|step| tokio::spawn(async move { steps::run_step(&step).await })) //~ unbounded_spawn
        .collect();
    let mut outputs = Vec::new();
    for joined in join_all(handles).await {
        outputs.push(joined??);
    }
    Ok(outputs)
}

/// Tells the two status endpoints; the results are thrown away.
pub async fn notify(primary: String, mirror: String, status: Status) {
    let first = tokio::spawn(report::post_status(primary, status.clone())); //~? detached_task
    let second = tokio::spawn(report::post_status(mirror, status)); //~? detached_task
    let _ = join_all([first, second]).await;
}

/// Uploads logs and saves the cache together; a failure of either fails the build.
pub async fn finish(dir: PathBuf, cache_key: String) -> anyhow::Result<u64> {
    let logs = tokio::spawn(async move { report::upload_logs(dir).await.map(|()| 0) });
    let cache = tokio::spawn(report::save_cache(cache_key));
    let results = try_join_all([logs, cache]).await?;
    let mut saved = 0;
    for result in results {
        saved += result?;
    }
    Ok(saved)
}

/// Removes the two scratch directories; errors are not looked at.
pub async fn cleanup(build_dir: PathBuf, cache_dir: PathBuf) {
    let mut set = JoinSet::new();
    set.spawn(report::remove_workspace(build_dir)); //~? detached_task
    set.spawn(report::remove_workspace(cache_dir)); //~? detached_task
    while set.join_next().await.is_some() {}
}

/// The same clean-up for the release job, where a leftover directory must fail the job.
pub async fn cleanup_checked(build_dir: PathBuf, cache_dir: PathBuf) -> anyhow::Result<()> {
    let mut set = JoinSet::new();
    set.spawn(report::remove_workspace(build_dir));
    set.spawn(report::remove_workspace(cache_dir));
    while let Some(joined) = set.join_next().await {
        joined??;
    }
    Ok(())
}
