use std::sync::Arc;

use axum::extract::{Json, State};
use axum::http::StatusCode;
use serde::Deserialize;

use crate::routes::ApiError;
use crate::AppState;

#[derive(Deserialize)]
pub struct Credentials {
    user: String,
    password: String,
}

pub async fn login(
    State(state): State<Arc<AppState>>,
    Json(form): Json<Credentials>,
) -> Result<StatusCode, ApiError> {
    let stored = state.db.password_hash(&form.user)?; // @helper //~ blocking_in_async
    if bcrypt::verify(&form.password, &stored)? { //~ blocking_in_async
        Ok(StatusCode::NO_CONTENT)
    } else {
        Ok(StatusCode::UNAUTHORIZED)
    }
}

pub async fn signup(
    State(state): State<Arc<AppState>>,
    Json(form): Json<Credentials>,
) -> Result<StatusCode, ApiError> {
    let hashed = bcrypt::hash(&form.password, bcrypt::DEFAULT_COST)?; //~ blocking_in_async(pedantic)
    let st = state.clone();
    tokio::task::spawn_blocking(move || st.db.add_user(&form.user, &hashed)).await??;
    Ok(StatusCode::CREATED)
}
