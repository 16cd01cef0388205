//! HTTP handlers for orders and invoices.

pub mod admin;
mod audit;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use crate::db::Order;
use crate::render;
use crate::AppState;

#[derive(Deserialize)]
pub struct NewOrder {
    customer: String,
    total_cents: i64,
}

pub async fn get_order(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Order>, StatusCode> {
    match state.db.find_order(id) { // @helper //~ blocking_in_async
        Ok(Some(order)) => Ok(Json(order)),
        Ok(None) => Err(StatusCode::NOT_FOUND),
        Err(e) => {
            tracing::error!(error = %e, id, "find_order failed");
            Err(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

pub async fn create_order(
    State(state): State<AppState>,
    Json(body): Json<NewOrder>,
) -> Result<Json<i64>, StatusCode> {
    let db = state.db.clone();
    let id = tokio::task::spawn_blocking(move || db.insert_order(&body.customer, body.total_cents)) // @helper
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?
        .map_err(|e| {
            tracing::error!(error = %e, "insert_order failed");
            StatusCode::INTERNAL_SERVER_ERROR
        })?;
    Ok(Json(id))
}

pub async fn invoice(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<String, StatusCode> {
    let db = state.db.clone();
    let order = tokio::task::spawn_blocking(move || db.find_order(id)) // @helper
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?
        .ok_or(StatusCode::NOT_FOUND)?;
    let text = render::invoice_text(&order); // @helper

    let dir = state.cfg.invoice_dir.clone();
    match tokio::task::spawn_blocking(move || render::archive_invoice(&dir, &order)).await { // @helper
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, id, "invoice not archived"),
        Err(e) => tracing::warn!(error = %e, id, "archive task panicked"),
    }
    Ok(text)
}
