//! A job runner that reads job files, waits between retries and writes results.
use std::fs::write;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub struct Job {
    pub input: PathBuf,
    pub output: PathBuf,
}

/// Sync helper: blocking is fine here; callers decide where it runs.
fn checksum(bytes: &[u8]) -> u32 {
    bytes.iter().map(|&b| u32::from(b)).sum()
}

pub async fn run(job: &Job) -> std::io::Result<u32> {
    let text = tokio::fs::read_to_string(&job.input).await?;
    let sum = checksum(text.as_bytes());
    tokio::fs::write(&job.output, sum.to_string()).await?;
    Ok(sum)
}

pub async fn run_with_retries(job: &Job) -> std::io::Result<u32> {
    let mut attempt = 0;
    loop {
        match run(job).await {
            Ok(sum) => return Ok(sum),
            Err(e) if attempt >= 3 => return Err(e),
            Err(_) => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
            }
        }
    }
}

pub async fn sizes(dir: &Path) -> std::io::Result<Vec<u64>> {
    // Not fixable: tokio's `ReadDir` is not an iterator, and this closure is sync.
    let entries = std::fs::read_dir(dir)?;
    Ok(entries
        .filter_map(|e| e.ok())
        .map(|e| std::fs::metadata(e.path()).map(|m| m.len()).unwrap_or(0))
        .collect())
}

/// Runs a job per connection: the file work above happens once per event, so it is reported.
pub async fn serve(listener: tokio::net::TcpListener) -> std::io::Result<()> {
    loop {
        let (_socket, _) = listener.accept().await?;
        let job = Job {
            input: "in.txt".into(),
            output: "out.txt".into(),
        };
        run_with_retries(&job).await?;
        sizes(Path::new("jobs")).await?;
    }
}
