//! A service whose state (declared in `state.rs`) keeps database clients behind locks; the
//! handlers in `handlers.rs` reach them through the locks' guards.

mod handlers;
mod state;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let state = state::AppState::open("app.db").await?;
    let router = axum::Router::new()
        .route("/notes", axum::routing::post(handlers::add_note))
        .route("/notes/count", axum::routing::get(handlers::count_notes))
        .route("/events", axum::routing::post(handlers::record_event))
        .route("/labels", axum::routing::post(handlers::label))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
    axum::serve(listener, router).await?;
    Ok(())
}
