//! Helpers the gateway spawns as tasks of their own: some end in an error nobody logs, some
//! log theirs, one returns nothing to lose.
pub mod health;

/// Ends in its error unlogged: a bind that fails is handed back.
pub async fn metrics_endpoint(port: u16) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(("0.0.0.0", port)).await?;
    drop(listener);
    Ok(())
}

/// Logs every error before it returns it.
pub async fn logged_endpoint(port: u16) -> std::io::Result<()> {
    let listener = match tokio::net::TcpListener::bind(("0.0.0.0", port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot bind {port}: {e}");
            return Err(e);
        }
    };
    drop(listener);
    Ok(())
}

/// Returns no `Result`.
pub async fn heartbeat() {
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
}

/// A plain fn, not a future.
pub fn version() -> std::io::Result<&'static str> {
    Ok("1")
}
