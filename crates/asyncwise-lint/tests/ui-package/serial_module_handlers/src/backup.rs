use tokio::signal::unix::{signal, SignalKind};

// One snapshot per SIGHUP: no request handler reaches it, so the module approximation stands.
pub async fn on_signals() {
    let mut hangup = signal(SignalKind::hangup()).unwrap();
    while hangup.recv().await.is_some() {
        snapshot().await;
    }
}

async fn snapshot() {
    std::thread::sleep(std::time::Duration::from_millis(50)); //~ blocking_in_async(pedantic)
    persist().await;
}

async fn persist() {}
