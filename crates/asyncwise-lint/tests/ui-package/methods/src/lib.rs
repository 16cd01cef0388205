// Helpers reached through self.method(), Self::assoc(), Type::assoc(), receivers of a known
// type declared in another file, and a re-export.
mod db;
mod state;

pub use db::Store;

pub struct Service {
    store: Store,
}

impl Service {
    fn reload(&self) {
        self.store.refresh(); // ok: a sync method
    }

    fn warm(&self) {
        Self::read_manifest();
    }

    fn read_manifest() -> String {
        std::fs::read_to_string("manifest.toml").unwrap_or_default()
    }

    pub async fn handle(&self, store: &Store) {
        self.warm(); //~ blocking_in_async(pedantic)
        Self::read_manifest(); //~ blocking_in_async(pedantic)
        store.refresh(); //~ blocking_in_async(pedantic)
        Store::open("db"); //~ blocking_in_async(pedantic)
        crate::Store::open("db"); //~ blocking_in_async(pedantic)
        store.len(); // ok: does not block
        self.reload(); //~ blocking_in_async(pedantic)
    }
}

// A receiver that is a field of a struct declared in another file (state.rs).
pub async fn with_state(state: &state::AppState) {
    state.store.refresh(); //~ blocking_in_async(pedantic)
    state.store.len(); // ok: does not block
}
