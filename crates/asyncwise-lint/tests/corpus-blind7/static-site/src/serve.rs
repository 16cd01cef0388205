use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;

use crate::catalog::Catalog;
use crate::Site;

type Shared = State<Arc<Site>>;

fn not_found<E>(_: E) -> StatusCode {
    StatusCode::NOT_FOUND
}

/// Pure: chosen from the extension only.
fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html",
        Some("css") => "text/css",
        Some("js") => "application/javascript",
        _ => "application/octet-stream",
    }
}

pub async fn serve_page(State(site): Shared, UrlPath(rel): UrlPath<String>) -> Result<(StatusCode, String), StatusCode> {
    let requested = site.root.join(&rel);
    if requested.extension().is_some_and(|ext| ext == "php") {
        return Err(StatusCode::FORBIDDEN);
    }
    let full = requested.canonicalize().map_err(not_found)?; //~ blocking_in_async
    if !full.starts_with(&site.root) {
        return Err(StatusCode::FORBIDDEN);
    }
    let target = if full.is_dir() { full.join(&site.index) } else { full }; //~ blocking_in_async
    let kind = content_type(&target); // @helper
    let body = tokio::fs::read_to_string(&target).await.map_err(not_found)?;
    tracing::debug!(kind, "served");
    Ok((StatusCode::OK, body))
}

pub async fn list_dir(State(site): Shared, UrlPath(rel): UrlPath<String>) -> Result<String, StatusCode> {
    let dir = PathBuf::from(&site.root).join(&rel);
    let mut names = Vec::new();
    for entry in dir.read_dir().map_err(not_found)? { //~ blocking_in_async
        let entry = entry.map_err(not_found)?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names.join("\n"))
}

async fn etag_for(path: &Path) -> std::io::Result<String> {
    let meta = path.metadata()?; //~ blocking_in_async
    let modified = meta.modified()?;
    Ok(format!("{:?}-{}", modified, meta.len()))
}

pub async fn page_info(State(site): Shared, UrlPath(rel): UrlPath<String>) -> Result<String, StatusCode> {
    let known = {
        let catalog = site.catalog.read().map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
        if !catalog.exists(&rel) {
            return Err(StatusCode::NOT_FOUND);
        }
        catalog.metadata(&rel).cloned()
    };
    let file = Path::new(&rel);
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("index");
    match known {
        Some(entry) => Ok(format!("{name}: {} ({} bytes, {})", entry.title, entry.bytes, entry.etag)),
        None => {
            let tag = etag_for(&site.root.join(file)).await.map_err(not_found)?;
            Ok(format!("{name}: {tag}"))
        }
    }
}

pub async fn cached_page(State(site): Shared, UrlPath(rel): UrlPath<String>) -> Result<Vec<u8>, StatusCode> {
    let copy = site.cache_dir.join(&rel).with_extension("gz");
    if Path::new(&copy).is_file() { //~ blocking_in_async
        return tokio::fs::read(&copy).await.map_err(not_found);
    }
    let source = site.root.join(&rel);
    if !tokio::fs::try_exists(&source).await.map_err(not_found)? {
        return Err(StatusCode::NOT_FOUND);
    }
    let meta = tokio::fs::metadata(&source).await.map_err(not_found)?;
    if meta.len() > 8 << 20 {
        return Err(StatusCode::PAYLOAD_TOO_LARGE);
    }
    tokio::fs::read(&source).await.map_err(not_found)
}

pub async fn reload_catalog(State(site): Shared) -> Result<StatusCode, StatusCode> {
    let text = tokio::fs::read_to_string(&site.catalog_file).await.map_err(not_found)?;
    let fresh = Catalog::parse(&text).map_err(|_| StatusCode::UNPROCESSABLE_ENTITY)?;
    let count = fresh.len();
    *site.catalog.write().map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)? = fresh;
    tracing::info!(count, "catalogue reloaded");
    Ok(StatusCode::NO_CONTENT)
}
