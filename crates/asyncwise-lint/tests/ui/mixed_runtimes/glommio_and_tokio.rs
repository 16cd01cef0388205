// mixed_runtimes: a thread-per-core executor beside tokio.
async fn work() {}

fn start() {
    let _ = glommio::LocalExecutorBuilder::default();
    tokio::task::spawn_blocking(|| ()); //~ mixed_runtimes
    let _ = work;
}
