mod audit;
mod auth;
mod db;
mod routes;
mod state;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

use crate::state::AppState;

#[derive(serde::Deserialize)]
struct Settings {
    listen: String,
    database: String,
    audit_log: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let raw = std::fs::read_to_string("ledger.json")?; //~ blocking_in_async(pedantic)
    let settings: Settings = serde_json::from_str(&raw)?;
    let state = Arc::new(AppState::open(&settings.database, &settings.audit_log)?); // @helper //~ blocking_in_async(pedantic)

    let flusher = state.clone();
    tokio::spawn(async move { //~ detached_task
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
        loop {
            tick.tick().await;
            flusher.audit.flush_pending().await?;
        }
        #[allow(unreachable_code)]
        Ok::<_, anyhow::Error>(())
    });

    let app = Router::new()
        .route("/accounts/:id", get(routes::get_account))
        .route("/accounts/:id/limit", get(routes::check_limit))
        .route("/accounts/:id/daily", get(routes::daily_limit))
        .route("/accounts", get(routes::list_accounts))
        .route("/login", post(routes::login))
        .route("/signup", post(routes::signup))
        .route("/transfer", post(routes::transfer))
        .route("/statement/:id", get(routes::statement))
        .route("/reconcile/:id", post(routes::reconcile))
        .route("/rates/warm", post(routes::warm_rates))
        .route("/history/:id", get(routes::history_pair))
        .with_state(state);

    let listener = tokio::net::TcpListener::bind(&settings.listen).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
