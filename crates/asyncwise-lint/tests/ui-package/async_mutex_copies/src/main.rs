//! One `Arc`-shared lock stored in several structs, and locks taken only at set-up or by
//! configuration functions.

mod handler;
mod relay;

use std::sync::Arc;

use tokio::sync::{Mutex, RwLock};

#[derive(Clone, Default)]
pub struct Config {
    pub mode: u8,
}

/// The plugin holds the configuration; its handler holds a copy of the same `Arc`.
struct Plugin {
    cfg: Arc<RwLock<Config>>,
}

impl Plugin {
    fn handler(&self) -> handler::Handler {
        handler::Handler {
            cfg: self.cfg.clone(),
        }
    }

    async fn get_config(&self) -> u8 {
        self.cfg.read().await.mode
    }

    async fn load_config(&self, mode: u8) {
        self.cfg.write().await.mode = mode;
    }
}

/// A configuration lock read only when it starts and by its admin getter: pedantic, once for
/// both structs that hold it.
struct Bridge {
    settings: Arc<RwLock<Config>>, //~ async_mutex_unneeded(pedantic)
}

struct BridgeManager {
    shared_settings: Arc<RwLock<Config>>,
}

impl Bridge {
    async fn init(&self) -> BridgeManager {
        let mode = self.settings.read().await.mode;
        let _ = mode;
        BridgeManager {
            shared_settings: Arc::clone(&self.settings),
        }
    }

    async fn get_config(&self) -> u8 {
        self.settings.read().await.mode
    }
}

impl BridgeManager {
    async fn _start(&self) {
        let mode = self.shared_settings.read().await.mode;
        let _ = mode;
    }
}

/// An output buffer locked per outbound message: a hot lock of its own.
struct Session {
    output: Mutex<Vec<String>>, //~ async_mutex_unneeded(pedantic)
}

impl Session {
    async fn push(&self, line: String) {
        self.output.lock().await.push(line);
    }

    async fn drain(&self) -> Vec<String> {
        std::mem::take(&mut *self.output.lock().await)
    }
}

#[tokio::main]
async fn main() {
    let plugin = Plugin {
        cfg: Arc::new(RwLock::new(Config::default())),
    };
    let handler = plugin.handler();
    plugin.load_config(1).await;
    let _ = plugin.get_config().await;
    for n in 0..3 {
        handler.on_message(n).await; //~ sequential_await
    }
    let bridge = Bridge {
        settings: Arc::new(RwLock::new(Config::default())),
    };
    let manager = bridge.init().await;
    manager._start().await;
    let _ = bridge.get_config().await;
    let session = Session {
        output: Mutex::new(Vec::new()),
    };
    // Per message: never start-up only.
    for line in ["a", "b"] {
        session.push(line.into()).await;
        let _ = session.drain().await;
    }
    relay::run().await;
}
