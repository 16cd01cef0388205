//! Catalogue corpus: fan-out of configuration updates with tokio's broadcast channel on smol.

use tokio::sync::broadcast;

pub struct Updates {
    tx: broadcast::Sender<String>,
}

impl Updates {
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(64);
        Updates { tx }
    }

    pub fn publish(&self, update: String) -> usize {
        self.tx.send(update).unwrap_or(0)
    }

    pub fn follow(&self, name: String) -> smol::Task<()> {
        let mut rx = self.tx.subscribe();
        smol::spawn(async move {
            while let Ok(update) = rx.recv().await {
                println!("{name}: {update}");
            }
        })
    }
}

impl Default for Updates {
    fn default() -> Self {
        Self::new()
    }
}
