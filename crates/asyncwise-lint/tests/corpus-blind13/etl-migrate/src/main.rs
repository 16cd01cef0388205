mod extract;
mod load;
mod migrations;
mod verify;

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_postgres::NoTls;

struct Settings {
    source_url: String,
    target_url: String,
    tables: Vec<String>,
    checkpoint: PathBuf,
}

fn settings() -> anyhow::Result<Settings> {
    Ok(Settings {
        source_url: std::env::var("SOURCE_URL")?,
        target_url: std::env::var("TARGET_URL")?,
        tables: std::env::var("TABLES")?.split(',').map(str::to_owned).collect(),
        checkpoint: std::env::var("CHECKPOINT").unwrap_or_else(|_| "etl.ckpt".into()).into(),
    })
}

async fn connect(url: &str) -> anyhow::Result<tokio_postgres::Client> {
    let client = loop {
        if let Ok((client, conn)) = tokio_postgres::connect(url, NoTls).await { //~ retry_without_backoff
            tokio::spawn(async move {
                if let Err(e) = conn.await {
                    tracing::error!(error = %e, "connection task ended");
                }
            });
            break client;
        }
    };
    Ok(client)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cfg = settings()?;
    let source = Arc::new(connect(&cfg.source_url).await?);
    let target = connect(&cfg.target_url).await?;
    migrations::run(&target, "migrations".as_ref()).await?;
    let target = Arc::new(target);

    let (row_tx, row_rx) = mpsc::unbounded_channel(); //~ unbounded_channel
    let loader = load::Loader::connect(&cfg.target_url, cfg.checkpoint.clone())?; // @helper //~ blocking_in_async(pedantic)
    let load_task = tokio::spawn(async move { loader.load_rows(row_rx).await });

    let mut set = JoinSet::new();
    for table in cfg.tables.clone() {
        set.spawn(extract::extract_table(source.clone(), table, row_tx.clone())); //~ unbounded_spawn(pedantic)
    }
    drop(row_tx);
    while let Some(res) = set.join_next().await {
        let rows = res??;
        tracing::info!(rows, "table extracted");
    }
    let loaded = load_task.await??;
    tracing::info!(loaded, "all rows loaded");

    verify::verify(&source, &target, &cfg.tables).await?;
    Ok(())
}
