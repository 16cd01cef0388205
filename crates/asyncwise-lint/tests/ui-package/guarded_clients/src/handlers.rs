//! Handlers using the state of `state.rs` through its locks.

use axum::extract::State;

use crate::state::AppState;

/// The SQLite connection's blocking `execute`, through the std lock's guard.
pub async fn add_note(State(state): State<AppState>, body: String) -> String {
    let result = state.db.lock().unwrap().execute("INSERT INTO notes VALUES (?1)", [&body]); //~ blocking_in_async
    format!("{result:?}")
}

/// The guard bound first, then used.
pub async fn count_notes(State(state): State<AppState>) -> String {
    let conn = state.db.lock().expect("poisoned");
    let n: rusqlite::Result<i64> = conn.query_row("SELECT count(*) FROM notes", [], |r| r.get(0)); //~ blocking_in_async
    format!("{n:?}")
}

/// tokio-postgres is async: its `execute` is awaited, nothing blocks.
pub async fn record_event(State(state): State<AppState>, body: String) -> String {
    let n = state.events.lock().await.execute("INSERT INTO events VALUES ($1)", &[&body]).await;
    format!("{n:?}")
}

/// A lock around this crate's own type: `Labels::execute` is no database call.
pub async fn label(State(state): State<AppState>, body: String) -> String {
    let n = state.labels.lock().unwrap().execute(&body);
    let offloaded = tokio::task::spawn_blocking(move || {
        state.db.lock().unwrap().execute("INSERT INTO labels VALUES (?1)", [&body]).is_ok()
    })
    .await;
    format!("{n} {offloaded:?}")
}
