//! Rooms and their history.

use std::collections::VecDeque;
use std::sync::Arc;

use dashmap::DashMap;
use parking_lot::Mutex;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::{broadcast, watch};

use crate::moderation::{Moderation, Rejected};

#[derive(Debug, Clone)]
pub struct Line {
    pub from: String,
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("no such room")]
    NoSuchRoom,
    #[error(transparent)]
    Rejected(#[from] Rejected),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

pub struct Room {
    tx: broadcast::Sender<Line>,
}

pub struct Rooms {
    rooms: DashMap<String, Room>,
    history: Mutex<VecDeque<Line>>,
    topic: watch::Receiver<String>,
    moderation: Moderation,
}

impl Rooms {
    pub fn new(topic: watch::Receiver<String>) -> Rooms {
        Rooms {
            rooms: DashMap::new(),
            history: Mutex::new(VecDeque::with_capacity(500)),
            topic,
            moderation: Moderation::new("http://moderation.internal/check"),
        }
    }

    /// Relays a line to a room: the room's entry stays borrowed while moderation runs.
    pub async fn post(&self, room: &str, line: Line) -> Result<(), RelayError> {
        let entry = self.rooms.get(room).ok_or(RelayError::NoSuchRoom)?; //~ lock_across_await
        self.moderation.check(&line).await?;
        let _ = entry.tx.send(line);
        Ok(())
    }

    /// Same, with the sender cloned out of the map first.
    pub async fn announce(&self, room: &str, line: Line) -> Result<(), RelayError> {
        let tx = self.rooms.get(room).map(|r| r.tx.clone()).ok_or(RelayError::NoSuchRoom)?;
        self.moderation.check(&line).await?;
        let _ = tx.send(line);
        Ok(())
    }

    pub async fn remember(&self, line: Line) {
        let mut history = self.history.lock(); //~ lock_across_await
        history.push_back(line.clone());
        if history.len() > 500 {
            history.pop_front();
        }
        self.moderation.archive(&line).await;
    }

    pub async fn backlog(&self, out: &mut TcpStream) -> std::io::Result<()> {
        let text: String = {
            let history = self.history.lock();
            history.iter().map(|l| format!("<{}> {}\n", l.from, l.text)).collect()
        };
        out.write_all(text.as_bytes()).await
    }

    pub async fn greet(&self, user: &str, out: &mut TcpStream) -> std::io::Result<()> {
        let topic = self.topic.borrow(); //~ lock_across_await
        out.write_all(format!("hello {user}, topic: {}\n", *topic).as_bytes()).await
    }

    pub async fn greet_quietly(&self, out: &mut TcpStream) -> std::io::Result<()> {
        let topic = self.topic.borrow().clone();
        out.write_all(format!("topic: {topic}\n").as_bytes()).await
    }
}

pub async fn open_room(rooms: Arc<Rooms>, name: String) -> Result<(), RelayError> {
    let (tx, _rx) = broadcast::channel(1024);
    rooms.rooms.insert(name, Room { tx });
    Ok(())
}

pub async fn serve_client(
    rooms: Arc<Rooms>,
    topic_tx: watch::Sender<String>,
    mut sock: TcpStream,
) -> Result<(), RelayError> {
    rooms.backlog(&mut sock).await?;
    let (rd, _wr) = sock.split();
    let mut lines = BufReader::new(rd).lines();
    while let Some(text) = lines.next_line().await? {
        if let Some(topic) = text.strip_prefix("/topic ") {
            let _ = topic_tx.send(topic.to_owned());
            continue;
        }
        let line = Line {
            from: "anon".into(),
            text,
        };
        rooms.remember(line.clone()).await;
        rooms.post("lobby", line).await?;
    }
    Ok(())
}
