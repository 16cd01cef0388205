use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use axum::routing::{get, post};
use axum::Router;

mod catalog;
mod config;
mod serve;

pub struct Site {
    pub root: PathBuf,
    pub cache_dir: PathBuf,
    pub catalog_file: PathBuf,
    pub index: String,
    pub catalog: RwLock<catalog::Catalog>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cfg = config::SiteConfig::from_env(); // @helper
    cfg.validate()?; // @helper //~ blocking_in_async
    let root = cfg.root.canonicalize()?; //~ blocking_in_async
    if !cfg.cache_dir.exists() { //~ blocking_in_async
        tokio::fs::create_dir_all(&cfg.cache_dir).await?;
    }
    let text = tokio::fs::read_to_string(&cfg.catalog_file).await?;
    let catalog = catalog::Catalog::parse(&text)?;
    tracing::info!(pages = catalog.len(), root = %root.display(), "serving");
    let site = Arc::new(Site {
        root,
        cache_dir: cfg.cache_dir.clone(),
        catalog_file: cfg.catalog_file.clone(),
        index: cfg.index.clone(),
        catalog: RwLock::new(catalog),
    });
    let app = Router::new()
        .route("/pages/*rel", get(serve::serve_page))
        .route("/dirs/*rel", get(serve::list_dir))
        .route("/info/*rel", get(serve::page_info))
        .route("/cached/*rel", get(serve::cached_page))
        .route("/admin/reload", post(serve::reload_catalog))
        .with_state(site);
    let listener = tokio::net::TcpListener::bind("0.0.0.0:8000").await?;
    axum::serve(listener, app).await?;
    Ok(())
}
