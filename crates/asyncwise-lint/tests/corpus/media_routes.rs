//! HTTP routes for the media service: upload, thumbnails, listings and a
//! sitemap that is regenerated in the background after every upload.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context as _;
use axum::extract::{Multipart, Path as UrlPath, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tokio::fs;
use tokio::io::AsyncWriteExt;
use tracing::{debug, error, info, instrument};

use crate::error::AppError;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct ListParams {
    #[serde(default)]
    pub prefix: String,
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize)]
pub struct FileEntry {
    name: String,
    size: u64,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/upload", post(upload))
        .route("/files", get(list_files))
        .route("/thumb/:name", get(thumbnail))
        .route("/export", post(export))
        .with_state(state)
}

fn sanitize(name: &str) -> PathBuf {
    let cleaned: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect();
    PathBuf::from(cleaned)
}

/// Used at startup, before the runtime serves requests.
pub fn load_templates(dir: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).context("reading template dir")? {
        let entry = entry?;
        let body = std::fs::read_to_string(entry.path())?;
        out.push((entry.file_name().to_string_lossy().into_owned(), body));
    }
    Ok(out)
}

#[instrument(skip(state))]
async fn index(State(state): State<AppState>) -> Result<Html<String>, AppError> {
    let tpl = std::fs::read_to_string(state.template_dir.join("index.html")) //~ blocking_in_async
        .context("loading index template")?;
    Ok(Html(tpl.replace("{{site}}", &state.site_name)))
}

#[instrument(skip(state, multipart))]
async fn upload(
    State(state): State<AppState>,
    mut multipart: Multipart,
) -> Result<impl IntoResponse, AppError> {
    fs::create_dir_all(&state.upload_dir).await?;
    let mut stored = Vec::new();
    while let Some(field) = multipart.next_field().await? {
        let Some(name) = field.file_name().map(sanitize) else { continue };
        let data = field.bytes().await?;
        let dest = state.upload_dir.join(&name);
        let mut file = fs::File::create(&dest).await?;
        file.write_all(&data).await?;
        file.flush().await?;
        debug!(path = %dest.display(), bytes = data.len(), "stored upload");
        stored.push(name);
    }
    tokio::spawn(regenerate_sitemap(state.clone())); //~ detached_task
    Ok((StatusCode::CREATED, Json(stored)))
}

#[instrument(skip(state))]
async fn thumbnail(
    State(state): State<AppState>,
    UrlPath(name): UrlPath<String>,
) -> Result<impl IntoResponse, AppError> {
    let src = state.upload_dir.join(sanitize(&name));
    let dst = state.thumb_dir.join(sanitize(&name));
    if fs::metadata(&dst).await.is_err() {
        let output = Command::new("convert") //~ blocking_in_async
            .arg(&src)
            .args(["-resize", "256x256"])
            .arg(&dst)
            .output()
            .context("spawning convert")?;
        if !output.status.success() {
            error!(stderr = %String::from_utf8_lossy(&output.stderr), "convert failed");
            return Err(AppError::internal("thumbnail generation failed"));
        }
    }
    let bytes = fs::read(&dst).await?;
    Ok(([("content-type", "image/jpeg")], bytes))
}

async fn list_files(
    State(state): State<AppState>,
    Query(params): Query<ListParams>,
) -> Result<Json<Vec<FileEntry>>, AppError> {
    let mut entries = fs::read_dir(&state.upload_dir).await?;
    let mut out = Vec::new();
    while let Some(entry) = entries.next_entry().await? {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with(&params.prefix) {
            continue;
        }
        let size = entry.metadata().await?.len();
        out.push(FileEntry { name, size });
        if params.limit.map_or(false, |l| out.len() >= l) {
            break;
        }
    }
    Ok(Json(out))
}

async fn export(
    State(state): State<AppState>,
    Json(names): Json<Vec<String>>,
) -> Result<impl IntoResponse, AppError> {
    let candidates: Vec<PathBuf> = names.iter().map(|n| state.upload_dir.join(sanitize(n))).collect();
    let files: Vec<PathBuf> = candidates
        .into_iter()
        .filter(|p| std::fs::metadata(p).map(|m| m.len() > 0).unwrap_or(false)) //~ blocking_in_async
        .collect();
    let archive = state.export_dir.join(format!("export-{}.tar", chrono::Utc::now().timestamp()));
    let archive_for_task = archive.clone();
    let count = tokio::task::spawn_blocking(move || -> anyhow::Result<usize> {
        let file = std::fs::File::create(&archive_for_task)?;
        let mut builder = tar::Builder::new(file);
        for p in &files {
            builder.append_path_with_name(p, p.file_name().unwrap())?;
        }
        builder.finish()?;
        Ok(files.len())
    })
    .await
    .context("export task panicked")??;
    info!(count, archive = %archive.display(), "export written");
    Ok((StatusCode::OK, Json(count)))
}

async fn regenerate_sitemap(state: AppState) -> anyhow::Result<()> {
    let mut entries = fs::read_dir(&state.upload_dir).await?;
    let mut xml = String::from("<urlset>");
    while let Some(entry) = entries.next_entry().await? {
        xml.push_str(&format!("<url><loc>{}/files/{}</loc></url>", state.base_url, entry.file_name().to_string_lossy()));
    }
    xml.push_str("</urlset>");
    fs::write(state.public_dir.join("sitemap.xml"), xml).await?;
    Ok(())
}
