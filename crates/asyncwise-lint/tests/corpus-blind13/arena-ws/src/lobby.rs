use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dashmap::DashMap;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};

use crate::game::{self, Rules};
use crate::PlayerId;

#[derive(Clone)]
pub struct Ticket {
    pub rating: u32,
    pub outbox: mpsc::Sender<String>,
}

pub struct Lobby {
    waiting: DashMap<PlayerId, Ticket>,
    in_game: DashMap<PlayerId, u64>,
    next: AtomicU64,
    pub spectators: Mutex<Vec<TcpStream>>,
    rules: watch::Sender<Rules>,
}

impl Lobby {
    pub fn new() -> Self {
        let (rules, _) = watch::channel(Rules::default());
        Lobby {
            waiting: DashMap::new(),
            in_game: DashMap::new(),
            next: AtomicU64::new(1),
            spectators: Mutex::new(Vec::new()),
            rules,
        }
    }

    pub fn next_id(&self) -> PlayerId {
        self.next.fetch_add(1, Ordering::Relaxed)
    }

    pub async fn join(&self, id: PlayerId, ticket: Ticket) {
        if let Some(existing) = self.waiting.get(&id) { //~ lock_across_await
            let _ = existing.outbox.send("already queued".into()).await;
            return;
        }
        let outbox = ticket.outbox.clone();
        self.waiting.insert(id, ticket);
        let _ = outbox.send("queued".into()).await;
    }

    pub async fn on_message(&self, id: PlayerId, text: &str) {
        let game = self.in_game.get(&id).map(|g| *g);
        match game {
            Some(game) => game::relay(game, id, text).await,
            None => tracing::debug!(id, "message outside a game ignored"),
        }
    }

    pub fn leave(&self, id: PlayerId) {
        self.waiting.remove(&id);
        self.in_game.remove(&id);
    }

    fn take_pairs(&self) -> Vec<(PlayerId, Ticket, PlayerId, Ticket)> {
        let mut ids: Vec<(PlayerId, u32)> = self.waiting.iter().map(|e| (*e.key(), e.value().rating)).collect();
        ids.sort_by_key(|(_, r)| *r);
        let mut pairs = Vec::new();
        for chunk in ids.chunks_exact(2) {
            if let (Some((a, ta)), Some((b, tb))) = (self.waiting.remove(&chunk[0].0), self.waiting.remove(&chunk[1].0)) {
                pairs.push((a, ta, b, tb));
            }
        }
        pairs
    }

    pub async fn run_matchmaker(self: Arc<Self>) -> anyhow::Result<()> {
        let mut every = tokio::time::interval(Duration::from_millis(500));
        loop {
            every.tick().await;
            for (a, ta, b, tb) in self.take_pairs() {
                let rules = self.rules.subscribe();
                let game_id = a ^ (b << 1);
                self.in_game.insert(a, game_id);
                self.in_game.insert(b, game_id);
                tokio::spawn(game::play(game_id, (a, ta.outbox), (b, tb.outbox), rules)); //~ unbounded_spawn
            }
            if self.waiting.len() > 10_000 {
                anyhow::bail!("matchmaking queue overflow");
            }
        }
    }
}
