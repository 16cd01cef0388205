//! Connection handling for the L4 proxy.
//!
//! Each accepted client connection is paired with an upstream picked by the
//! balancer, and bytes are copied in both directions until either side closes.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use tokio::io::{copy_bidirectional, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, instrument, warn};

use crate::balancer::Balancer;
use crate::config::ProxyConfig;
use crate::metrics::Metrics;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

pub struct Proxy {
    cfg: ProxyConfig,
    balancer: Arc<Balancer>,
    metrics: Arc<Metrics>,
    health: Arc<RwLock<HashMap<SocketAddr, Instant>>>,
    next_id: AtomicU64,
    limit: Arc<Semaphore>,
}

impl Proxy {
    pub fn new(cfg: ProxyConfig, balancer: Arc<Balancer>, metrics: Arc<Metrics>) -> Self {
        let limit = Arc::new(Semaphore::new(cfg.max_connections));
        Self {
            cfg,
            balancer,
            metrics,
            health: Arc::new(RwLock::new(HashMap::new())),
            next_id: AtomicU64::new(1),
            limit,
        }
    }

    /// Accept loop. One task per connection; the semaphore inside `handle`
    /// caps how many are actually proxying at once.
    pub async fn run(self: Arc<Self>) -> Result<()> {
        let listener = TcpListener::bind(self.cfg.listen)
            .await
            .with_context(|| format!("binding {}", self.cfg.listen))?;
        info!(addr = %self.cfg.listen, "proxy listening");

        loop {
            let (client, peer) = listener.accept().await.context("accept failed")?;
            let id = self.next_id.fetch_add(1, Ordering::Relaxed);
            let this = Arc::clone(&self);
            tokio::spawn(async move {
                if let Err(e) = this.handle(id, client, peer).await {
                    warn!(id, %peer, error = %e, "connection ended with error");
                }
            });
        }
    }

    pub fn spawn_health_checks(self: &Arc<Self>, token: CancellationToken) -> JoinHandle<()> {
        let this = Arc::clone(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(this.cfg.health_interval);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = token.cancelled() => break,
                }
                this.probe_all().await;
                this.drain_stale().await;
            }
            debug!("health checker stopped");
        })
    }

    async fn probe_all(&self) {
        let backends = self.balancer.backends();
        for addr in backends {
            let health = Arc::clone(&self.health);
            tokio::spawn(async move { //~ unbounded_spawn, detached_task
                match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr)).await {
                    Ok(Ok(_conn)) => {
                        health.write().unwrap().insert(addr, Instant::now());
                    }
                    Ok(Err(e)) => debug!(%addr, error = %e, "probe failed"),
                    Err(_) => debug!(%addr, "probe timed out"),
                }
            });
        }
    }

    async fn drain_stale(&self) {
        let mut health = self.health.write().unwrap(); //~ lock_across_await
        let cutoff = self.cfg.stale_after;
        let stale: Vec<SocketAddr> = health
            .iter()
            .filter(|(_, seen)| seen.elapsed() > cutoff)
            .map(|(addr, _)| *addr)
            .collect();
        for addr in &stale {
            health.remove(addr);
            self.balancer.mark_down(*addr).await;
        }
    }

    pub async fn report(&self) {
        let snapshot: Vec<(SocketAddr, Duration)> = {
            let health = self.health.read().unwrap();
            health.iter().map(|(a, t)| (*a, t.elapsed())).collect()
        };
        for (addr, age) in snapshot {
            self.metrics.backend_age(addr, age).await;
        }
    }

    pub async fn recheck(&self, addr: SocketAddr) {
        match self.health.read().unwrap().get(&addr).copied() { //~ lock_across_await
            Some(seen) if seen.elapsed() < self.cfg.stale_after => {}
            _ => {
                self.balancer.mark_down(addr).await;
            }
        }
    }

    /// Startup check run once before the listener is bound.
    pub async fn preflight(&self) -> Result<()> {
        for addr in self.balancer.backends() {
            match std::net::TcpStream::connect(addr) { //~ blocking_in_async
                Ok(_) => info!(%addr, "backend reachable"),
                Err(e) => warn!(%addr, error = %e, "backend unreachable at startup"),
            }
        }
        Ok(())
    }

    fn pick_upstream(&self) -> Result<SocketAddr> {
        let health = self.health.read().unwrap();
        self.balancer
            .backends()
            .into_iter()
            .find(|a| health.contains_key(a))
            .ok_or_else(|| anyhow!("no healthy upstream"))
    }

    #[instrument(skip(self, client), fields(peer = %peer))]
    async fn handle(&self, id: u64, mut client: TcpStream, peer: SocketAddr) -> Result<()> {
        let _permit = self.limit.acquire().await?;
        let upstream_addr = self.pick_upstream()?;
        let last_seen = self.health.read().unwrap().get(&upstream_addr).copied();
        debug!(id, %upstream_addr, ?last_seen, "connecting upstream");

        let mut upstream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(upstream_addr))
            .await
            .context("upstream connect timed out")?
            .context("upstream connect failed")?;
        upstream.set_nodelay(true)?;

        let started = Instant::now();
        let (up, down) = copy_bidirectional(&mut client, &mut upstream).await?;
        client.shutdown().await.ok();
        self.metrics.record(id, up, down, started.elapsed());
        Ok(())
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let n = self.health.read().map(|h| h.len()).unwrap_or(0);
        debug!(backends = n, "proxy dropped");
    }
}
