use std::collections::{HashMap, HashSet};
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, RwLock};

use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio_tungstenite::tungstenite::Message;

use crate::history::History;

pub type ClientId = uuid::Uuid;

#[derive(Default)]
pub struct Room {
    pub members: HashSet<ClientId>,
}

pub struct Hub {
    clients: RwLock<HashMap<ClientId, UnboundedSender<Message>>>,
    rooms: tokio::sync::RwLock<HashMap<String, Room>>, //~ async_mutex_unneeded
    pub history: Arc<History>,
    pub online: AtomicUsize,
}

impl Hub {
    pub fn new(history: Arc<History>) -> Hub {
        Hub {
            clients: RwLock::new(HashMap::new()),
            rooms: tokio::sync::RwLock::new(HashMap::new()),
            history,
            online: AtomicUsize::new(0),
        }
    }

    pub fn register(&self, id: ClientId) -> UnboundedReceiver<Message> {
        let (tx, rx) = mpsc::unbounded_channel(); //~ unbounded_channel
        self.clients.write().unwrap().insert(id, tx);
        rx
    }

    pub fn unregister(&self, id: &ClientId) {
        self.clients.write().unwrap().remove(id);
    }

    pub async fn join(&self, room: &str, id: ClientId) {
        let mut rooms = self.rooms.write().await;
        rooms.entry(room.to_owned()).or_default().members.insert(id);
    }

    pub async fn leave_all(&self, id: &ClientId) {
        for room in self.rooms.write().await.values_mut() {
            room.members.remove(id);
        }
    }

    pub async fn members(&self, room: &str) -> Vec<ClientId> {
        self.rooms
            .read()
            .await
            .get(room)
            .map(|r| r.members.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Sends `msg` to every member of `room`, yielding between clients so that a big room
    /// does not hog the worker.
    pub async fn broadcast(&self, room: &str, msg: Message) {
        let members = self.members(room).await;
        let clients = self.clients.read().unwrap(); //~ lock_across_await
        for id in members {
            if let Some(tx) = clients.get(&id) {
                let _ = tx.send(msg.clone());
            }
            tokio::task::yield_now().await;
        }
    }

    /// The same fan-out with the senders cloned out before the first yield.
    pub async fn broadcast_snapshot(&self, room: &str, msg: Message) {
        let members = self.members(room).await;
        let senders: Vec<_> = {
            let clients = self.clients.read().unwrap();
            members.iter().filter_map(|id| clients.get(id).cloned()).collect()
        };
        for tx in senders {
            let _ = tx.send(msg.clone());
            tokio::task::yield_now().await;
        }
    }

    /// Tells every room the hub is going away; each room's fan-out runs on its own.
    pub async fn announce_shutdown(self: &Arc<Self>, rooms: Vec<String>) {
        for room in rooms {
            let hub = self.clone();
            tokio::spawn(async move { //~ unbounded_spawn
                hub.broadcast(&room, Message::Close(None)).await;
            });
        }
    }
}

/// Records a client's departure when its session value is dropped.
pub struct Departure {
    pub hub: Arc<Hub>,
    pub id: ClientId,
}

impl Drop for Departure {
    fn drop(&mut self) {
        let hub = self.hub.clone();
        let id = self.id;
        tokio::spawn(async move { //~ detached_task(pedantic)
            hub.history.record("lobby", &format!("{id} left")).await?;
            Ok::<_, std::io::Error>(())
        });
    }
}

/// Journals a message in the background.
pub fn persist_later(hub: Arc<Hub>, room: String, text: String) {
    drop(tokio::spawn(async move { hub.history.record(&room, &text).await })); //~ detached_task
}

/// Journals a message in the background, saying so when it fails.
pub fn persist_logged(hub: Arc<Hub>, room: String, text: String) {
    tokio::spawn(async move {
        hub.history
            .record(&room, &text)
            .await
            .inspect_err(|e| tracing::warn!(%room, "history: {e}"))?;
        Ok::<_, std::io::Error>(())
    });
}
