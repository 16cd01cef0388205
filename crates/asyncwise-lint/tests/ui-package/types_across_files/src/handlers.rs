use std::sync::Arc;

use axum::extract::{Path as UrlPath, State};

use crate::App;

pub type Shared = State<Arc<App>>;

/// A field of a field of a struct declared in another file, then a `Path` method that returns
/// a path.
pub async fn page(State(app): Shared, UrlPath(rel): UrlPath<String>) -> String {
    let full = app.settings.root.join(&rel);
    if !app.settings.pages.exists(&rel) {
        // The crate's own `Pages::exists`: no filesystem.
        return String::new();
    }
    let size = app.settings.pages.metadata(&rel).unwrap_or(0);
    let Ok(full) = full.canonicalize() else { //~ blocking_in_async(pedantic)
        return String::new();
    };
    // Listing a directory under a field of a field: the default form.
    let listed = app.settings.spool.join(&rel).read_dir().map(|d| d.count()); //~ blocking_in_async
    match full.metadata() { //~ blocking_in_async(pedantic)
        Ok(meta) => format!("{} {size} {} {listed:?}", app.name, meta.len()),
        Err(_) => tokio::fs::read_to_string(&full).await.unwrap_or_default(),
    }
}

/// A method of a type declared in another file returning a `&Path`.
pub async fn spooled(State(app): Shared, UrlPath(rel): UrlPath<String>) -> Vec<u8> {
    let dir = app.settings.spool_dir();
    if dir.join(&rel).is_file() { //~ blocking_in_async(pedantic)
        return tokio::fs::read(dir.join(&rel)).await.unwrap_or_default();
    }
    let name = app.settings.spool_dir().join(&rel);
    let waiting = spool_entries(&app); //~ blocking_in_async
    let offloaded = {
        let app = app.clone();
        tokio::task::spawn_blocking(move || spool_entries(&app)).await.unwrap_or(0)
    };
    let ext = name.extension().map(|e| e.len()).unwrap_or(0);
    (ext + waiting + offloaded).to_le_bytes().to_vec()
}

/// A sync helper listing a directory under a field of a field declared in other files.
fn spool_entries(app: &App) -> usize {
    app.settings.spool.read_dir().map(|d| d.count()).unwrap_or(0)
}
