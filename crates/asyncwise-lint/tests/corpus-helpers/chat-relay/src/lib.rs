//! Chat relay: rooms, history, moderation, and a presence tracker.

pub mod moderation;
pub mod presence;
pub mod rooms;

use std::sync::Arc;

use tokio::net::TcpListener;

pub struct RelayConfig {
    pub listen: String,
    pub rooms: Vec<String>,
}

pub async fn run(cfg: RelayConfig) -> anyhow::Result<()> {
    let (topic_tx, topic_rx) = tokio::sync::watch::channel(String::from("welcome"));
    let relay = Arc::new(rooms::Rooms::new(topic_rx));

    let mut opening = Vec::new();
    for name in &cfg.rooms {
        opening.push(tokio::spawn(rooms::open_room(relay.clone(), name.clone()))); //~ unbounded_spawn
    }
    for result in futures::future::join_all(opening).await {
        result??;
    }

    let listener = TcpListener::bind(&cfg.listen).await?;
    loop {
        let (sock, peer) = listener.accept().await?;
        let relay = relay.clone();
        let topic_tx = topic_tx.clone();
        tokio::spawn(async move {
            if let Err(e) = rooms::serve_client(relay, topic_tx, sock).await {
                tracing::debug!(%peer, error = %e, "client left");
            }
        });
    }
}
