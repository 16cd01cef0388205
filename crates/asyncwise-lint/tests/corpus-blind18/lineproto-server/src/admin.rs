use std::path::PathBuf;
use std::sync::Arc;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, UnixListener};

use crate::store::Store;

/// A local status socket: each client gets a snapshot of the counters and is closed.
pub async fn serve_status(store: Arc<Store>, path: PathBuf) -> anyhow::Result<()> {
    let _ = std::fs::remove_file(&path); //~ blocking_in_async(pedantic)
    let listener = UnixListener::bind(&path)?;
    loop {
        let (mut conn, _) = listener.accept().await?;
        let snapshot = store.render_stats();
        conn.write_all(snapshot.as_bytes()).await?; //~ inline_accept_loop(pedantic)
    }
}

/// The same snapshot over TCP for the metrics scraper.
pub async fn serve_metrics_tcp(store: Arc<Store>, addr: &str) -> anyhow::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    loop {
        let (mut sock, _) = listener.accept().await?;
        sock.write_all(store.render_stats().as_bytes()).await?; //~ inline_accept_loop
    }
}
