// Readings: walking a directory tree (walkdir's `WalkDir`, the ignore crate's `Walk` and
// `WalkBuilder`, jwalk) reads the filesystem as the walk is iterated or run: local filesystem
// work, so the default form where a request reaches it (a search over the served tree per
// query) and the pedantic form once at set-up (`init`).
use axum::extract::{Query, State};
use walkdir::WalkDir;

pub struct Share {
    root: std::path::PathBuf,
}

pub struct Search {
    q: String,
}

pub async fn search(State(share): State<std::sync::Arc<Share>>, Query(search): Query<Search>) -> Vec<String> {
    WalkDir::new(&share.root) //~ blocking_in_async
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains(&search.q))
        .map(|e| e.path().display().to_string())
        .collect()
}

pub async fn init(dir: &std::path::Path) -> usize {
    ignore::WalkBuilder::new(dir).build().count() //~ blocking_in_async(pedantic)
}

pub async fn index_in_background(dir: std::path::PathBuf) -> usize {
    tokio::task::spawn_blocking(move || WalkDir::new(dir).into_iter().count()) // ok: offloaded
        .await
        .unwrap_or(0)
}
