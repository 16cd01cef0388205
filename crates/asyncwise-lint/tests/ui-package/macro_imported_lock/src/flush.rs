use crate::Store;

impl Store {
    pub async fn close(&mut self) {
        for part in self.parts.iter() { //~ lock_across_await(pedantic)
            tokio::fs::write("/tmp/part", part.value()).await.ok();
        }
    }

    pub async fn flush(&self) {
        for part in self.parts.iter() { //~ lock_across_await
            tokio::fs::write("/tmp/part", part.value()).await.ok();
        }
    }
}
