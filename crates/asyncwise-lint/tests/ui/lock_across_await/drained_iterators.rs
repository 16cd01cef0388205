// A `dashmap` iterator holds a shard's lock while it is alive. Drained by value in the loop's
// head (`collect` after `map`, `count`), it is gone before the body's await; iterated by the
// loop itself, or collected without mapping (a `Vec` of references), it is still held.
use dashmap::DashMap;

pub struct Pieces {
    waiting: DashMap<u32, Piece>,
}

impl Pieces {
    pub async fn flush_keys(&self, out: &Sender) {
        for number in self
            .waiting
            .iter()
            .filter(|entry| entry.value().ready)
            .map(|entry| *entry.key())
            .collect::<Vec<u32>>()
        {
            if let Some((_, piece)) = self.waiting.remove(&number) {
                out.send(piece).await;
            }
        }
    }

    pub async fn report_count(&self, out: &Sender) {
        let ready = self.waiting.iter().filter(|e| e.value().ready).count();
        out.note(ready).await;
    }

    pub async fn walk_live(&self, out: &Sender) {
        for entry in self.waiting.iter() { //~ lock_across_await
            let _seen = *entry.key();
            out.tick().await;
        }
    }

    pub async fn walk_mapped(&self, out: &Sender) {
        for key in self.waiting.iter().map(|e| *e.key()) { //~ lock_across_await
            let _seen = key;
            out.tick().await;
        }
    }

    pub async fn walk_references(&self, out: &Sender) {
        for entry in self.waiting.iter().collect::<Vec<_>>() { //~ lock_across_await
            let _seen = *entry.key();
            out.tick().await;
        }
    }
}

pub struct Piece {
    ready: bool,
}

pub struct Sender;

impl Sender {
    pub async fn send(&self, _piece: Piece) {}
    pub async fn note(&self, _n: usize) {}
    pub async fn tick(&self) {}
}
