//! Catalogue corpus: file watcher on smol; `async_std::path` is used for its async `exists`.

use std::time::Duration;

pub async fn wait_for(path: &async_std::path::Path, poll: Duration) {
    while !path.exists().await {
        smol::Timer::after(poll).await;
    }
}

pub fn watch_in_background(path: async_std::path::PathBuf) -> smol::Task<()> {
    smol::spawn(async move { wait_for(&path, Duration::from_millis(250)).await })
}
