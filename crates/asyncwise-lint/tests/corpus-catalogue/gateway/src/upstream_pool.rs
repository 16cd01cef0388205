//! Catalogue corpus: the gateway's upstream pool — checks connections out, writes requests to a
//! shared upstream connection (whose struct is declared in `session_store.rs`), keeps an idle list.
//! Focus: async_mutex_unneeded's cross-file case, retry_without_backoff, lock_across_await.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;

use crate::session_store::UpstreamConn;
use crate::{GatewayError, Result};

impl UpstreamConn {
    /// Writes one length-prefixed request; the writer's guard spans the three writes so that
    /// requests of concurrent callers never interleave.
    pub async fn send_request(&self, body: &[u8]) -> Result<()> {
        let mut writer = self.writer.lock().await;
        writer.write_u32(body.len() as u32).await?;
        writer.write_all(body).await?;
        writer.flush().await?;
        Ok(())
    }
}

pub struct UpstreamPool {
    conns: Vec<Arc<UpstreamConn>>,
    next: AtomicUsize,
    idle: std::sync::Mutex<Vec<usize>>,
    probe_timeout: Duration,
}

impl UpstreamPool {
    pub fn new(conns: Vec<Arc<UpstreamConn>>) -> Self {
        let idle = (0..conns.len()).collect();
        UpstreamPool { conns, next: AtomicUsize::new(0), idle: std::sync::Mutex::new(idle), probe_timeout: Duration::from_millis(250) }
    }

    async fn try_checkout(&self) -> Result<Arc<UpstreamConn>> {
        let index = self.idle.lock().unwrap().pop();
        match index {
            Some(i) => Ok(self.conns[i].clone()),
            None => Err(GatewayError::Unavailable("no idle upstream".into())),
        }
    }

    /// Spins on a pool race: every transient failure goes straight round again.
    pub async fn checkout_any(&self) -> Result<Arc<UpstreamConn>> {
        loop {
            match self.try_checkout().await { //~ retry_without_backoff
                Ok(conn) => return Ok(conn),
                Err(e) if e.is_transient() => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Three attempts at most.
    pub async fn checkout(&self) -> Result<Arc<UpstreamConn>> {
        let mut attempts = 0;
        loop {
            match self.try_checkout().await {
                Ok(conn) => return Ok(conn),
                Err(e) if attempts < 3 && e.is_transient() => {
                    attempts += 1;
                    tracing::debug!(attempts, "checkout raced, retrying");
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Keeps trying until a deadline passes.
    pub async fn checkout_until(&self, wait: Duration) -> Result<Arc<UpstreamConn>> {
        let deadline = Instant::now() + wait;
        loop {
            match self.try_checkout().await {
                Ok(conn) => return Ok(conn),
                Err(e) if Instant::now() < deadline => {
                    tracing::trace!(error = %e, "pool empty");
                    tokio::task::yield_now().await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    pub fn release(&self, conn: &Arc<UpstreamConn>) {
        if let Some(i) = self.conns.iter().position(|c| Arc::ptr_eq(c, conn)) {
            self.idle.lock().unwrap().push(i);
        }
    }

    /// Pings the most recently idled connection while the idle list stays locked.
    pub async fn probe_last_idle(&self) -> bool {
        let idle = self.idle.lock().unwrap(); //~ lock_across_await
        match idle.last() {
            Some(&i) => self.conns[i].send_request(b"PING").await.is_ok(),
            None => false,
        }
    }

    /// Copies the index out first, then pings with no guard alive.
    pub async fn probe_last_idle_snapshot(&self) -> bool {
        let last = {
            let idle = self.idle.lock().unwrap();
            idle.last().copied()
        };
        match last {
            Some(i) => tokio::time::timeout(self.probe_timeout, self.conns[i].send_request(b"PING"))
                .await
                .map(|r| r.is_ok())
                .unwrap_or(false),
            None => false,
        }
    }

    /// Sends the same request to the next connection round-robin.
    pub async fn forward(&self, body: &[u8]) -> Result<()> {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.conns.len();
        let conn = self.conns[i].clone();
        let result = conn.send_request(body).await;
        if result.is_err() {
            tracing::warn!(addr = %conn.addr, "forward failed");
        }
        result
    }
}
