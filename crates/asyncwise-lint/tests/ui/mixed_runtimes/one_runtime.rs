// mixed_runtimes: one runtime only, used in many ways; async-lock and futures are not runtimes
// (the other rules still judge how they are used here).
use std::time::Duration;

async fn run() {
    tokio::spawn(async {});
    tokio::time::sleep(Duration::from_millis(1)).await; // ok: same runtime
    let m = async_lock::Mutex::new(0); //~ async_mutex_unneeded(pedantic)
    *m.lock().await += 1;
    futures::executor::block_on(async {}); //~ block_on_in_async
}

#[cfg(test)]
mod tests {
    #[test]
    fn on_async_std() {
        async_std::task::block_on(async {}); // ok: test code
    }
}
