//! Spawn shorthands used by the pipeline driver.

/// Posts a commit status in the background; nobody waits for it.
macro_rules! spawn_status {
    ($url:expr, $status:expr) => {
        tokio::spawn(async move { //~ detached_task
            crate::report::post_status($url, $status).await?;
            Ok::<(), anyhow::Error>(())
        });
    };
}

/// Runs a fallible future in the background and logs its error.
macro_rules! spawn_logged {
    ($what:literal, $fut:expr) => {
        tokio::spawn(async move {
            if let Err(err) = $fut.await {
                tracing::warn!(%err, concat!($what, " failed"));
            }
        });
    };
}

/// Spawns and hands the `JoinHandle` back to the caller.
macro_rules! spawn_tracked {
    ($fut:expr) => {
        tokio::spawn($fut)
    };
}
