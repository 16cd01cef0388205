//! The hub: accepts notifications over TCP and fans them out to providers.

mod dispatch;
mod providers;
mod registry;

use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
pub struct Config {
    pub workers: usize,
    pub hooks_file: std::path::PathBuf,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cfg = Config {
        workers: std::env::var("WORKERS").ok().and_then(|w| w.parse().ok()).unwrap_or(4),
        hooks_file: "hooks.json".into(),
    };
    let registry = Arc::new(registry::Registry::default());
    let hub = dispatch::Hub::start(&cfg, registry.clone()); // @helper //~? blocking_in_async

    // Expire stale hooks once a minute; cannot fail.
    let janitor = registry.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            janitor.expire();
        }
    });

    let listener = TcpListener::bind("0.0.0.0:7070").await?;
    loop {
        let (mut sock, _) = listener.accept().await?;
        let hub = hub.clone();
        tokio::spawn(async move {
            let mut body = String::new();
            if sock.read_to_string(&mut body).await.is_ok() {
                hub.submit(body).await;
            }
        });
    }
}
