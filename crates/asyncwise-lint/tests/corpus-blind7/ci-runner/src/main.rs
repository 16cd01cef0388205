use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[macro_use]
mod spawn_macros;

mod fanout;
mod git;
mod report;
mod steps;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let repo = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));
    let sha = git::head_commit(&repo)?; // @helper //~ blocking_in_async
    let base = std::env::var("CI_BASE").unwrap_or_else(|_| "origin/main".into());
    let subjects = git::subjects_since(&repo, &base)?; // @helper //~ blocking_in_async
    tracing::info!(count = subjects.len(), "commits in this build");
    let fetch = git::fetch_args("origin", &sha, 1); // @helper
    tracing::debug!(?fetch, "fetch arguments");

    let repo_for_rev = repo.clone();
    let rev = tokio::task::spawn_blocking(move || git::head_commit(&repo_for_rev)).await??; // @helper
    assert_eq!(rev, sha);

    let version = steps::tool_version("cargo").await?;
    tracing::info!(%version, "toolchain");

    let heartbeat = Arc::new(AtomicU64::new(0));
    let beats = heartbeat.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(10));
        loop {
            tick.tick().await;
            beats.fetch_add(1, Ordering::Relaxed);
        }
    });

    let status_url = std::env::var("CI_STATUS_URL")?;
    spawn_status!( //~? detached_task
        status_url.clone(),
        report::Status { sha: sha.clone(), state: "pending", context: "ci".into() }
    );

    let plan: Vec<steps::Step> = serde_json::from_str(&tokio::fs::read_to_string(repo.join("ci.json")).await?)?;
    let outputs = fanout::run_matrix(plan).await?;
    let ok = outputs.iter().all(|o| o.success);

    let log_dir = repo.join("target/ci");
    spawn_logged!("log upload", report::upload_logs(log_dir.clone()));
    let dir_for_task = log_dir.clone();
    tokio::spawn(async move {
        if let Err(err) = report::upload_logs(dir_for_task).await {
            tracing::warn!(%err, "second log upload failed");
        }
        Ok::<(), anyhow::Error>(())
    });
    tokio::spawn(async move { //~ detached_task
        let sha = git::head_commit(&repo)?; // @helper //~ blocking_in_async
        report::post_status(status_url, report::Status { sha, state: "success", context: "ci/post".into() }).await?;
        Ok::<(), anyhow::Error>(())
    });

    let cache = spawn_tracked!(report::save_cache(sha.clone()));
    let saved = cache.await??;
    fanout::cleanup(log_dir.clone(), log_dir.join("cache")).await;
    tracing::info!(ok, saved, beats = heartbeat.load(Ordering::Relaxed), "done");
    Ok(())
}
