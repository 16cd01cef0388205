//! `fetchall`: download a list of URLs concurrently into a directory.
//!
//! Usage: `fetchall <out-dir> < urls.txt`

use std::io::{self, BufRead};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::stream::{FuturesUnordered, StreamExt};
use reqwest::Client;
use tokio::fs::{self, File};
use tokio::io::AsyncWriteExt;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

const PARALLEL: usize = 16;

struct Download {
    url: String,
    dest: PathBuf,
}

fn main() -> anyhow::Result<()> {
    let out_dir = std::env::args().nth(1).map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&out_dir)?;
    let urls: Vec<String> = io::stdin().lock().lines().collect::<Result<_, _>>()?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let report = rt.block_on(run(out_dir, urls))?;
    std::fs::write("fetchall-report.txt", report)?;
    Ok(())
}

fn file_name_for(url: &str) -> String {
    url.rsplit('/').find(|s| !s.is_empty()).unwrap_or("index.html").to_string()
}

async fn run(out_dir: PathBuf, urls: Vec<String>) -> anyhow::Result<String> {
    let client = Client::builder().timeout(Duration::from_secs(30)).build()?;
    let jobs: Vec<Download> = urls
        .into_iter()
        .map(|url| Download { dest: out_dir.join(file_name_for(&url)), url })
        .collect();

    let sem = Arc::new(Semaphore::new(PARALLEL));
    let mut set = JoinSet::new();
    for job in jobs {
        let client = client.clone();
        let sem = Arc::clone(&sem);
        set.spawn(async move {
            let _permit = sem.acquire().await?;
            fetch_one(&client, &job).await.map(|n| (job.url, n))
        });
    }

    let mut lines = Vec::new();
    while let Some(res) = set.join_next().await {
        match res? {
            Ok((url, bytes)) => lines.push(format!("ok {url} {bytes}")),
            Err(e) => lines.push(format!("err {e:#}")),
        }
    }
    Ok(lines.join("\n"))
}

async fn fetch_one(client: &Client, job: &Download) -> anyhow::Result<u64> {
    let mut resp = client.get(&job.url).send().await?.error_for_status()?;
    let mut file = File::create(&job.dest).await?;
    let mut written = 0u64;
    while let Some(chunk) = resp.chunk().await? {
        file.write_all(&chunk).await?;
        written += chunk.len() as u64;
    }
    file.flush().await?;
    Ok(written)
}

/// Mirror mode: keeps the remote directory layout.
pub async fn mirror(client: Client, root: &Path, urls: &[String]) -> anyhow::Result<u64> {
    for url in urls {
        let rel = url.trim_start_matches("https://");
        if let Some(parent) = root.join(rel).parent() {
            std::fs::create_dir_all(parent)?; //~ blocking_in_async
        }
    }
    let handles: Vec<_> = urls
        .iter()
        .map(|url| {
            let client = client.clone();
            let job = Download { url: url.clone(), dest: root.join(url.trim_start_matches("https://")) };
            tokio::spawn(async move { fetch_one(&client, &job).await }) //~ unbounded_spawn
        })
        .collect();
    let mut total = 0;
    for h in handles {
        total += h.await??;
    }
    Ok(total)
}

/// Fetches checksums for every file; the list is usually small.
pub async fn verify(client: &Client, files: Vec<Download>) -> anyhow::Result<Vec<(String, bool)>> {
    let mut set = JoinSet::new();
    for f in files {
        let client = client.clone();
        set.spawn(async move { //~ unbounded_spawn
            let expected = client.get(format!("{}.sha256", f.url)).send().await?.text().await?;
            let data = fs::read(&f.dest).await?;
            Ok::<_, anyhow::Error>((f.url, sha256_hex(&data) == expected.trim()))
        });
    }
    let mut out = Vec::new();
    while let Some(res) = set.join_next().await {
        out.push(res??);
    }
    Ok(out)
}

/// Probes HEAD for each URL, keeping at most PARALLEL requests in flight.
pub async fn probe_sizes(client: &Client, urls: &[String]) -> Vec<Option<u64>> {
    let mut in_flight = FuturesUnordered::new();
    let mut sizes = Vec::new();
    for url in urls {
        if in_flight.len() >= PARALLEL {
            if let Some(res) = in_flight.next().await {
                sizes.push(res.ok().flatten());
            }
        }
        let req = client.head(url).send();
        in_flight.push(tokio::spawn(async move { req.await.ok().and_then(|r| r.content_length()) }));
    }
    while let Some(res) = in_flight.next().await {
        sizes.push(res.ok().flatten());
    }
    sizes
}

/// Legacy path kept for the `--verify-one` flag.
pub async fn verify_one(client: Client, url: String, local: PathBuf) -> anyhow::Result<bool> {
    let rt = tokio::runtime::Runtime::new()?;
    let expected = rt.block_on(async { client.get(format!("{url}.sha256")).send().await?.text().await })?; //~ block_on_in_async
    let data = fs::read(&local).await?;
    Ok(sha256_hex(&data) == expected.trim())
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    format!("{:x}", Sha256::digest(data))
}
