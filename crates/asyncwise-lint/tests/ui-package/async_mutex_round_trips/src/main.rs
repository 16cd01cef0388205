// async_mutex_unneeded beside round trips, across files: the handlers in `routes.rs` lock the
// caches of `state.rs` beside calls of an HTTP client wrapped in `upstream.rs` and of a
// tonic-generated client held in a field of the state struct, both typed by the crate index.
// A lock whose every lock call is beside such a round trip is the pedantic form; one also
// locked where nothing is fetched keeps the default form.
mod routes;
mod state;
mod upstream;

use std::sync::Arc;

use axum::routing::get;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let state = Arc::new(state::AppState::connect().await);
    let app = axum::Router::new()
        .route("/page/:url", get(routes::page))
        .route("/seen/:url", get(routes::seen))
        .route("/member/:id", get(routes::member))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
    axum::serve(listener, app).await
}
