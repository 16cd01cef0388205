/// Passes on `serve_with`'s error, which ends in an unlogged one itself.
pub async fn serve(addr: std::net::SocketAddr) -> std::io::Result<()> {
    serve_with(addr, None).await
}

pub async fn serve_with(
    addr: std::net::SocketAddr,
    version: Option<&'static str>,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let _ = (listener, version);
    Ok(())
}

/// Passes on `logged_serve`'s error, which logs every error it returns.
pub async fn quiet_serve(addr: std::net::SocketAddr) -> std::io::Result<()> {
    logged_serve(addr).await
}

async fn logged_serve(addr: std::net::SocketAddr) -> std::io::Result<()> {
    tokio::net::TcpListener::bind(addr)
        .await
        .inspect_err(|e| eprintln!("health endpoint: {e}"))?;
    Ok(())
}
