// mixed_runtimes: calls through `use` aliases resolve to their runtime.
use async_std::task;
use tokio::time::sleep;

async fn run() {
    sleep(std::time::Duration::from_secs(1)).await;
    task::spawn(async {}); //~ mixed_runtimes
    task::yield_now().await;
}
