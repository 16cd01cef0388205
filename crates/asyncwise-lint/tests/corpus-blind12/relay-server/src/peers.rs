//! Federation: other relays learn about this one, and forwarded frames are drained by a
//! fixed set of workers.

use std::sync::Arc;

use bytes::Bytes;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, Mutex};

use crate::hub::Hub;

const FORWARD_WORKERS: usize = 4;

/// Tells every relay in the (operator-supplied) peer list that this one is up.
pub async fn announce(peers: Vec<String>, hub: Arc<Hub>) {
    for peer in peers {
        let hub = hub.clone();
        tokio::spawn(async move { //~ unbounded_spawn
            match TcpStream::connect(&peer).await {
                Ok(mut stream) => {
                    let _ = stream.write_all(b"HELLO relay/1\n").await;
                    hub.broadcast_text(format!("announced to {peer}"));
                }
                Err(e) => tracing::warn!(%peer, "announce failed: {e}"),
            }
        });
    }
}

pub fn start_forwarders(hub: Arc<Hub>) -> mpsc::Sender<(String, Bytes)> {
    let (tx, rx) = mpsc::channel(1024);
    let rx = Arc::new(Mutex::new(rx));
    for _ in 0..FORWARD_WORKERS {
        let rx = rx.clone();
        let hub = hub.clone();
        tokio::spawn(async move {
            loop {
                let next = rx.lock().await.recv().await;
                let Some((room, frame)) = next else { break };
                hub.publish(&room, frame).await;
            }
        });
    }
    tx
}
