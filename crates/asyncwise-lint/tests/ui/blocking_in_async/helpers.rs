// Blocking through helper functions of the same file (the crate index over one file). Readings:
// a sync fn called from async code is reported at the call when it, or a sync fn it calls,
// blocks; calls inside spawn_blocking or threads are not; a helper only called from sync code is
// never reported; an async fn is judged by its own body, not at its callers.
use std::sync::Arc;

use axum::extract::State;

struct Catalog {
    root: String,
}

impl Catalog {
    fn load(&self) -> String {
        std::fs::read_to_string(&self.root).unwrap_or_default()
    }

    fn name(&self) -> &str {
        &self.root
    }
}

fn pause() {
    std::thread::sleep(std::time::Duration::from_millis(5));
}

fn pause_twice() {
    pause();
    pause();
}

fn only_from_sync() {
    std::fs::remove_file("/tmp/x").ok();
}

fn cleanup() {
    only_from_sync();
}

async fn already_async() {
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
}

async fn catalog(State(catalog): State<Arc<Catalog>>) -> String {
    catalog.name(); // ok: does not block
    catalog.load() //~ blocking_in_async
}

async fn ticker() {
    pause_twice(); //~ blocking_in_async
    already_async().await; // ok: async
    tokio::task::spawn_blocking(pause_twice); // ok: not a call here
    tokio::task::spawn_blocking(|| pause_twice()); // ok: offloaded
    std::thread::spawn(move || {
        pause(); // ok: own thread
    });
}

fn main() {
    cleanup();
    pause();
}
