//! Websocket fan-out hub: one upstream feed, many subscribers.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, mpsc, RwLock};
use tokio_tungstenite::{accept_async, tungstenite::Message};

type ClientId = u64;
type Outbox = mpsc::UnboundedSender<Message>;

pub struct Hub {
    clients: Mutex<HashMap<ClientId, Outbox>>,
    topics: RwLock<HashMap<String, Vec<ClientId>>>,
    feed: broadcast::Sender<Arc<str>>,
    pending: Mutex<Vec<(ClientId, String)>>,
    next_id: AtomicU64,
}

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error(transparent)]
    Ws(#[from] tokio_tungstenite::tungstenite::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl Hub {
    pub fn new() -> Arc<Self> {
        let (feed, _) = broadcast::channel(1024);
        Arc::new(Hub {
            clients: Mutex::new(HashMap::new()),
            topics: RwLock::new(HashMap::new()),
            feed,
            pending: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(1),
        })
    }

    fn register(&self, outbox: Outbox) -> ClientId {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.clients.lock().unwrap().insert(id, outbox);
        id
    }

    async fn subscribe(&self, id: ClientId, topic: &str) {
        let mut topics = self.topics.write().await;
        topics.entry(topic.to_string()).or_default().push(id);
        self.feed.send(Arc::from(format!("{id} joined {topic}"))).ok();
    }

    async fn publish(&self, topic: &str, text: &str) -> usize {
        let ids = match self.topics.read().await.get(topic) {
            Some(ids) => ids.clone(),
            None => return 0,
        };
        let targets: Vec<Outbox> = {
            let clients = self.clients.lock().unwrap();
            ids.iter().filter_map(|id| clients.get(id).cloned()).collect()
        };
        for tx in &targets {
            let _ = tx.send(Message::text(text));
        }
        tokio::task::yield_now().await;
        targets.len()
    }

    async fn kick_idle(&self, idle: Vec<ClientId>) {
        while let Some(tx) = idle.iter().find_map(|id| self.clients.lock().unwrap().remove(id)) {
            let _ = tx.send(Message::Close(None));
            tokio::task::yield_now().await;
        }
    }

    async fn drain_pending(self: &Arc<Self>, pending: &mut Vec<(ClientId, String)>) {
        while let Some((id, text)) = self.pending.lock().unwrap().pop() { //~ lock_across_await
            pending.push((id, text.clone()));
            self.publish("direct", &text).await;
        }
    }
}

async fn handle_conn(hub: Arc<Hub>, stream: TcpStream, peer: SocketAddr) -> Result<(), HubError> {
    let ws = accept_async(stream).await?;
    let (mut sink, mut source) = ws.split();
    let (out_tx, mut out_rx) = mpsc::unbounded_channel(); //~ unbounded_channel
    let id = hub.register(out_tx);
    log::info!("client {id} from {peer}");
    let seen = tokio::runtime::Handle::current().block_on(hub.publish("presence", "joined")); //~ block_on_in_async
    log::debug!("presence fan-out reached {seen} clients");

    tokio::spawn(async move { //~ detached_task
        while let Some(msg) = out_rx.recv().await {
            sink.send(msg).await?;
        }
        Ok::<_, HubError>(())
    });

    let mut feed = hub.feed.subscribe();
    let hub_for_feed = hub.clone();
    let feed_task = tokio::spawn(async move {
        while let Ok(line) = feed.recv().await {
            let clients: Vec<Outbox> = hub_for_feed.clients.lock().unwrap().values().cloned().collect();
            for tx in clients {
                let _ = tx.send(Message::text(line.to_string()));
            }
        }
    });

    while let Some(frame) = source.next().await {
        match frame? {
            Message::Text(t) => {
                if let Some(topic) = t.strip_prefix("sub ") {
                    hub.subscribe(id, topic.trim()).await;
                } else if let Some((topic, body)) = t.split_once(' ') {
                    hub.publish(topic, body).await;
                }
            }
            Message::Close(_) => break,
            _ => {}
        }
    }
    feed_task.abort();
    hub.clients.lock().unwrap().remove(&id);
    Ok(())
}

async fn replay_to_new_topics(hub: Arc<Hub>, history: Vec<(String, String)>) {
    for (topic, text) in history {
        let hub = hub.clone();
        tokio::spawn(async move { //~ unbounded_spawn
            hub.publish(&topic, &text).await;
        });
    }
}

#[tokio::main]
async fn main() -> Result<(), HubError> {
    let hub = Hub::new();
    let listener = TcpListener::bind("0.0.0.0:9001").await?;
    tokio::spawn(replay_to_new_topics(hub.clone(), Vec::new()));
    loop {
        let (stream, peer) = listener.accept().await?;
        let hub = hub.clone();
        tokio::spawn(async move {
            if let Err(e) = handle_conn(hub, stream, peer).await {
                log::warn!("{peer}: {e}");
            }
        });
    }
}
