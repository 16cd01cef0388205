// lock_across_await: a chat server's shared state (`self.peers` is a std Mutex because the
// struct says so), an axum handler with `State`, and a rate limiter — the shapes guards are
// held across awaits in real services.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::mpsc;

struct Hub {
    peers: Mutex<HashMap<SocketAddr, mpsc::Sender<String>>>,
    history: RwLock<Vec<String>>,
    writers: tokio::sync::Mutex<HashMap<SocketAddr, OwnedWriteHalf>>,
}

impl Hub {
    async fn broadcast_wrong(&self, from: SocketAddr, msg: &str) {
        let peers = self.peers.lock().unwrap(); //~ lock_across_await
        for (addr, tx) in peers.iter() {
            if *addr != from {
                let _ = tx.send(msg.to_owned()).await;
            }
        }
    }

    async fn broadcast(&self, from: SocketAddr, msg: &str) {
        let targets: Vec<_> = {
            let peers = self.peers.lock().unwrap(); // ok: cloned out, dropped at block end
            peers
                .iter()
                .filter(|(a, _)| **a != from)
                .map(|(_, tx)| tx.clone())
                .collect()
        };
        for tx in targets {
            let _ = tx.send(msg.to_owned()).await; //~ sequential_await
        }
    }

    async fn join(&self, addr: SocketAddr, tx: mpsc::Sender<String>) {
        self.peers.lock().unwrap().insert(addr, tx.clone()); // ok: temporary
        let backlog = self.history.read().unwrap().clone(); // ok: temporary
        for line in backlog {
            if tx.send(line).await.is_err() {
                break;
            }
        }
    }

    async fn replay_wrong(&self, tx: mpsc::Sender<String>) {
        let history = self.history.read().unwrap(); //~ lock_across_await
        for line in history.iter() {
            let _ = tx.send(line.clone()).await;
        }
    }

    async fn record(&self, line: String) {
        self.history.write().unwrap().push(line.clone()); // ok: temporary
        let mut writers = self.writers.lock().await; // ok: tokio::sync::Mutex
        for w in writers.values_mut() {
            let _ = w.write_all(line.as_bytes()).await; //~ sequential_await
        }
    }

    async fn kick(&self, addr: SocketAddr) {
        if let Some(tx) = self.peers.lock().unwrap().remove(&addr) { //~ lock_across_await
            let _ = tx.send("bye".into()).await;
        }
    }

    async fn kick_fixed(&self, addr: SocketAddr) {
        let removed = self.peers.lock().unwrap().remove(&addr); // ok: temporary
        if let Some(tx) = removed {
            let _ = tx.send("bye".into()).await;
        }
    }
}

#[derive(Clone)]
struct AppState {
    hits: Arc<Mutex<HashMap<String, u64>>>,
    limiter: Arc<Limiter>,
}

struct Limiter {
    last: Mutex<HashMap<String, Instant>>,
}

async fn count_wrong(State(state): State<AppState>, Path(page): Path<String>) -> String {
    let mut hits = state.hits.lock().unwrap(); //~ lock_across_await
    let n = hits.entry(page.clone()).or_default();
    *n += 1;
    tokio::time::sleep(Duration::from_millis(5)).await;
    format!("{page}: {n}")
}

async fn count(State(state): State<AppState>, Path(page): Path<String>) -> String {
    let n = {
        let mut hits = state.hits.lock().unwrap(); // ok: dies at the end of the block
        let n = hits.entry(page.clone()).or_default();
        *n += 1;
        *n
    };
    tokio::time::sleep(Duration::from_millis(5)).await;
    format!("{page}: {n}")
}

async fn throttled(State(state): State<AppState>, Path(user): Path<String>) -> StatusCode {
    let wait = {
        let mut last = state.limiter.last.lock().unwrap(); // ok: dies at the end of the block
        let now = Instant::now();
        let prev = last.insert(user, now);
        prev.map(|p| Duration::from_secs(1).saturating_sub(now - p))
    };
    if let Some(d) = wait {
        tokio::time::sleep(d).await;
    }
    StatusCode::OK
}

async fn throttled_wrong(State(state): State<AppState>, Path(user): Path<String>) -> StatusCode {
    let mut last = state.limiter.last.lock().unwrap(); //~ lock_across_await
    let now = Instant::now();
    if let Some(prev) = last.insert(user, now) {
        tokio::time::sleep(Duration::from_secs(1).saturating_sub(now - prev)).await;
    }
    StatusCode::OK
}
