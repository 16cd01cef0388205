// `cleanup_after_await` across files: a function's enter/exit pair around an await is the
// default form when some chain of callers, in any file, reaches it from a place that may drop
// its future (a request handler here, through a trait object; a `select!` branch and a
// `timeout` in `jobs.rs`), and the pedantic form when every chain starts in code nothing
// cancels (`main`, a detached task).
mod jobs;
mod routes;
mod store;

use axum::routing::post;

#[tokio::main]
async fn main() {
    let state = routes::AppState::open();
    tokio::spawn(jobs::compact_forever(state.clone()));
    let app = axum::Router::new()
        .route("/items", post(routes::put_item))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await.unwrap();
    store::warm_up(&state.counters).await;
    store::reload(&state.counters).await;
    axum::serve(listener, app).await.unwrap();
}
