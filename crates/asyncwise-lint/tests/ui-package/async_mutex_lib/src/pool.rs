use std::sync::Arc;

use tokio::sync::Mutex;

pub struct Pool {
    // ok: two `Arc`s of the same type: possibly one lock, and the other one is held
    idle: Arc<Mutex<Vec<u32>>>,
    busy: Arc<Mutex<Vec<u32>>>,
}

impl Pool {
    pub async fn take(&self) -> Option<u32> {
        let n = self.idle.lock().await.pop();
        let mut busy = self.busy.lock().await;
        tokio::task::yield_now().await;
        busy.extend(n);
        n
    }
}
