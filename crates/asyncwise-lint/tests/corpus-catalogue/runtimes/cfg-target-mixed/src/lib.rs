//! Catalogue corpus: a log shipper started on tokio whose unix tailer runs on async-std's
//! executor (the code mixes two runtimes; the finding is on the first call into the second).

use std::time::Duration;

pub async fn ship_forever(batch: Duration) {
    let mut ticker = tokio::time::interval(batch);
    loop {
        ticker.tick().await;
        tracing_ship().await;
    }
}

async fn tracing_ship() {
    tokio::time::sleep(Duration::from_millis(1)).await;
}

pub fn start() -> tokio::task::JoinHandle<()> {
    tokio::spawn(ship_forever(Duration::from_secs(5)))
}

#[cfg(unix)]
pub fn start_tailer(path: std::path::PathBuf) -> async_std::task::JoinHandle<()> {
    async_std::task::spawn(async move { //~ mixed_runtimes
        loop {
            async_std::task::sleep(Duration::from_secs(1)).await;
            if path.as_os_str().is_empty() {
                break;
            }
        }
    })
}
