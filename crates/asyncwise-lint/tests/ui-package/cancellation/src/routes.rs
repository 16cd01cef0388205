use std::sync::Arc;

use axum::extract::State;

use crate::store::{Counters, Store};

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub counters: Arc<Counters>,
}

impl AppState {
    pub fn open() -> AppState {
        AppState {
            store: Arc::new(crate::store::Disk::default()),
            counters: Arc::new(Counters::default()),
        }
    }
}

pub async fn put_item(State(state): State<AppState>, body: bytes::Bytes) -> &'static str {
    // The store is a trait object: `put` may be any `Store::put` of the crate.
    state.store.put(body).await;
    "ok"
}
