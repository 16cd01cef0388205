// blocking_in_async: an axum service with a config loader, upload handlers, a health probe
// and a background janitor — the shapes blocking calls hide in.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;

#[derive(Clone)]
struct AppState {
    data_dir: Arc<PathBuf>,
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct Config {
    listen: String,
    data_dir: PathBuf,
}

#[derive(Serialize)]
struct Health {
    disk_ok: bool,
    upstream_ok: bool,
}

fn load_config(path: &str) -> anyhow::Result<Config> {
    let raw = std::fs::read_to_string(path)?; // ok here: a sync fn (its async caller is reported)
    Ok(toml::from_str(&raw)?)
}

async fn get_blob(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Vec<u8>, StatusCode> {
    let path = state.data_dir.join(&id);
    std::fs::read(&path).map_err(|_| StatusCode::NOT_FOUND) //~ blocking_in_async
}

async fn get_blob_fixed(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Vec<u8>, StatusCode> {
    let path = state.data_dir.join(&id);
    tokio::fs::read(&path).await.map_err(|_| StatusCode::NOT_FOUND) // ok: tokio::fs
}

async fn put_blob(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> StatusCode {
    let path = state.data_dir.join(&id);
    let res = tokio::task::spawn_blocking(move || {
        let tmp = path.with_extension("partial");
        std::fs::write(&tmp, &body)?; // ok: inside spawn_blocking
        std::fs::rename(&tmp, &path) // ok: inside spawn_blocking
    })
    .await;
    match res {
        Ok(Ok(())) => StatusCode::CREATED,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

async fn list_blobs(State(state): State<AppState>) -> Json<Vec<String>> {
    let mut names = Vec::new();
    if let Ok(dir) = std::fs::read_dir(&*state.data_dir) { //~ blocking_in_async
        for entry in dir.flatten() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    Json(names)
}

async fn health(State(state): State<AppState>) -> Json<Health> {
    let disk_ok = tokio::fs::metadata(&*state.data_dir).await.is_ok(); // ok: tokio::fs
    let upstream_ok = state
        .http
        .get("http://upstream.internal/health")
        .send()
        .await
        .is_ok(); // ok: async client
    Json(Health { disk_ok, upstream_ok })
}

async fn health_legacy(State(state): State<AppState>) -> Json<Health> {
    let disk_ok = std::fs::metadata(&*state.data_dir).is_ok(); //~ blocking_in_async(pedantic)
    let upstream_ok = reqwest::blocking::get("http://upstream.internal/health").is_ok(); //~ blocking_in_async
    Json(Health { disk_ok, upstream_ok })
}

async fn janitor(dir: Arc<PathBuf>) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        let dir = dir.clone();
        let removed = tokio::task::spawn_blocking(move || {
            let mut n = 0;
            for entry in std::fs::read_dir(&*dir)?.flatten() { // ok: inside spawn_blocking
                if entry.path().extension().is_some_and(|e| e == "partial") {
                    std::fs::remove_file(entry.path())?; // ok: inside spawn_blocking
                    n += 1;
                }
            }
            Ok::<_, std::io::Error>(n)
        })
        .await;
        if let Ok(Ok(n)) = removed {
            tracing::info!(removed = n, "janitor pass");
        }
    }
}

async fn janitor_naive(dir: Arc<PathBuf>) {
    loop {
        std::thread::sleep(Duration::from_secs(60)); //~ blocking_in_async
        for entry in std::fs::read_dir(&*dir).into_iter().flatten().flatten() { //~ blocking_in_async
            let _ = std::fs::remove_file(entry.path()); //~ blocking_in_async(pedantic)
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = load_config("service.toml")?; //~ blocking_in_async(pedantic)
    let pid = std::process::id(); // ok: not blocking
    std::fs::write("/run/blobsvc.pid", pid.to_string())?; //~ blocking_in_async(pedantic)
    let state = AppState {
        data_dir: Arc::new(config.data_dir),
        http: reqwest::Client::new(),
    };
    let janitor_handle = tokio::spawn(janitor(state.data_dir.clone()));
    let app = Router::new()
        .route("/blobs", get(list_blobs))
        .route("/blobs/{id}", get(get_blob).put(put_blob))
        .route("/blobs-fixed/{id}", get(get_blob_fixed))
        .route("/health", get(health))
        .route("/health-legacy", post(health_legacy))
        .with_state(state);
    let listener = TcpListener::bind(&config.listen).await?; // ok: tokio listener
    axum::serve(listener, app).await?;
    janitor_handle.abort();
    Ok(())
}
