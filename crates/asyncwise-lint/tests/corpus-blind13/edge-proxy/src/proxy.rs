use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::config;
use crate::health::Backends;
use crate::pool::UpstreamPool;

pub struct Proxy {
    backends: Arc<Backends>,
    pool: UpstreamPool,
    active: AtomicUsize,
    idle: Duration,
}

impl Proxy {
    pub fn new(backends: Arc<Backends>, idle: Duration) -> Self {
        Proxy {
            backends,
            pool: UpstreamPool::new(32),
            active: AtomicUsize::new(0),
            idle,
        }
    }

    pub async fn serve(&self, mut client: TcpStream, peer: SocketAddr) -> anyhow::Result<()> {
        let backend = self.backends.pick(peer).ok_or_else(|| anyhow::anyhow!("no healthy backend"))?;
        let addr = config::resolve(&backend.target)?; // @helper //~ blocking_in_async
        self.active.fetch_add(1, Ordering::Relaxed);
        let mut upstream = self.pool.checkout(addr).await?; //~ cleanup_after_await
        let copied = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
        self.active.fetch_sub(1, Ordering::Relaxed);
        if copied.is_ok() {
            self.pool.checkin(addr, upstream).await;
        }
        copied.map(drop).map_err(Into::into)
    }

    /// Reads the PROXY-protocol v2 header an upstream load balancer prepends, waiting
    /// through idle periods of a long-lived connection.
    pub async fn read_proxy_header(&self, client: &mut TcpStream) -> std::io::Result<Vec<u8>> {
        let mut sig = [0u8; 16];
        loop {
            match timeout(self.idle, client.read_exact(&mut sig)).await { //~ select_cancel_unsafe, retry_without_backoff
                Ok(Ok(_)) => break,
                Ok(Err(e)) => return Err(e),
                Err(_) => {
                    tracing::trace!("still waiting for the PROXY header");
                    continue;
                }
            }
        }
        let len = u16::from_be_bytes([sig[14], sig[15]]) as usize;
        let mut rest = vec![0u8; len];
        client.read_exact(&mut rest).await?;
        Ok(rest)
    }

    /// Sends a short banner, giving up on clients that do not read it.
    pub async fn greet(&self, client: &mut TcpStream, lines: &[&str]) -> std::io::Result<()> {
        for line in lines {
            match timeout(Duration::from_secs(2), client.write_all(line.as_bytes())).await {
                Ok(res) => res?,
                Err(_) => return Err(std::io::ErrorKind::TimedOut.into()),
            }
        }
        Ok(())
    }

    pub fn active(&self) -> usize {
        self.active.load(Ordering::Relaxed)
    }
}
