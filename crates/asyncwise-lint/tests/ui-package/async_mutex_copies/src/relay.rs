//! One lock in two structs whose guard is held across an await in one of them: no finding
//! for either copy.

use std::sync::Arc;

use tokio::sync::Mutex;

pub struct Link {
    pub(crate) known: Arc<tokio::sync::Mutex<Vec<u32>>>,
}

pub struct Relay {
    peers: Arc<Mutex<Vec<u32>>>,
}

async fn send(_peer: u32) {}

impl Relay {
    async fn forward(&self) {
        let peers = self.peers.lock().await;
        for p in peers.iter() {
            send(*p).await;
        }
    }
}

impl Link {
    async fn count(&self) -> usize {
        self.known.lock().await.len()
    }
}

pub async fn run() {
    let relay = Relay {
        peers: Arc::new(Mutex::new(vec![1])),
    };
    let link = Link {
        known: relay.peers.clone(),
    };
    relay.forward().await;
    let _ = link.count().await;
}
