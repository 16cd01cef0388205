//! Uploads, eight at a time.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context;
use futures::stream::{self, StreamExt, TryStreamExt};

pub struct Client {
    http: reqwest::Client,
    endpoint: String,
}

impl Client {
    pub fn new(endpoint: &str) -> Client {
        Client {
            http: reqwest::Client::new(),
            endpoint: endpoint.trim_end_matches('/').to_owned(),
        }
    }

    pub async fn upload_all(&self, files: &[(PathBuf, String)]) -> anyhow::Result<()> {
        stream::iter(files)
            .map(|(path, sum)| self.upload_one(path, sum))
            .buffer_unordered(8)
            .try_collect::<Vec<()>>()
            .await?;
        Ok(())
    }

    async fn upload_one(&self, path: &Path, sum: &str) -> anyhow::Result<()> {
        let content_type = sniff_content_type(path)?; // @helper //~ blocking_in_async
        let body = tokio::fs::read(path).await.with_context(|| path.display().to_string())?;
        self.http
            .put(format!("{}/{sum}", self.endpoint))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    }
}

// Looks at the first bytes of the file for a few well-known signatures.
fn sniff_content_type(path: &Path) -> std::io::Result<&'static str> {
    let mut head = [0u8; 8];
    let n = std::fs::File::open(path)?.read(&mut head)?;
    Ok(match &head[..n] {
        [0x89, b'P', b'N', b'G', ..] => "image/png",
        [0x1f, 0x8b, ..] => "application/gzip",
        [b'%', b'P', b'D', b'F', ..] => "application/pdf",
        _ => "application/octet-stream",
    })
}
