//! Order service: an HTTP API over a SQLite file, with invoices archived to disk.

mod config;
mod db;
mod handlers;
mod render;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::routing::{get, post};
use axum::Router;

use crate::db::Db;

#[derive(Clone)]
pub struct AppState {
    pub db: Arc<Db>,
    pub cfg: Arc<config::Config>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt::init();

    let cfg = config::load("orders.toml").context("reading orders.toml")?; // @helper //~ blocking_in_async
    let db = Db::open(&cfg.database_path).context("opening the database")?; // @helper //~ blocking_in_async
    let state = AppState {
        db: Arc::new(db),
        cfg: Arc::new(cfg),
    };

    let app = Router::new()
        .route("/orders/:id", get(handlers::get_order))
        .route("/orders", post(handlers::create_order))
        .route("/orders/:id/invoice", get(handlers::invoice))
        .nest("/admin", handlers::admin::routes())
        .with_state(state.clone());

    let addr: SocketAddr = state.cfg.listen.parse().context("listen address")?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(%addr, "listening");
    axum::serve(listener, app).await?;
    Ok(())
}
