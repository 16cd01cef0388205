use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use dashmap::DashMap;
use tokio::sync::mpsc;

#[derive(Default)]
pub struct Room {
    members: Vec<mpsc::UnboundedSender<Bytes>>,
    bounded: Vec<mpsc::Sender<Bytes>>,
}

impl Room {
    async fn deliver(&self, frame: Bytes) {
        for m in &self.members {
            let _ = m.send(frame.clone());
        }
        for b in &self.bounded {
            let _ = b.send(frame.clone()).await; //~ sequential_await
        }
    }
}

pub struct Hub {
    rooms: DashMap<String, Room>,
    history: parking_lot::Mutex<VecDeque<Bytes>>,
    pub connections: AtomicUsize,
    online: AtomicUsize,
}

impl Hub {
    pub fn new() -> Self {
        Self {
            rooms: DashMap::new(),
            history: parking_lot::Mutex::new(VecDeque::with_capacity(128)),
            connections: AtomicUsize::new(0),
            online: AtomicUsize::new(0),
        }
    }

    pub fn subscribe(&self, room: &str, tx: mpsc::UnboundedSender<Bytes>) {
        self.rooms.entry(room.to_owned()).or_default().members.push(tx);
    }

    pub fn subscribe_bounded(&self, room: &str, tx: mpsc::Sender<Bytes>) {
        self.rooms.entry(room.to_owned()).or_default().bounded.push(tx);
    }

    pub async fn publish(&self, room: &str, frame: Bytes) {
        {
            let mut history = self.history.lock();
            if history.len() == 128 {
                history.pop_front();
            }
            history.push_back(frame.clone());
        }
        if let Some(room) = self.rooms.get(room) { //~ lock_across_await
            room.deliver(frame).await;
        }
    }

    /// Replays recent frames to a late joiner.
    pub async fn replay(&self, tx: &mpsc::Sender<Bytes>) {
        let history = self.history.lock(); //~ lock_across_await
        for frame in history.iter() {
            if tx.send(frame.clone()).await.is_err() {
                break;
            }
        }
    }

    /// The newest frame, or the next one when nothing was published yet.
    pub async fn last_or_wait(&self, published: &tokio::sync::Notify) -> Bytes {
        if let Some(last) = self.history.lock().back().cloned() {
            last
        } else {
            published.notified().await;
            Bytes::new()
        }
    }

    pub fn broadcast_text(&self, text: String) {
        let frame = Bytes::from(text);
        for room in self.rooms.iter() {
            for m in &room.members {
                let _ = m.send(frame.clone());
            }
        }
    }

    pub fn online(&self) -> usize {
        self.online.load(Ordering::Relaxed)
    }

    pub fn room_names(&self) -> Vec<String> {
        self.rooms.iter().map(|r| r.key().clone()).collect()
    }

    pub fn track_online(&self) -> OnlineGuard<'_> {
        self.online.fetch_add(1, Ordering::Relaxed);
        OnlineGuard(self)
    }
}

pub struct OnlineGuard<'a>(&'a Hub);

impl Drop for OnlineGuard<'_> {
    fn drop(&mut self) {
        self.0.online.fetch_sub(1, Ordering::Relaxed);
    }
}
