// lock_across_await: a guard that may not exist. `DashMap::get` returns `Option<Ref>`; when the
// key is absent it returns `None` and holds no shard lock, so code that runs only in the
// `None` case (a `match` arm, the `else` of an `if let Some(..)`) awaits under no lock.
// Readings: only the scrutinee's own value counts; a guard made on the way to it
// (`m.lock().unwrap().get(k)`: the `MutexGuard` is a temporary of the scrutinee) lives
// through every arm, `None` ones included.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use dashmap::DashMap;

pub struct Documents {
    open: Arc<DashMap<String, Doc>>,
    recent: Mutex<HashMap<String, Doc>>,
}

impl Documents {
    // The map is written, so its read guards can be contended for (the default form).
    pub fn close(&self, id: &str) {
        self.open.remove(id);
    }

    // Load on a miss: the await is in the `None` arm only.
    pub async fn text(&self, id: &str, db: &Db) -> String {
        match self.open.get(id) { // ok: `None` holds no shard lock
            Some(doc) => doc.text.clone(),
            None => db.load(id).await.text,
        }
    }

    pub async fn text_by_path(&self, id: &str, db: &Db) -> String {
        match (self.open.get(id)) { // ok: `None` holds no shard lock
            Option::Some(doc) => doc.text.clone(),
            Option::None => db.load(id).await.text,
        }
    }

    // The `Some` arm awaits while the `Ref` is alive.
    pub async fn save_open(&self, id: &str, db: &Db) {
        match self.open.get(id) { //~ lock_across_await
            Some(doc) => db.save(&doc).await,
            None => {}
        }
    }

    // A catch-all arm may be the `Some` case.
    pub async fn save_any(&self, id: &str, db: &Db) {
        match self.open.get(id) { //~ lock_across_await
            None => {}
            _ => db.touch(id).await,
        }
    }

    // The mutex guard made on the way lives through the `None` arm too.
    pub async fn recent_text(&self, id: &str, db: &Db) -> String {
        match self.recent.lock().unwrap().get(id) { //~ lock_across_await
            Some(doc) => doc.text.clone(),
            None => db.load(id).await.text,
        }
    }

    // Edition 2024 drops an `if let` scrutinee before `else` anyway; the `else` of a
    // `Some` pattern holds nothing in any edition.
    pub async fn text_or_load(&self, id: &str, db: &Db) -> String {
        if let Some(doc) = self.open.get(id) { // ok: no await while the `Ref` is alive
            doc.text.clone()
        } else {
            db.load(id).await.text
        }
    }
}

#[derive(Clone, Default)]
pub struct Doc {
    pub text: String,
}

pub struct Db;

impl Db {
    pub async fn load(&self, _id: &str) -> Doc {
        Doc::default()
    }
    pub async fn save(&self, _doc: &Doc) {}
    pub async fn touch(&self, _id: &str) {}
}
