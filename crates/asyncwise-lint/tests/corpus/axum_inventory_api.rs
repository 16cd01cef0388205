//! HTTP API of the inventory service (axum).
//!
//! Shared state lives in `AppState`; the database layer is in `crate::db`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::{
    extract::{Path, State},
    http::StatusCode,
    routing::{get, post},
    Json, Router,
};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;
use tracing::{info, warn};

use crate::db::{Db, DbError};

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub hits: Arc<Mutex<u64>>,
    pub recent: Arc<Mutex<Vec<String>>>,
    pub sessions: Arc<Mutex<HashMap<String, Session>>>,
    pub flags: Arc<RwLock<HashMap<String, bool>>>,
    pub data_dir: PathBuf,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Item {
    pub id: String,
    pub name: String,
    pub qty: u32,
}

#[derive(Clone)]
pub struct Session {
    pub user: String,
    pub expires: u64,
}

#[derive(Deserialize)]
pub struct NewItem {
    pub name: String,
    pub qty: u32,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/items/:id", get(get_item))
        .route("/items", post(create_item))
        .route("/reports/:name", get(get_report))
        .route("/flags", get(list_flags))
        .route("/whoami/:token", get(whoami))
        .with_state(state)
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn internal<E: std::fmt::Display>(e: E) -> StatusCode {
    warn!("internal error: {e}");
    StatusCode::INTERNAL_SERVER_ERROR
}

/// Reads the static configuration before the server starts (sync, called from main).
pub fn load_banner(dir: &std::path::Path) -> String {
    std::fs::read_to_string(dir.join("banner.txt")).unwrap_or_default()
}

async fn get_item(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Item>, StatusCode> {
    *state.hits.lock().unwrap() += 1;
    {
        let mut recent = state.recent.lock().unwrap();
        recent.push(id.clone());
        if recent.len() > 100 {
            recent.remove(0);
        }
    }
    let item = state.db.fetch_item(&id).await.map_err(|_| StatusCode::NOT_FOUND)?;
    Ok(Json(item))
}

async fn create_item(
    State(state): State<AppState>,
    Json(body): Json<NewItem>,
) -> Result<Json<Item>, StatusCode> {
    let mut recent = state.recent.lock().unwrap(); //~ lock_across_await
    recent.push(body.name.clone());
    let item = state.db.insert_item(&body.name, body.qty).await.map_err(internal)?;
    recent.push(item.id.clone());

    let db = state.db.clone();
    let audit = format!("created {} ({})", item.id, item.name);
    tokio::spawn(async move { //~ detached_task
        db.write_audit(&audit).await?;
        Ok::<(), DbError>(())
    });
    Ok(Json(item))
}

async fn get_report(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<String, StatusCode> {
    let path = state.data_dir.join("reports").join(format!("{name}.csv"));
    let header = std::fs::read_to_string(state.data_dir.join("header.txt")).map_err(internal)?; //~ blocking_in_async
    let body = tokio::fs::read_to_string(&path).await.map_err(|_| StatusCode::NOT_FOUND)?;
    let lines: Vec<&str> = body.lines().take(1000).collect();
    Ok(format!("{header}\n{}", lines.join("\n")))
}

async fn list_flags(State(state): State<AppState>) -> Json<Vec<String>> {
    let flags = state.flags.read().await;
    let enabled: Vec<String> = flags
        .iter()
        .filter(|(_, on)| **on)
        .map(|(k, _)| k.clone())
        .collect();
    state.db.touch("flags").await.ok();
    drop(flags);
    Json(enabled)
}

async fn whoami(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<String, StatusCode> {
    let sessions = state.sessions.lock().unwrap();
    let session = sessions.get(&token).cloned();
    drop(sessions);
    let session = session.ok_or(StatusCode::UNAUTHORIZED)?;
    if session.expires < unix_now() {
        return Err(StatusCode::UNAUTHORIZED);
    }
    state.db.fetch_profile(&session.user).await.map_err(internal)
}

pub async fn refresh_session(state: &AppState, token: &str) -> Result<(), DbError> {
    match state.sessions.lock().unwrap().get_mut(token) { //~ lock_across_await
        Some(session) => {
            let ttl = state.db.session_ttl(&session.user).await?;
            session.expires = unix_now() + ttl;
            Ok(())
        }
        None => Ok(()),
    }
}

pub async fn serve(state: AppState, addr: &str) -> std::io::Result<()> {
    let sweeper_state = state.clone();
    tokio::spawn(async move { //~ detached_task
        let mut tick = tokio::time::interval(Duration::from_secs(30));
        loop {
            tick.tick().await;
            let now = unix_now();
            sweeper_state.sessions.lock().unwrap().retain(|_, s| s.expires > now);
        }
    });

    let listener = tokio::net::TcpListener::bind(addr).await?;
    info!("listening on {addr}");
    axum::serve(listener, router(state)).await
}
