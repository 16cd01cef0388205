use std::sync::Arc;

use dashmap::DashMap;

pub struct Sessions {
    live: Arc<DashMap<u64, String>>,
}

impl Sessions {
    pub async fn open(ids: Vec<u64>) -> Self {
        let live = Arc::new(DashMap::new());
        for id in ids {
            live.insert(id, format!("session {id}"));
        }
        Sessions { live }
    }

    pub async fn greet(&self, id: u64) {
        if let Some(s) = self.live.get(&id) { //~ lock_across_await(pedantic)
            tokio::fs::write("/tmp/greeting", s.as_bytes()).await.ok();
        }
    }
}
