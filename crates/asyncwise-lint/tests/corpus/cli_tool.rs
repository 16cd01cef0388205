//! `bundle-push`: a CLI that uploads build artifacts. The runtime is built by hand.
//! Clean file: every blocking call is in sync code or offloaded.

use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;
use tokio::process::Command;
use tokio::runtime::{Handle, Runtime};
use tokio::sync::Semaphore;
use tokio::task;

const PARALLEL_UPLOADS: usize = 4;

#[derive(Parser, Debug)]
struct Args {
    /// Directory with build artifacts.
    #[arg(long, default_value = "target/dist")]
    dir: PathBuf,
    /// Upload endpoint.
    #[arg(long)]
    endpoint: String,
    /// Ask before uploading.
    #[arg(long)]
    confirm: bool,
}

mod fs {
    //! Async file helpers (shadows `std::fs` inside this crate).
    use std::path::Path;

    pub async fn read(path: &Path) -> std::io::Result<Vec<u8>> {
        tokio::fs::read(path).await
    }

    pub async fn metadata(path: &Path) -> std::io::Result<std::fs::Metadata> {
        tokio::fs::metadata(path).await
    }
}

fn list_artifacts(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if std::fs::metadata(&path)?.is_file() {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

fn confirm(prompt: &str) -> bool {
    print!("{prompt} [y/N] ");
    let _ = io::stdout().flush();
    let mut answer = String::new();
    io::stdin().lock().read_line(&mut answer).ok();
    matches!(answer.trim(), "y" | "Y" | "yes")
}

fn preflight(endpoint: &str) -> Result<()> {
    let status = reqwest::blocking::Client::new()
        .head(endpoint)
        .timeout(Duration::from_secs(5))
        .send()?
        .status();
    anyhow::ensure!(status.is_success(), "endpoint answered {status}");
    Ok(())
}

async fn git_describe() -> String {
    match Command::new("git").args(["describe", "--tags", "--always"]).output().await {
        Ok(out) => String::from_utf8_lossy(&out.stdout).trim().to_string(),
        Err(_) => "dev".to_string(),
    }
}

async fn upload_one(client: &reqwest::Client, endpoint: &str, path: &Path, tag: &str) -> Result<u64> {
    let bytes = fs::read(path).await?;
    let size = fs::metadata(path).await?.len();
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("artifact");
    client
        .put(format!("{endpoint}/{tag}/{name}"))
        .body(bytes)
        .send()
        .await?
        .error_for_status()?;
    Ok(size)
}

async fn run(args: Args, progress: mpsc::Sender<u64>) -> Result<u64> {
    let artifacts = task::spawn_blocking({
        let dir = args.dir.clone();
        move || list_artifacts(&dir)
    })
    .await??;
    if args.confirm {
        let prompt = format!("upload {} files?", artifacts.len());
        if !task::spawn_blocking(move || confirm(&prompt)).await? {
            return Ok(0);
        }
    }
    let tag = git_describe().await;
    let checksum_of = async move |p: PathBuf| -> Result<u32> {
        let bytes = tokio::fs::read(&p).await?;
        Ok(bytes.iter().fold(0u32, |acc, b| acc.rotate_left(5) ^ u32::from(*b)))
    };
    let first_sum = match artifacts.first() {
        Some(p) => checksum_of(p.clone()).await?,
        None => 0,
    };
    log::debug!("first artifact checksum {first_sum:08x}");
    let client = reqwest::Client::new();
    let limit = std::sync::Arc::new(Semaphore::new(PARALLEL_UPLOADS));
    let mut handles = Vec::new();
    for path in artifacts {
        let permit = limit.clone().acquire_owned().await?;
        let (client, endpoint, tag, progress) =
            (client.clone(), args.endpoint.clone(), tag.clone(), progress.clone());
        handles.push(tokio::spawn(async move {
            let _permit = permit;
            let n = upload_one(&client, &endpoint, &path, &tag).await?;
            let _ = progress.send(n);
            Ok::<_, anyhow::Error>(n)
        }));
    }
    let mut total = 0;
    for h in handles {
        total += h.await??;
    }
    let manifest = task::block_in_place(|| {
        let listing = std::fs::read_to_string(args.dir.join("MANIFEST")).unwrap_or_default();
        Handle::current().block_on(async { listing.lines().count() })
    });
    log::debug!("manifest has {manifest} lines");
    Ok(total)
}

fn main() -> Result<()> {
    env_logger::init();
    let args = Args::parse();
    preflight(&args.endpoint)?;

    let (progress_tx, progress_rx) = mpsc::channel::<u64>();
    let reporter = std::thread::spawn(move || {
        let mut sent = 0u64;
        while let Ok(n) = progress_rx.recv_timeout(Duration::from_secs(30)) {
            sent += n;
            eprint!("\ruploaded {sent} bytes");
        }
        eprintln!();
        sent
    });

    let rt = Runtime::new()?;
    let total = rt.block_on(run(args, progress_tx))?;
    let reported = reporter.join().expect("reporter thread panicked");
    println!("done: {total} bytes ({reported} reported)");

    let pending = futures::executor::block_on(async { tokio::fs::read_dir(".").await.is_ok() });
    if !pending {
        std::thread::sleep(Duration::from_millis(100));
    }
    let (retry_tx, retry_rx) = crossbeam_channel::unbounded::<PathBuf>();
    drop(retry_tx);
    for p in retry_rx.iter() {
        eprintln!("would retry {}", p.display());
    }
    Ok(())
}
