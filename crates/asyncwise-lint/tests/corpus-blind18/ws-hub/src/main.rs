mod client;
mod history;
mod hub;
mod rooms;

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let history = Arc::new(history::History::open("/var/lib/ws-hub/history.log").await?);
    let hub = Arc::new(hub::Hub::new(history));
    let (topic_tx, topic_rx) = watch::channel(String::from("welcome"));
    tokio::spawn(rooms::announce_topics(hub.clone(), topic_rx));
    tokio::spawn(async move {
        let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(tokio::io::stdin()));
        while let Ok(Some(line)) = lines.next_line().await {
            let _ = topic_tx.send(line);
        }
    });

    let listener = TcpListener::bind("0.0.0.0:9001").await?;
    loop {
        let (stream, addr) = listener.accept().await?;
        let hub = hub.clone();
        tokio::spawn(async move { //~ detached_task
            let ws = tokio_tungstenite::accept_async(stream).await?;
            client::run(ws, addr, hub).await
        });
    }
}
