// A current-thread runtime built by hand: the main thread is its only worker, so blocking there
// stalls the spawned tasks too.
use std::time::Duration;

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(serve());
}

async fn serve() {
    tokio::spawn(async {});
    refresh().await;
}

async fn refresh() {
    std::thread::sleep(Duration::from_millis(10)); //~ blocking_in_async
}
