use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::hub::Hub;

#[derive(Deserialize)]
#[serde(tag = "op")]
enum Command {
    Join { room: String },
    Say { room: String, text: String },
}

pub async fn run(ws: WebSocketStream<TcpStream>, addr: SocketAddr, hub: Arc<Hub>) -> anyhow::Result<()> {
    let id = uuid::Uuid::new_v4();
    let mut outbox = hub.register(id);
    let (mut sink, mut stream) = ws.split();
    hub.online.fetch_add(1, Ordering::SeqCst); //~? cleanup_after_await
    let hello = stream.next().await.ok_or_else(|| anyhow::anyhow!("{addr} left before hello"))??; //~ cleanup_after_await
    tracing::debug!(%addr, ?hello, "client said hello");
    let result = session(&hub, id, addr, &mut sink, &mut stream, &mut outbox).await;
    hub.online.fetch_sub(1, Ordering::SeqCst);
    hub.leave_all(&id).await;
    hub.unregister(&id);
    result
}

type Sink = futures::stream::SplitSink<WebSocketStream<TcpStream>, Message>;
type Stream = futures::stream::SplitStream<WebSocketStream<TcpStream>>;

async fn session(
    hub: &Hub,
    id: crate::hub::ClientId,
    addr: SocketAddr,
    sink: &mut Sink,
    stream: &mut Stream,
    outbox: &mut mpsc::UnboundedReceiver<Message>,
) -> anyhow::Result<()> {
    loop {
        tokio::select! {
            Some(msg) = outbox.recv() => sink.send(msg).await?,
            incoming = stream.next() => {
                let Some(Ok(Message::Text(text))) = incoming else { break };
                match serde_json::from_str::<Command>(&text) {
                    Ok(Command::Join { room }) => hub.join(&room, id).await,
                    Ok(Command::Say { room, text }) => {
                        if let Err(e) = hub.history.record(&room, &text).await {
                            tracing::warn!("history: {e}");
                        }
                        hub.broadcast(&room, Message::Text(text)).await;
                    }
                    Err(e) => tracing::debug!(%addr, "bad command: {e}"),
                }
            }
        }
    }
    Ok(())
}

/// Bridges a client to an upstream hub: messages queue in `pending` and are forwarded one at a
/// time, with a ping to the client every 20 s.
pub async fn bridge(
    mut sink: futures::stream::SplitSink<WebSocketStream<TcpStream>, Message>,
    upstream: mpsc::Sender<Message>,
    mut pending: std::collections::VecDeque<Message>,
) -> anyhow::Result<()> {
    let mut ping = tokio::time::interval(Duration::from_secs(20));
    while let Some(next) = pending.front().cloned() {
        tokio::select! {
            sent = upstream.send(next) => { //~ select_cancel_unsafe
                sent?;
                pending.pop_front();
            }
            _ = ping.tick() => sink.send(Message::Ping(Vec::new())).await?,
        }
    }
    Ok(())
}

/// The same bridge with the send reserved first: `reserve` is cancel safe, and the message
/// leaves the queue only once a slot is held.
pub async fn bridge_reserved(
    mut sink: futures::stream::SplitSink<WebSocketStream<TcpStream>, Message>,
    upstream: mpsc::Sender<Message>,
    mut pending: std::collections::VecDeque<Message>,
) -> anyhow::Result<()> {
    let mut ping = tokio::time::interval(Duration::from_secs(20));
    while !pending.is_empty() {
        tokio::select! {
            slot = upstream.reserve() => {
                let slot = slot?;
                if let Some(msg) = pending.pop_front() {
                    slot.send(msg);
                }
            }
            _ = ping.tick() => sink.send(Message::Ping(Vec::new())).await?,
        }
    }
    Ok(())
}
