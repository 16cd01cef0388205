use std::sync::Arc;

use axum::extract::{Json, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::db::Item;
use crate::AppState;

#[derive(Debug, Clone, Deserialize)]
pub struct Limits {
    pub max_quantity: i64,
    pub max_name_len: usize,
}

#[derive(Deserialize)]
pub struct NewItem {
    pub sku: String,
    pub name: String,
    pub quantity: i64,
}

#[derive(Serialize)]
pub struct ItemView {
    item: Item,
    price: Option<u64>,
}

pub enum ApiError {
    NotFound,
    TooLarge,
    Internal(String),
}

impl<E: std::fmt::Display> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::NotFound => StatusCode::NOT_FOUND.into_response(),
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE.into_response(),
            ApiError::Internal(m) => (StatusCode::INTERNAL_SERVER_ERROR, m).into_response(),
        }
    }
}

pub async fn get_item(
    State(state): State<Arc<AppState>>,
    Path(id): Path<i64>,
) -> Result<Json<ItemView>, ApiError> {
    let item = state.db.item(id).map_err(|_| ApiError::NotFound)?; // @helper //~ blocking_in_async
    let price = state.prices.lookup(&item.sku).await;
    Ok(Json(ItemView { item, price }))
}

/// The same lookup with the query moved off the executor.
pub async fn get_item_offloaded(
    State(state): State<Arc<AppState>>,
    Path(id): Path<i64>,
) -> Result<Json<ItemView>, ApiError> {
    let st = state.clone();
    let item = tokio::task::spawn_blocking(move || st.db.item(id))
        .await?
        .map_err(|_| ApiError::NotFound)?;
    let price = state.prices.lookup(&item.sku).await;
    Ok(Json(ItemView { item, price }))
}

pub async fn create_item(
    State(state): State<Arc<AppState>>,
    Json(req): Json<NewItem>,
) -> Result<(StatusCode, String), ApiError> {
    let limits = state.limits.lock().unwrap(); //~ lock_across_await
    if req.quantity > limits.max_quantity || req.name.len() > limits.max_name_len {
        return Err(ApiError::TooLarge);
    }
    let known_price = state.prices.lookup(&req.sku).await;
    if known_price.is_none() {
        tracing::warn!(sku = %req.sku, "creating an item with no price");
    }
    let id = state.db.insert(&req.sku, &req.name, req.quantity)?; // @helper //~ blocking_in_async
    Ok((StatusCode::CREATED, id.to_string()))
}

/// Checks the limits with the guard confined to a block: nothing is held at the await.
pub async fn validate(state: &AppState, req: &NewItem) -> Result<Option<u64>, ApiError> {
    let max = {
        let limits = state.limits.lock().unwrap();
        limits.max_quantity
    };
    if req.quantity > max {
        return Err(ApiError::TooLarge);
    }
    Ok(state.prices.lookup(&req.sku).await)
}

pub async fn report(State(state): State<Arc<AppState>>) -> Result<String, ApiError> {
    let path = std::env::temp_dir().join("inventory-report.csv");
    state.db.export_csv(&path)?; // @helper //~ blocking_in_async
    let body = tokio::fs::read_to_string(&path).await?;
    Ok(body)
}
