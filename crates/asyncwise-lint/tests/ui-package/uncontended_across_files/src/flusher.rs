use crate::offsets::Offsets;

impl Offsets {
    pub async fn flush(&self) {
        for e in self.seen.iter() { //~ lock_across_await
            tokio::fs::write("/tmp/offsets", e.value().to_string()).await.ok();
        }
    }
}
