// mixed_runtimes: offloading with one runtime's pool inside another's task.
async fn read_config() -> String {
    smol::unblock(|| String::new()).await
}

async fn start() {
    let _ = read_config().await;
    tokio::time::timeout(std::time::Duration::from_secs(1), async {}).await.ok(); //~ mixed_runtimes
}
