use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

/// Resolves the configured host of a peer.
pub async fn resolve_peer(host: &str, port: u16) -> io::Result<SocketAddr> {
    let mut addrs = (host, port).to_socket_addrs()?; //~ blocking_in_async
    addrs
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no address"))
}

/// The local sidecar's address: a literal, parsed without any lookup.
pub async fn sidecar() -> io::Result<SocketAddr> {
    let mut addrs = "127.0.0.1:6148".to_socket_addrs()?;
    addrs
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no address"))
}

/// The async lookup.
pub async fn resolve_peer_async(host: &str, port: u16) -> io::Result<SocketAddr> {
    tokio::net::lookup_host((host, port))
        .await?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no address"))
}
