use crate::Cache;

impl Cache {
    pub async fn get(&self, key: &str) -> Option<String> {
        *self.hits.write().await += 1;
        self.entries.lock().await.get(key).cloned()
    }

    pub async fn put(&self, key: String, value: String) {
        let mut entries = self.entries.lock().await;
        entries.insert(key, value);
    }

    pub async fn hits(&self) -> u64 {
        *self.hits.read().await
    }

    pub async fn journal(&self) -> tokio::sync::MutexGuard<'_, Vec<String>> {
        self.journal.lock().await
    }

    pub fn pending(&self) -> &tokio::sync::Mutex<Vec<String>> {
        &self.pending
    }

    pub async fn owned(&self) {
        let guard = self.owned.clone().lock_owned().await;
        drop(guard);
    }

    pub async fn moved(&self) {
        let guard = self.moved.lock().await;
        let _ = guard;
    }

    pub async fn matched(&self) {
        match *self.matched.lock().await {
            Some(n) => crate::io::log(n).await,
            None => {}
        }
    }

    pub async fn dropped(&self) {
        let mut g = self.dropped.lock().await;
        g.push(1);
        drop(g);
        crate::io::log(1).await;
    }

    pub async fn scoped(&self) {
        {
            let mut g = self.scoped.lock().await;
            g.push(1);
        }
        crate::io::log(2).await;
    }

    pub async fn compat(&self) -> u32 {
        let a = *self.compat.lock().await;
        a + *self.light.read().await
    }

    pub async fn compat_held(&self) {
        let g = self.compat_held.lock().await;
        crate::io::log(*g).await;
    }
}
