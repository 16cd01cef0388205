use std::sync::Arc;

use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use crate::history::History;
use crate::hub::{ClientId, Hub};

pub struct Snapshot {
    pub members: Vec<ClientId>,
    pub recent: Vec<String>,
}

/// What a client sees when it opens a room: who is there and the last messages.
pub async fn snapshot(hub: &Hub, history: &History, room: &str) -> Snapshot {
    let members = hub.members(room).await; //~ sequential_await
    let recent = history.recent(room, 50).await;
    Snapshot { members, recent }
}

/// Tells the lobby each time the operator changes the topic.
pub async fn announce_topics(hub: Arc<Hub>, mut topic_rx: watch::Receiver<String>) {
    while topic_rx.changed().await.is_ok() {
        let topic = topic_rx.borrow(); //~ lock_across_await
        hub.broadcast("lobby", Message::Text(format!("topic: {}", *topic))).await;
    }
}

/// The same announcement with the topic cloned out of the channel first.
pub async fn announce_topic_once(hub: &Hub, topic_rx: &watch::Receiver<String>) {
    let topic = topic_rx.borrow().clone();
    hub.broadcast("lobby", Message::Text(format!("topic: {topic}"))).await;
}
