// unbounded_spawn: a gateway — TCP accept loop, webhook fan-out per incoming event, a crawler
// with a concurrency limit, a fixed worker pool fed by a channel, and a Kafka-style consumer.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;

const POOL_SIZE: usize = 4;

struct Gateway {
    http: reqwest::Client,
    hooks: Vec<String>,
    crawl_limit: Arc<Semaphore>,
}

async fn handle_conn(mut sock: TcpStream, peer: SocketAddr) {
    let mut buf = [0u8; 4096];
    loop {
        match sock.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => {
                if sock.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
            Err(e) => {
                tracing::debug!(%peer, error = %e, "read failed");
                break;
            }
        }
    }
}

impl Gateway {
    async fn serve(self: Arc<Self>, listener: TcpListener) -> std::io::Result<()> {
        loop {
            let (sock, peer) = listener.accept().await?;
            tokio::spawn(handle_conn(sock, peer)); // ok: accept loop
        }
    }

    async fn fan_out(self: Arc<Self>, mut events: mpsc::Receiver<String>) {
        while let Some(event) = events.recv().await {
            for hook in self.hooks.clone() {
                let http = self.http.clone();
                let body = event.clone();
                tokio::spawn(async move { //~ unbounded_spawn
                    if let Err(e) = http.post(&hook).body(body).send().await {
                        tracing::warn!(%hook, error = %e, "webhook failed");
                    }
                });
            }
        }
    }

    async fn fan_out_failing(self: Arc<Self>, mut events: mpsc::Receiver<String>) {
        while let Some(event) = events.recv().await {
            let http = self.http.clone();
            tokio::spawn(async move { //~ unbounded_spawn, detached_task
                http.post("http://audit.internal/events").body(event).send().await?;
                Ok::<_, reqwest::Error>(())
            });
        }
    }

    async fn crawl(self: Arc<Self>, urls: Vec<String>) -> usize {
        let mut set = JoinSet::new();
        for url in urls {
            let permit = self.crawl_limit.clone().acquire_owned().await.expect("semaphore closed");
            let http = self.http.clone();
            set.spawn(async move { // ok: permit acquired in the loop before the spawn
                let res = http.get(&url).send().await;
                drop(permit);
                res.map(|r| r.status().is_success()).unwrap_or(false)
            });
        }
        let mut ok = 0;
        while let Some(res) = set.join_next().await {
            if matches!(res, Ok(true)) {
                ok += 1;
            }
        }
        ok
    }

    async fn crawl_unbounded(self: Arc<Self>, urls: Vec<String>) -> usize {
        let mut set = JoinSet::new();
        for url in urls {
            let http = self.http.clone();
            set.spawn(async move { http.get(&url).send().await.is_ok() }); //~ unbounded_spawn(pedantic)
        }
        let mut ok = 0;
        while let Some(Ok(true)) = set.join_next().await {
            ok += 1;
        }
        ok
    }
}

async fn worker(id: usize, jobs: async_channel::Receiver<Vec<u8>>) {
    while let Ok(job) = jobs.recv().await {
        tracing::trace!(worker = id, len = job.len(), "job");
    }
}

async fn start_pool(jobs: async_channel::Receiver<Vec<u8>>) -> JoinSet<()> {
    let mut pool = JoinSet::new();
    for id in 0..POOL_SIZE {
        pool.spawn(worker(id, jobs.clone())); // ok: constant range
    }
    pool
}

async fn consume(mut partitions: Vec<mpsc::Receiver<Vec<u8>>>) {
    let mut tasks = Vec::new();
    for mut rx in partitions.drain(..) {
        tasks.push(tokio::spawn(async move { //~ unbounded_spawn(pedantic)
            while let Some(msg) = rx.recv().await {
                tracing::trace!(len = msg.len(), "message");
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
}

async fn retry_with_backoff(http: reqwest::Client, url: String) {
    for attempt in 0..3u32 {
        let h = tokio::spawn(http.get(url.clone()).send()); // ok: literal range
        match h.await {
            Ok(Ok(_)) => return,
            _ => tokio::time::sleep(Duration::from_millis(100 << attempt)).await,
        }
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let gw = Arc::new(Gateway {
        http: reqwest::Client::new(),
        hooks: vec!["http://a.internal/hook".into()],
        crawl_limit: Arc::new(Semaphore::new(16)),
    });
    let (_tx, rx) = mpsc::channel(128);
    let fan = tokio::spawn(gw.clone().fan_out(rx)); // ok: not in a loop
    let (_jtx, jrx) = async_channel::bounded(64);
    let pool = start_pool(jrx).await;
    let listener = TcpListener::bind("0.0.0.0:7000").await?;
    let res = gw.serve(listener).await;
    fan.abort();
    drop(pool);
    res
}
