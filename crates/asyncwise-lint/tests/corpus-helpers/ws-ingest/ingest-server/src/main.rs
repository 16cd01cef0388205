//! The ingest server: a line protocol over TCP (`PUT key=value`, `GET key`, `REINDEX`).

mod maintenance;
mod server;

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use ingest_core::index::Index;
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let data_dir = std::env::var_os("INGEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("data"));
    let index = Index::load(&data_dir)?; // @helper //~ blocking_in_async
    let shared = Arc::new(server::Shared {
        data_dir: data_dir.clone(),
        index: RwLock::new(index),
    });
    maintenance::start_compactor(data_dir); // @helper
    let listener = TcpListener::bind("0.0.0.0:7400").await?;
    server::serve(listener, shared).await?;
    Ok(())
}
