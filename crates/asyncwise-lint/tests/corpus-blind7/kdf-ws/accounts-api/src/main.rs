use std::sync::Arc;

use anyhow::Context;
use axum::routing::{get, post};
use axum::Router;

mod fingerprint;
mod legacy;
mod routes;

pub struct AppState {
    pub pool: sqlx::PgPool,
    pub wrapping_key: [u8; 32],
    pub passwords: fingerprint::PasswordService,
    pub breach: fingerprint::BreachCheck,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber_init();
    let passphrase = std::env::var("ACCOUNTS_PASSPHRASE").context("ACCOUNTS_PASSPHRASE")?;
    let wrapping_key = pwcore::derive::wrapping_key(passphrase.as_bytes(), b"accounts-v1")?; // @helper //~ blocking_in_async
    let pool = sqlx::PgPool::connect(&std::env::var("DATABASE_URL")?).await?;
    let state = Arc::new(AppState {
        pool,
        wrapping_key,
        passwords: fingerprint::PasswordService::new(4),
        breach: fingerprint::BreachCheck::new("https://api.pwnedpasswords.com"),
    });
    let app = Router::new()
        .route("/register", post(routes::register))
        .route("/login", post(routes::login))
        .route("/login/legacy", post(routes::login_legacy))
        .route("/keys/rotate", post(routes::rotate_api_key))
        .route("/sessions/:token", get(routes::lookup_session))
        .route("/admin/hash-algorithm/:user", get(routes::hash_algorithm))
        .route("/import/django", post(routes::import_django_user))
        .route("/password/check", post(routes::check_new_password))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
    axum::serve(listener, app).await?;
    Ok(())
}

fn tracing_subscriber_init() {
    // Logging is configured by the platform's sidecar; nothing to do locally.
}
