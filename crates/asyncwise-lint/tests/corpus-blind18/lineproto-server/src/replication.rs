use std::sync::Arc;

use futures::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio_util::codec::{Framed, LinesCodec};

use crate::store::Store;

/// The primary's side: replicas connect and are brought up to date.
pub async fn run_primary(addr: &str, store: Arc<Store>) -> anyhow::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    loop {
        let (socket, peer) = listener.accept().await?;
        tracing::info!(%peer, "replica connected");
        let framed = Framed::new(socket, LinesCodec::new());
        sync_replica(framed, &store).await?; //~ inline_accept_loop
    }
}

async fn sync_replica(
    mut framed: Framed<tokio::net::TcpStream, LinesCodec>,
    store: &Store,
) -> anyhow::Result<()> {
    let hello = framed.next().await.ok_or_else(|| anyhow::anyhow!("replica hung up"))??;
    tracing::debug!(%hello, "replica hello");
    for entry in store.drain_log() {
        framed.send(entry).await?;
    }
    framed.send("SYNCED".to_string()).await?;
    Ok(())
}
