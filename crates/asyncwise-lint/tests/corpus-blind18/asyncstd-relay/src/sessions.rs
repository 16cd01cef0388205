use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_std::sync::Mutex;

#[derive(Default)]
pub struct Sessions {
    open: Mutex<HashMap<SocketAddr, u64>>, //~ async_mutex_unneeded
    pub active: AtomicUsize,
}

impl Sessions {
    pub async fn start(&self, peer: SocketAddr) {
        self.open.lock().await.insert(peer, 0);
    }

    pub async fn add_bytes(&self, peer: SocketAddr, n: u64) {
        if let Some(total) = self.open.lock().await.get_mut(&peer) {
            *total += n;
        }
    }

    pub async fn finish(&self, peer: SocketAddr) -> u64 {
        self.open.lock().await.remove(&peer).unwrap_or(0)
    }

    pub fn active(&self) -> usize {
        self.active.load(Ordering::Relaxed)
    }
}
