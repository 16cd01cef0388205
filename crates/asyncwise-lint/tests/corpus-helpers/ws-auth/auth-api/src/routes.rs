//! Handlers.

use std::sync::Arc;

use authcore::keys::SigningKey;
use authcore::passwords::{self, hash_password};
use authcore::users::{User, UserDb};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;

#[derive(Clone)]
pub struct AppState {
    pub users: Arc<UserDb>,
    pub key: Arc<SigningKey>,
}

#[derive(Deserialize)]
pub struct Credentials {
    name: String,
    password: String,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/register", post(register))
        .route("/login", post(login))
        .with_state(state)
}

async fn register(State(state): State<AppState>, Json(creds): Json<Credentials>) -> StatusCode {
    if !passwords::strong_enough(&creds.password) { // @helper
        return StatusCode::UNPROCESSABLE_ENTITY;
    }
    if state.users.find(&creds.name).is_some() { // @helper
        return StatusCode::CONFLICT;
    }
    let Ok(password_hash) = hash_password(&creds.password) else { // @helper //~ blocking_in_async
        return StatusCode::INTERNAL_SERVER_ERROR;
    };
    let user = User {
        name: creds.name,
        password_hash,
    };
    match state.users.insert(user) { // @helper //~ blocking_in_async
        Ok(()) => StatusCode::CREATED,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

async fn login(State(state): State<AppState>, Json(creds): Json<Credentials>) -> Result<String, StatusCode> {
    let user = state.users.find(&creds.name).ok_or(StatusCode::UNAUTHORIZED)?; // @helper
    if !passwords::verify_async(creds.password, user.password_hash).await { // @helper
        return Err(StatusCode::UNAUTHORIZED);
    }
    Ok(format!("token-for-{}-{}", user.name, state.key.pem.len()))
}

/// Password change, verifying the old password inline.
pub async fn change_password(state: &AppState, name: &str, old: &str, new: &str) -> StatusCode {
    let Some(user) = state.users.find(name) else { // @helper
        return StatusCode::NOT_FOUND;
    };
    if !authcore::passwords::verify(old, &user.password_hash) { // @helper //~ blocking_in_async
        return StatusCode::UNAUTHORIZED;
    }
    match passwords::hash_password(new) { // @helper //~ blocking_in_async
        Ok(password_hash) => {
            let updated = User { password_hash, ..user };
            if state.users.insert(updated).is_ok() { // @helper //~ blocking_in_async
                StatusCode::NO_CONTENT
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}
