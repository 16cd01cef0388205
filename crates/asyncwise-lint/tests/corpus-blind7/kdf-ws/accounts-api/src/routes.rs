use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use password_hash::{PasswordHash, PasswordVerifier};
use pbkdf2::Pbkdf2;
use serde::Deserialize;

use crate::AppState;

type Shared = State<Arc<AppState>>;

#[derive(Deserialize)]
pub struct Credentials {
    pub user: String,
    pub password: String,
}

fn internal<E: std::fmt::Display>(err: E) -> StatusCode {
    tracing::error!(%err, "request failed");
    StatusCode::INTERNAL_SERVER_ERROR
}

pub async fn register(State(state): Shared, Json(body): Json<Credentials>) -> Result<StatusCode, StatusCode> {
    let phc = pwcore::phc::hash_new(&body.password).map_err(internal)?; // @helper //~ blocking_in_async
    sqlx::query("INSERT INTO users (name, password_hash) VALUES ($1, $2)")
        .bind(&body.user)
        .bind(&phc)
        .execute(&state.pool)
        .await
        .map_err(internal)?;
    Ok(StatusCode::CREATED)
}

pub async fn login(State(state): Shared, Json(body): Json<Credentials>) -> Result<StatusCode, StatusCode> {
    let stored: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE name = $1")
        .bind(&body.user)
        .fetch_one(&state.pool)
        .await
        .map_err(|_| StatusCode::UNAUTHORIZED)?;
    let password = body.password.clone();
    let check = stored.clone();
    let ok = tokio::task::spawn_blocking(move || pwcore::phc::verify(&password, &check)) // @helper
        .await
        .map_err(internal)?
        .map_err(internal)?;
    if !ok {
        return Err(StatusCode::UNAUTHORIZED);
    }
    if pwcore::phc::needs_rehash(&stored) { // @helper
        let fresh = state.passwords.hash_password(body.password).await.map_err(internal)?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE name = $2")
            .bind(&fresh)
            .bind(&body.user)
            .execute(&state.pool)
            .await
            .map_err(internal)?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Old clients still post to this route; their hashes are PBKDF2 only.
pub async fn login_legacy(State(state): Shared, Json(body): Json<Credentials>) -> Result<StatusCode, StatusCode> {
    let stored: String = sqlx::query_scalar("SELECT password_hash FROM legacy_users WHERE name = $1")
        .bind(&body.user)
        .fetch_one(&state.pool)
        .await
        .map_err(|_| StatusCode::UNAUTHORIZED)?;
    let parsed = PasswordHash::new(&stored).map_err(internal)?;
    let checked = Pbkdf2.verify_password(body.password.as_bytes(), &parsed); //~ blocking_in_async
    checked.map_err(|_| StatusCode::UNAUTHORIZED)?;
    let salt = crate::legacy::legacy_salt(&body.user); // @helper
    let key = crate::legacy::derive_legacy_key(&body.password, &salt); // @helper //~ blocking_in_async
    sqlx::query("UPDATE legacy_users SET session_key = $1 WHERE name = $2")
        .bind(pwcore::derive::to_hex(&key)) // @helper
        .bind(&body.user)
        .execute(&state.pool)
        .await
        .map_err(internal)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct Rotate {
    pub key_id: String,
    pub secret: String,
}

pub async fn rotate_api_key(State(state): Shared, Json(body): Json<Rotate>) -> Result<StatusCode, StatusCode> {
    let salt = body.key_id.as_bytes().to_vec();
    let derived = pwcore::derive::api_secret_key(&body.secret, &salt); // @helper //~ blocking_in_async
    let mut sealed = [0u8; 32];
    scrypt::scrypt(&derived, &state.wrapping_key, &scrypt::Params::recommended(), &mut sealed) //~ blocking_in_async
        .map_err(internal)?;
    sqlx::query("UPDATE api_keys SET sealed = $1 WHERE id = $2")
        .bind(pwcore::derive::to_hex(&sealed)) // @helper
        .bind(&body.key_id)
        .execute(&state.pool)
        .await
        .map_err(internal)?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn lookup_session(State(state): Shared, Path(token): Path<String>) -> Result<String, StatusCode> {
    let key = pwcore::derive::token_lookup_key(&token); // @helper
    let user: String = sqlx::query_scalar("SELECT user_name FROM sessions WHERE token_key = $1")
        .bind(pwcore::derive::to_hex(&key)) // @helper
        .fetch_one(&state.pool)
        .await
        .map_err(|_| StatusCode::NOT_FOUND)?;
    Ok(user)
}

pub async fn hash_algorithm(State(state): Shared, Path(user): Path<String>) -> Result<String, StatusCode> {
    let stored: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE name = $1")
        .bind(&user)
        .fetch_one(&state.pool)
        .await
        .map_err(|_| StatusCode::NOT_FOUND)?;
    pwcore::phc::algorithm_of(&stored).map_err(internal) // @helper
}

#[derive(Deserialize)]
pub struct DjangoUser {
    pub user: String,
    pub password: String,
}

/// Users migrated from the old Django admin keep Django's hash format for now.
pub async fn import_django_user(State(state): Shared, Json(body): Json<DjangoUser>) -> Result<StatusCode, StatusCode> {
    let encoded = djangohashers::make_password(&body.password); //~? blocking_in_async
    let rewrapped = {
        let secret = state.wrapping_key;
        let password = body.password.clone();
        tokio::task::spawn_blocking(move || {
            let mut out = [0u8; 32];
            let params = scrypt::Params::recommended();
            scrypt::scrypt(password.as_bytes(), &secret, &params, &mut out).map(|_| out)
        })
        .await
        .map_err(internal)?
        .map_err(internal)?
    };
    sqlx::query("INSERT INTO django_users (name, encoded, rewrapped) VALUES ($1, $2, $3)")
        .bind(&body.user)
        .bind(&encoded)
        .bind(pwcore::derive::to_hex(&rewrapped)) // @helper
        .execute(&state.pool)
        .await
        .map_err(internal)?;
    Ok(StatusCode::CREATED)
}

#[derive(Deserialize)]
pub struct NewPassword {
    pub password: String,
}

pub async fn check_new_password(State(state): Shared, Json(body): Json<NewPassword>) -> Result<StatusCode, StatusCode> {
    let digest = state.breach.hash_password(&body.password);
    if state.breach.is_breached(&digest).await.map_err(internal)? {
        return Err(StatusCode::CONFLICT);
    }
    Ok(StatusCode::NO_CONTENT)
}
