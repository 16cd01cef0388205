//! The auth API: register and log in.

mod routes;

use std::path::PathBuf;
use std::sync::Arc;

use authcore::users::UserDb;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = PathBuf::from(std::env::var("AUTH_DIR").unwrap_or_else(|_| "/var/lib/auth".into()));
    let key = authcore::keys::load_signing_key(&dir).await?; // @helper
    let users = UserDb::open(dir.join("users.json"))?; // @helper //~ blocking_in_async
    let state = routes::AppState {
        users: Arc::new(users),
        key: Arc::new(key),
    };
    let listener = tokio::net::TcpListener::bind("0.0.0.0:8443").await?;
    axum::serve(listener, routes::router(state)).await?;
    Ok(())
}
