use std::time::Duration;

use crate::remote::Remote;
use crate::scan::LocalFile;

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(200 * 2u64.pow(attempt.min(6)))
}

/// Uploads one file, retrying a failed PUT up to five times with a growing pause.
pub async fn put(remote: &Remote, file: &LocalFile) -> anyhow::Result<()> {
    let body = tokio::fs::read(&file.abs).await?;
    let mut attempt = 0;
    loop {
        match remote.put(&file.rel, body.clone()).await {
            Ok(()) => return Ok(()),
            Err(e) if attempt < 5 => {
                attempt += 1;
                tracing::warn!(file = %file.rel, "upload failed ({e}), attempt {attempt}");
                tokio::time::sleep(backoff(attempt)).await;
            }
            Err(e) => return Err(e),
        }
    }
}
