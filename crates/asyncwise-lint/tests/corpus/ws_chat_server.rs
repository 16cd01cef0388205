//! Websocket chat server: rooms, presence and message fan-out.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, mpsc};
use tokio_tungstenite::{accept_async, tungstenite::Message};
use tracing::{debug, error, info};

type Tx = mpsc::UnboundedSender<Message>;

#[derive(Default)]
pub struct Rooms {
    members: HashMap<String, HashSet<SocketAddr>>,
}

#[derive(Clone)]
pub struct Hub {
    peers: Arc<Mutex<HashMap<SocketAddr, Tx>>>,
    rooms: Arc<Mutex<Rooms>>,
    events: broadcast::Sender<String>,
    history: Arc<tokio::sync::Mutex<Vec<String>>>,
}

impl Hub {
    pub fn new() -> Self {
        let (events, _) = broadcast::channel(256);
        Hub {
            peers: Arc::new(Mutex::new(HashMap::new())),
            rooms: Arc::new(Mutex::new(Rooms::default())),
            events,
            history: Arc::new(tokio::sync::Mutex::new(Vec::new())),
        }
    }

    fn room_members(&self, room: &str) -> Vec<SocketAddr> {
        let rooms = self.rooms.lock().unwrap();
        rooms.members.get(room).map(|m| m.iter().copied().collect()).unwrap_or_default()
    }

    async fn remember(&self, line: String) {
        let mut history = self.history.lock().await;
        history.push(line);
        if history.len() > 500 {
            history.drain(..100);
        }
        self.persist_history(&history).await;
    }

    async fn persist_history(&self, lines: &[String]) {
        let joined = lines.join("\n");
        if let Err(e) = tokio::fs::write("chat-history.log", joined).await {
            error!("cannot persist history: {e}");
        }
    }

    async fn send_to(&self, addr: SocketAddr, msg: Message) {
        if let Some(tx) = self.peers.lock().unwrap().get(&addr) { //~ lock_across_await
            if tx.send(msg).is_err() {
                debug!("peer {addr} went away");
            }
            self.events.send(format!("delivered to {addr}")).ok();
            tokio::task::yield_now().await;
        }
    }

    pub async fn broadcast_room(&self, room: &str, text: &str) {
        let line = format!("[{room}] {text}");
        let members = self.room_members(room);
        let peers = self.peers.lock().unwrap().clone();
        for addr in members {
            if let Some(tx) = peers.get(&addr) {
                let _ = tx.send(Message::text(line.clone()));
            }
        }
        self.remember(line).await;
    }
}

pub async fn run(addr: &str) -> anyhow::Result<()> {
    let hub = Hub::new();
    let listener = TcpListener::bind(addr).await?;
    info!("chat listening on {addr}");
    loop {
        let (stream, peer) = listener.accept().await?;
        let hub = hub.clone();
        tokio::spawn(async move {
            if let Err(e) = handle_connection(hub, stream, peer).await {
                error!("connection {peer} failed: {e}");
            }
        });
    }
}

async fn handle_connection(hub: Hub, stream: TcpStream, peer: SocketAddr) -> anyhow::Result<()> {
    let ws = accept_async(stream).await?;
    let (mut sink, mut source) = ws.split();
    let (tx, mut rx) = mpsc::unbounded_channel(); //~ unbounded_channel
    hub.peers.lock().unwrap().insert(peer, tx);

    let writer = tokio::spawn(async move {
        while let Some(msg) = rx.recv().await {
            if sink.send(msg).await.is_err() {
                break;
            }
        }
    });

    while let Some(frame) = source.next().await {
        let frame = frame?;
        if let Message::Text(text) = frame {
            let hub = hub.clone();
            tokio::spawn(async move { //~ unbounded_spawn
                let text = text.to_string();
                match text.split_once(' ') {
                    Some(("/join", room)) => join_room(&hub, room, peer),
                    Some(("/say", rest)) => hub.broadcast_room("lobby", rest).await,
                    _ => hub.send_to(peer, Message::text("unknown command")).await,
                }
            });
        }
    }

    hub.peers.lock().unwrap().remove(&peer);
    writer.abort();
    Ok(())
}

fn join_room(hub: &Hub, room: &str, peer: SocketAddr) {
    let mut rooms = hub.rooms.lock().unwrap();
    rooms.members.entry(room.to_string()).or_default().insert(peer);
}

pub async fn presence_feed(hub: Hub) {
    let mut events = hub.events.subscribe();
    while let Ok(event) = events.recv().await {
        let count = hub.peers.lock().unwrap().len();
        debug!("{event} ({count} online)");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}
