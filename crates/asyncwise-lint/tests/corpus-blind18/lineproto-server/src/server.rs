use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::conn;
use crate::store::Store;

/// Accepts clients and serves each on a task of its own.
pub async fn run(addr: &str, store: Arc<Store>) -> anyhow::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    let mut pause = Duration::from_millis(10);
    loop {
        let (socket, peer) = match listener.accept().await {
            Ok(accepted) => {
                pause = Duration::from_millis(10);
                accepted
            }
            Err(e) => {
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(1));
                continue;
            }
        };
        let store = store.clone();
        tokio::spawn(async move {
            if let Err(e) = conn::serve(socket, store).await {
                tracing::warn!(%peer, "connection ended: {e}");
            }
        });
    }
}

/// Accepts clients and queues them for a fixed pool of workers.
pub async fn run_pooled(addr: &str, workers: mpsc::Sender<TcpStream>) -> anyhow::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    loop {
        let (socket, _) = listener.accept().await?;
        if workers.send(socket).await.is_err() {
            break;
        }
    }
    Ok(())
}
