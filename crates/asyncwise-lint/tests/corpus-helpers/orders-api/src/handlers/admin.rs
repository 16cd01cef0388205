//! Admin routes: database maintenance, guarded by a token.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;

use super::audit;
use crate::{config, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/vacuum", post(vacuum))
        .route("/reindex", post(reindex))
}

fn token(headers: &HeaderMap) -> Option<&str> {
    headers.get("x-admin-token")?.to_str().ok()
}

async fn vacuum(State(state): State<AppState>, headers: HeaderMap) -> StatusCode {
    let Some(tok) = token(&headers) else { // @helper
        return StatusCode::UNAUTHORIZED;
    };
    if !config::is_admin_token(&state.cfg, tok) { // @helper
        return StatusCode::FORBIDDEN;
    }
    let log = state.cfg.invoice_dir.join("audit.log");
    if let Err(e) = audit::append_line(&log, tok, "vacuum") { // @helper //~ blocking_in_async
        tracing::warn!(error = %e, "audit log not written");
    }
    let db = state.db.clone();
    match tokio::task::spawn_blocking(move || db.vacuum()).await { // @helper
        Ok(Ok(())) => StatusCode::NO_CONTENT,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

async fn reindex(State(state): State<AppState>, headers: HeaderMap) -> StatusCode {
    let Some(tok) = token(&headers) else {
        return StatusCode::UNAUTHORIZED;
    };
    if !config::is_admin_token(&state.cfg, tok) {
        return StatusCode::FORBIDDEN;
    }
    let log = state.cfg.invoice_dir.join("audit.log");
    super::audit::append_line(&log, tok, "reindex").ok(); // @helper //~ blocking_in_async
    StatusCode::ACCEPTED
}
