//! Platform hooks.

/// On Windows, watches the event log for service restarts (the watcher runs on async-std's
/// executor, which the event-log crate requires there).
#[cfg(windows)]
pub fn spawn_event_watch() {
    async_std::task::spawn(async { //~ mixed_runtimes
        loop {
            async_std::task::sleep(std::time::Duration::from_secs(30)).await;
            tracing::trace!("event log polled");
        }
    });
}

#[cfg(not(windows))]
pub fn spawn_event_watch() {}
