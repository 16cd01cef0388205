use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn respond(sock: &mut TcpStream) -> std::io::Result<()> {
    let mut buf = [0u8; 1024];
    let _ = sock.read(&mut buf).await?;
    sock.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").await
}

/// The load balancer's health check.
pub async fn serve(addr: SocketAddr) -> std::io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    loop {
        let (mut sock, _) = listener.accept().await?;
        respond(&mut sock).await?; //~ inline_accept_loop
    }
}

/// The readiness probe, one task per probe.
pub async fn serve_ready(addr: SocketAddr) -> std::io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    loop {
        let (mut sock, peer) = listener.accept().await?;
        tokio::spawn(async move {
            if let Err(e) = respond(&mut sock).await {
                tracing::debug!(%peer, "readiness probe: {e}");
            }
        });
    }
}
