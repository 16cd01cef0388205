use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

#[derive(Default)]
pub struct Bucket {
    tokens: u32,
    refilled: Option<Instant>,
}

impl Bucket {
    fn take(&mut self, now: Instant) -> bool {
        if self.refilled.map_or(true, |at| now.duration_since(at) > Duration::from_secs(1)) {
            self.tokens = 100;
            self.refilled = Some(now);
        }
        self.tokens.checked_sub(1).map(|left| self.tokens = left).is_some()
    }
}

static BUCKET: OnceLock<tokio::sync::Mutex<Bucket>> = OnceLock::new(); //~ async_mutex_unneeded

fn bucket() -> &'static tokio::sync::Mutex<Bucket> {
    BUCKET.get_or_init(|| tokio::sync::Mutex::new(Bucket::default())) //~? async_mutex_unneeded
}

pub async fn admit() -> Result<(), crate::Error> {
    let mut bucket = bucket().lock().await;
    if bucket.take(Instant::now()) {
        Ok(())
    } else {
        Err(crate::Error::Limited)
    }
}

/// The upstream connection is shared; a request is written while the guard is held.
static UPSTREAM: OnceLock<tokio::sync::Mutex<TcpStream>> = OnceLock::new();

pub async fn connect_upstream(addr: &str) -> Result<(), crate::Error> {
    let stream = TcpStream::connect(addr).await?;
    let _ = UPSTREAM.set(tokio::sync::Mutex::new(stream));
    Ok(())
}

pub async fn forward(request: &[u8]) -> Result<(), crate::Error> {
    let Some(upstream) = UPSTREAM.get() else {
        return Ok(());
    };
    let mut conn = upstream.lock().await;
    conn.write_all(request).await?;
    conn.flush().await?;
    Ok(())
}
