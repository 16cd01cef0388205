mod admin;
mod config;
mod health;
mod pool;
mod proxy;

use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt::init();
    let path = std::env::args().nth(1).map(PathBuf::from).unwrap_or_else(|| "edge.toml".into());
    let cfg = config::load(&path)?; // @helper //~ blocking_in_async(pedantic)
    let backends = Arc::new(health::Backends::from_config(&cfg.backends));
    let proxy = Arc::new(proxy::Proxy::new(backends.clone(), cfg.idle()));

    tokio::spawn(health::run(backends.clone(), std::time::Duration::from_secs(5)));

    let admin_listener = TcpListener::bind(cfg.admin).await?;
    let admin_state = Arc::new(admin::AdminState::new(backends.clone()));
    tokio::spawn(async move {
        loop {
            let (sock, peer) = match admin_listener.accept().await {
                Ok(conn) => conn,
                Err(e) => {
                    tracing::warn!(error = %e, "admin accept failed");
                    continue;
                }
            };
            tracing::debug!(%peer, "admin connection");
            if let Err(e) = admin::serve(sock, admin_state.clone()).await { //~ inline_accept_loop
                tracing::warn!(error = %e, "admin session ended");
            }
        }
    });

    let listener = TcpListener::bind(cfg.listen).await?;
    loop {
        let (stream, peer) = listener.accept().await?;
        let proxy = proxy.clone();
        tokio::spawn(async move {
            if let Err(e) = proxy.serve(stream, peer).await {
                tracing::debug!(%peer, error = %e, "connection closed with error");
            }
        });
    }
}
