use std::sync::Arc;

use tokio::sync::RwLock;

use crate::Config;

/// The plugin's configuration, read for every message: the one finding of that lock is here,
/// with a note at the plugin's copy.
pub struct Handler {
    pub(crate) cfg: Arc<RwLock<Config>>, //~ async_mutex_unneeded(pedantic)
}

impl Handler {
    pub async fn on_message(&self, n: u8) {
        let mode = self.cfg.read().await.mode;
        let _ = (mode, n);
    }
}
