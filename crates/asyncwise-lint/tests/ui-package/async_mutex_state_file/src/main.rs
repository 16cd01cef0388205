// async_mutex_unneeded across files: the state struct and its async locks are declared in
// `state.rs`; the handlers in `routes.rs` lock them through an extractor, and that file names
// no `Mutex` or `RwLock`, only the awaited acquisitions. An extractor's type may be an alias of
// the file (`type Shared = State<Arc<AppState>>`).
mod routes;
mod state;

use std::sync::Arc;

use axum::routing::{get, post};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let state = Arc::new(state::AppState::default());
    let app = axum::Router::new()
        .route("/login", post(routes::login))
        .route("/rate", get(routes::rate))
        .route("/quote", get(routes::quote))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
    axum::serve(listener, app).await
}
