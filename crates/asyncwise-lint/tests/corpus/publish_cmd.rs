//! `cargo publish-all`: builds the workspace, checks which crates already
//! exist in the registry and uploads the rest in dependency order.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context, Result};
use clap::Parser;
use futures::stream::{self, StreamExt, TryStreamExt};
use sha2::{Digest, Sha256};
use tokio::runtime::{Builder, Handle};
use tokio::task::JoinSet;
use tracing::{debug, info, warn};

use crate::manifest::{Package, Workspace};
use crate::registry::RegistryClient;

const MAX_PARALLEL: usize = 4;

#[derive(Debug, Parser)]
pub struct Args {
    #[arg(long, default_value = "Cargo.toml")]
    manifest_path: PathBuf,
    #[arg(long, short = 'y')]
    yes: bool,
    #[arg(long, default_value_t = 2)]
    jobs: usize,
    #[arg(long)]
    registry: Option<String>,
}

fn cargo_bin() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

fn main() -> Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt().with_writer(io::stderr).init();
    let rt = Builder::new_multi_thread()
        .worker_threads(args.jobs)
        .enable_all()
        .build()
        .context("building tokio runtime")?;
    let code = rt.block_on(run(args))?;
    std::process::exit(code);
}

async fn run(args: Args) -> Result<i32> {
    let ws = Workspace::load(&args.manifest_path)?;
    let client = RegistryClient::new(args.registry.as_deref())?;

    if !args.yes {
        print!("publish {} packages? [y/N] ", ws.members.len());
        io::stdout().flush()?;
        let mut answer = String::new();
        io::stdin().read_line(&mut answer)?; //~ blocking_in_async
        if !answer.trim().eq_ignore_ascii_case("y") {
            return Ok(1);
        }
    }

    let status = Command::new(cargo_bin()).args(["build", "--workspace", "--release"]).status().context("running cargo build")?; //~ blocking_in_async
    if !status.success() {
        bail!("cargo build failed with {status}");
    }

    let mut checks = JoinSet::new();
    for pkg in ws.members.clone() {
        let client = client.clone();
        checks.spawn(async move { //~ unbounded_spawn
            let exists = client.version_exists(&pkg.name, &pkg.version).await?;
            Ok::<_, anyhow::Error>((pkg, exists))
        });
    }
    let mut to_publish = Vec::new();
    while let Some(res) = checks.join_next().await {
        let (pkg, exists) = res.context("version check panicked")??;
        if exists {
            info!(name = %pkg.name, version = %pkg.version, "already published, skipping");
        } else {
            to_publish.push(pkg);
        }
    }

    let owners = ws
        .members
        .iter()
        .map(|p| tokio::spawn(fetch_owners(client.clone(), p.name.clone()))) //~ unbounded_spawn
        .collect::<Vec<_>>();
    for h in owners {
        let owners = h.await??;
        debug!(?owners, "owners fetched");
    }

    let tarballs: Vec<PathBuf> = to_publish.iter().map(|p| p.tarball_path()).collect();
    let checksums: Vec<(PathBuf, String)> = stream::iter(tarballs)
        .map(sha256_file)
        .buffer_unordered(MAX_PARALLEL)
        .try_collect()
        .await?;
    debug!(n = checksums.len(), "checksums computed");

    let mut uploads = JoinSet::new();
    for pkg in to_publish {
        if uploads.len() >= MAX_PARALLEL {
            if let Some(res) = uploads.join_next().await {
                res??;
            }
        }
        let client = client.clone();
        uploads.spawn(async move { client.upload(&pkg).await });
    }
    while let Some(res) = uploads.join_next().await {
        res??;
    }
    Ok(0)
}

async fn fetch_owners(client: RegistryClient, name: String) -> Result<Vec<String>> {
    client.owners(&name).await.with_context(|| format!("fetching owners of {name}"))
}

async fn sha256_file(path: PathBuf) -> Result<(PathBuf, String)> {
    tokio::task::spawn_blocking(move || {
        let bytes = std::fs::read(&path)?;
        let digest = hex::encode(Sha256::digest(&bytes));
        Ok((path, digest))
    })
    .await?
}

async fn verify_index(client: &RegistryClient, pkg: &Package) -> Result<()> {
    let index = futures::executor::block_on(client.fetch_index(&pkg.name))?; //~ block_on_in_async
    if !index.contains(&pkg.version) {
        warn!(name = %pkg.name, "version missing from index after upload");
    }
    let token = tokio::task::block_in_place(|| Handle::current().block_on(client.refresh_token()))?;
    debug!(len = token.len(), "token refreshed");
    let again = Handle::current().block_on(client.fetch_index(&pkg.name))?; //~ block_on_in_async
    debug!(entries = again.len(), "index re-read");
    Ok(())
}

async fn git_head(repo: &std::path::Path) -> Result<String> {
    let out = tokio::process::Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["rev-parse", "HEAD"])
        .output()
        .await?;
    Ok(String::from_utf8(out.stdout)?.trim().to_owned())
}

pub struct Lockfile {
    path: PathBuf,
}

impl Drop for Lockfile {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_file(&self.path) {
            warn!(path = %self.path.display(), error = %e, "could not remove lock file");
        }
    }
}
