// mixed_runtimes: timers of two runtimes.
use std::time::Duration;

async fn tick() {
    tokio::time::sleep(Duration::from_millis(10)).await;
    async_std::task::sleep(Duration::from_millis(10)).await; //~ mixed_runtimes
}
