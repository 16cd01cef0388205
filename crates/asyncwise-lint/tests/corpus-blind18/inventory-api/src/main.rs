mod auth;
mod cache;
mod db;
mod metrics;
mod routes;

use std::sync::Arc;

use axum::middleware;
use axum::routing::{get, post};
use axum::Router;

use crate::cache::PriceCache;
use crate::db::Db;

pub struct AppState {
    pub db: Db,
    pub prices: PriceCache,
    pub metrics: metrics::Metrics,
    pub limits: std::sync::Mutex<routes::Limits>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber_init();
    let raw = std::fs::read_to_string("inventory.toml")?; //~ blocking_in_async(pedantic)
    let limits: routes::Limits = toml::from_str(&raw)?;
    let db = tokio::task::spawn_blocking(|| Db::open("inventory.db")).await??;

    let state = Arc::new(AppState {
        db,
        prices: PriceCache::default(),
        metrics: metrics::Metrics::default(),
        limits: std::sync::Mutex::new(limits),
    });

    let app = Router::new()
        .route("/items/:id", get(routes::get_item))
        .route("/items", post(routes::create_item))
        .route("/items/:id/raw", get(routes::get_item_offloaded))
        .route("/report", get(routes::report))
        .route("/login", post(auth::login))
        .route("/signup", post(auth::signup))
        .layer(middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(middleware::from_fn_with_state(state.clone(), metrics::track_uploads))
        .with_state(state.clone());

    tokio::spawn(cache::refresh_loop(state.clone())); //~ detached_task

    let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
    tracing::info!("listening on {}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

fn tracing_subscriber_init() {
    // the subscriber is configured by the deployment; nothing to do locally
}
