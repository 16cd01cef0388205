//! `backup`: hashes a directory tree and uploads it; `verify` compares against a manifest.

mod hashing;
mod upload;
mod walk;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Upload every file under ROOT.
    Backup {
        root: PathBuf,
        #[arg(long)]
        endpoint: String,
    },
    /// Compare ROOT with a manifest written by an earlier backup.
    Verify { root: PathBuf, manifest: PathBuf },
    /// Print the total size of ROOT.
    Size { root: PathBuf },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Size { root } => {
            // Nothing to overlap here: no runtime needed.
            let total = walk::total_size(&root)?; // @helper
            println!("{total}");
            Ok(())
        }
        other => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("starting the runtime")?;
            rt.block_on(run(other))
        }
    }
}

async fn run(cmd: Cmd) -> anyhow::Result<()> {
    match cmd {
        Cmd::Backup { root, endpoint } => backup(root, endpoint).await,
        Cmd::Verify { root, manifest } => verify(root, manifest).await,
        Cmd::Size { .. } => unreachable!("handled before the runtime starts"),
    }
}

async fn backup(root: PathBuf, endpoint: String) -> anyhow::Result<()> {
    let files = walk::collect_files(&root)?; // @helper //~ blocking_in_async
    let deepest = files.iter().map(|p| walk::depth(p)).max().unwrap_or(0); // @helper
    tracing::info!(files = files.len(), deepest, "collected");
    let sums: Vec<(PathBuf, String)> = files
        .iter()
        .map(|p| (p.clone(), hashing::sha256_file(p).unwrap_or_default())) // @helper //~ blocking_in_async
        .collect();
    let client = upload::Client::new(&endpoint);
    client.upload_all(&sums).await
}

async fn verify(root: PathBuf, manifest: PathBuf) -> anyhow::Result<()> {
    let actual = tokio::task::spawn_blocking(move || hashing::manifest_for(&root)).await??; // @helper
    tracing::debug!(entries = actual.lines().count(), "hashed");
    let expected = tokio::fs::read_to_string(&manifest).await?;
    let diff = hashing::compare(&expected, &actual); // @helper
    if diff.is_empty() {
        println!("ok");
        Ok(())
    } else {
        for line in &diff {
            eprintln!("{line}");
        }
        anyhow::bail!("{} files differ", diff.len())
    }
}
