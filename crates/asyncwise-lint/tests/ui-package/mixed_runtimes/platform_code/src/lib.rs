// Tokio is always on and async-std on unix: on unix, code that calls both runs two executors.
pub async fn start(jobs: Vec<Job>) {
    for job in jobs {
        let _ = tokio::spawn(job.run()).await;
    }
}

#[cfg(unix)]
pub fn watch_signals() {
    async_std::task::spawn(async { watch().await }); //~ mixed_runtimes
}
