//! Multipart uploads to S3-compatible object storage.

mod multipart;
mod retry;

use std::net::ToSocketAddrs;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::AsyncReadExt;
use tokio::sync::{mpsc, Mutex, RwLock};

pub use multipart::PartEtag;

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("http: {0}")]
    Http(#[from] reqwest::Error),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("rejected with status {0}")]
    Rejected(u16),
}

#[derive(Clone, Debug)]
pub struct Credentials {
    pub key_id: String,
    pub secret: String,
}

#[derive(Clone, Debug, Default)]
pub struct Progress {
    pub parts_done: usize,
    pub bytes_done: u64,
}

pub struct Config {
    pub endpoint_host: String,
    pub bucket: String,
    pub part_size: usize,
}

pub struct Uploader {
    http: reqwest::Client,
    cfg: Config,
    parts_in_flight: AtomicUsize,
    creds: RwLock<Option<Credentials>>, //~ async_mutex_unneeded(pedantic)
    progress: Mutex<Progress>,
    events: mpsc::Sender<Progress>,
}

impl Uploader {
    pub fn new(cfg: Config, events: mpsc::Sender<Progress>) -> Self {
        Uploader {
            http: reqwest::Client::new(),
            cfg,
            parts_in_flight: AtomicUsize::new(0),
            creds: RwLock::new(None),
            progress: Mutex::new(Progress::default()),
            events,
        }
    }

    pub async fn set_credentials(&self, creds: Credentials) {
        *self.creds.write().await = Some(creds);
    }

    fn object_url(&self, key: &str) -> String {
        format!("https://{}/{}/{}", self.cfg.endpoint_host, self.cfg.bucket, key)
    }

    async fn auth_header(&self) -> Option<String> {
        let creds = self.creds.read().await;
        creds.as_ref().map(|c| format!("AWS {}:{}", c.key_id, c.secret))
    }

    /// Resolves the endpoint again after a DNS change on the provider's side.
    pub async fn refresh_endpoint(&self) -> Result<Vec<std::net::SocketAddr>, UploadError> {
        let addrs = (self.cfg.endpoint_host.as_str(), 443).to_socket_addrs()?; //~ blocking_in_async
        Ok(addrs.collect())
    }

    /// The local MinIO used in development listens on a fixed address.
    pub async fn local_endpoint(&self) -> Option<std::net::SocketAddr> {
        "127.0.0.1:9000".to_socket_addrs().ok()?.next()
    }

    pub async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        number: usize,
        body: Bytes,
    ) -> Result<PartEtag, UploadError> {
        let len = body.len() as u64;
        let url = format!("{}?partNumber={number}&uploadId={upload_id}", self.object_url(key));
        let auth = self.auth_header().await.unwrap_or_default();
        self.parts_in_flight.fetch_add(1, Ordering::AcqRel);
        let sent = self.http.put(url).header("authorization", auth).body(body).send().await;
        self.parts_in_flight.fetch_sub(1, Ordering::AcqRel); //~ cleanup_after_await
        let resp = sent?;
        if !resp.status().is_success() {
            return Err(UploadError::Rejected(resp.status().as_u16()));
        }
        let etag = multipart::etag_of(&resp);
        let snapshot = {
            let mut p = self.progress.lock().await;
            p.parts_done += 1;
            p.bytes_done += len;
            p.clone()
        };
        let _ = self.events.send(snapshot).await;
        Ok(etag)
    }

    /// Sends the current progress to the listener; the guard is kept until the listener has
    /// room so that reports reach it in order.
    pub async fn report(&self) {
        let progress = self.progress.lock().await;
        let _ = self.events.send(progress.clone()).await;
    }

    pub async fn upload(&self, path: &Path, key: &str) -> Result<(), UploadError> {
        let size = std::fs::metadata(path)?.len(); //~ blocking_in_async(pedantic)
        if size < self.cfg.part_size as u64 {
            let body = tokio::fs::read(path).await?;
            self.put_single(key, body.into()).await?;
            return Ok(());
        }
        let upload_id = self.create_multipart(key).await?;
        let mut file = tokio::fs::File::open(path).await?;
        let mut etags = Vec::new();
        let mut number = 1;
        loop {
            let mut buf = vec![0u8; self.cfg.part_size];
            let n = file.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            buf.truncate(n);
            let etag = retry::with_retries(4, || self.upload_part(key, &upload_id, number, Bytes::from(buf.clone()))).await?;
            etags.push(etag);
            number += 1;
        }
        self.complete(key, &upload_id, &etags).await
    }

    /// Which of `keys` already exist in the bucket.
    pub async fn existing(&self, keys: &[String]) -> Vec<bool> {
        let mut found = Vec::with_capacity(keys.len());
        for key in keys {
            let hit = self.http.head(self.object_url(key)).send().await; //~ sequential_await
            found.push(hit.map(|r| r.status().is_success()).unwrap_or(false));
        }
        found
    }

    /// Parts must be completed in order; an aborted part stops the upload.
    pub async fn resend_parts(&self, key: &str, upload_id: &str, parts: Vec<Bytes>) -> Result<Vec<PartEtag>, UploadError> {
        let mut etags = Vec::new();
        for (i, body) in parts.into_iter().enumerate() {
            let etag = self.upload_part(key, upload_id, i + 1, body).await?;
            etags.push(etag);
        }
        Ok(etags)
    }

    pub async fn verify_local(&self, path: &Path, expected_md5: &str) -> Result<bool, UploadError> {
        let digest = multipart::md5_file(path)?; // @helper //~ blocking_in_async(pedantic)
        Ok(digest == expected_md5)
    }

    async fn put_single(&self, key: &str, body: Bytes) -> Result<(), UploadError> {
        let resp = self.http.put(self.object_url(key)).body(body).send().await?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(UploadError::Rejected(resp.status().as_u16()))
        }
    }

    async fn create_multipart(&self, key: &str) -> Result<String, UploadError> {
        let url = format!("{}?uploads", self.object_url(key));
        let resp = loop {
            match self.http.post(&url).send().await { //~ retry_without_backoff
                Ok(r) if r.status().is_success() => break r,
                Ok(r) => tracing::warn!(status = %r.status(), "create multipart rejected, retrying"),
                Err(e) => tracing::warn!(error = %e, "create multipart failed, retrying"),
            }
        };
        Ok(multipart::upload_id_of(&resp.text().await?))
    }

    async fn complete(&self, key: &str, upload_id: &str, etags: &[PartEtag]) -> Result<(), UploadError> {
        let body = multipart::completion_xml(etags); // @helper
        let url = format!("{}?uploadId={upload_id}", self.object_url(key));
        let resp = self.http.post(url).body(body).timeout(Duration::from_secs(60)).send().await?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(UploadError::Rejected(resp.status().as_u16()))
        }
    }
}
