// detached_task: a session daemon — per-connection tasks, a cache refresher, a metrics
// flusher and a graceful-shutdown path — where background tasks fail unseen.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, RwLock};
use tokio::task::JoinHandle;

#[derive(Default)]
struct Cache {
    users: RwLock<Vec<String>>, //~ async_mutex_unneeded
}

struct Daemon {
    cache: Arc<Cache>,
    http: reqwest::Client,
    shutdown: watch::Receiver<bool>,
}

async fn refresh_users(http: &reqwest::Client, cache: &Cache) -> anyhow::Result<usize> {
    let users: Vec<String> = http
        .get("http://directory.internal/users")
        .send()
        .await?
        .json()
        .await
        .context("decoding users")?;
    let n = users.len();
    *cache.users.write().await = users;
    Ok(n)
}

async fn session(sock: TcpStream, cache: Arc<Cache>) -> anyhow::Result<()> {
    let (rd, mut wr) = sock.into_split();
    let mut lines = BufReader::new(rd).lines();
    while let Some(line) = lines.next_line().await? {
        let known = cache.users.read().await.contains(&line);
        wr.write_all(if known { b"yes\n" } else { b"no\n" }).await?;
    }
    Ok(())
}

impl Daemon {
    fn start_refresher_wrong(&self) {
        let http = self.http.clone();
        let cache = self.cache.clone();
        let shutdown = self.shutdown.clone();
        tokio::spawn(async move { //~ detached_task
            let mut tick = tokio::time::interval(Duration::from_secs(30));
            loop {
                tick.tick().await;
                refresh_users(&http, &cache).await?;
                if *shutdown.borrow() {
                    break;
                }
            }
            Ok::<(), anyhow::Error>(())
        });
    }

    fn start_refresher(&self) -> JoinHandle<()> {
        let http = self.http.clone();
        let cache = self.cache.clone();
        let mut shutdown = self.shutdown.clone();
        tokio::spawn(async move { // ok: returned, and errors are logged
            let mut tick = tokio::time::interval(Duration::from_secs(30));
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        match refresh_users(&http, &cache).await {
                            Ok(n) => tracing::debug!(users = n, "refreshed"),
                            Err(e) => tracing::warn!(error = %e, "refresh failed"),
                        }
                    }
                    _ = shutdown.changed() => break,
                }
            }
        })
    }

    fn start_flusher(&self) {
        let cache = self.cache.clone();
        tokio::spawn(async move { // ok: infallible
            let mut tick = tokio::time::interval(Duration::from_secs(10));
            loop {
                tick.tick().await;
                let n = cache.users.read().await.len();
                tracing::info!(users = n, "metrics");
            }
        });
    }

    async fn accept_wrong(&self, listener: TcpListener) -> anyhow::Result<()> {
        loop {
            let (sock, _) = listener.accept().await?;
            tokio::spawn(session(sock, self.cache.clone())); //~ detached_task
        }
    }

    async fn accept(&self, listener: TcpListener) -> anyhow::Result<()> {
        loop {
            let (sock, peer) = listener.accept().await?;
            let cache = self.cache.clone();
            tokio::spawn(async move { // ok: handles its own errors
                if let Err(e) = session(sock, cache).await {
                    tracing::error!(%peer, error = %e, "session failed");
                }
            });
        }
    }

    async fn warm_up(&self) {
        let http = self.http.clone();
        let cache = self.cache.clone();
        let _ = tokio::spawn(async move { //~ detached_task(pedantic)
            let n = refresh_users(&http, &cache).await.expect("directory reachable at boot");
            tracing::info!(users = n, "warmed up");
        });
    }

    async fn announce(&self, addr: String) {
        tokio::spawn(async move { // ok: errors handled with `.ok()` and logging
            let mut sock = match TcpStream::connect(&addr).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(%addr, error = %e, "announce: connect");
                    return;
                }
            };
            sock.write_all(b"HELLO\n").await.ok();
        });
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let daemon = Daemon {
        cache: Arc::default(),
        http: reqwest::Client::new(),
        shutdown: stop_rx,
    };
    daemon.start_flusher();
    daemon.start_refresher_wrong();
    let refresher = daemon.start_refresher();
    daemon.warm_up().await;
    daemon.announce("registry.internal:9000".into()).await;
    let listener = TcpListener::bind("0.0.0.0:4000").await?;
    tokio::select! {
        res = daemon.accept(listener) => res?,
        _ = tokio::signal::ctrl_c() => {}
    }
    stop_tx.send(true).ok();
    refresher.await?;
    Ok(())
}
