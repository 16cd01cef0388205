// `to_socket_addrs` on values that are already numeric addresses. Readings: std's impls for
// `SocketAddr`, `SocketAddrV4`, `SocketAddrV6` and `(IpAddr, u16)` build the address without the
// resolver, and a string is parsed as a numeric address before any lookup: a typed address, an
// `(ip, port)` pair of an IP type, a literal that parses as a socket address, or a pair whose
// host literal parses as an IP address does not block. A host name, or a string whose content
// is not known, may go to getaddrinfo and is reported.
use std::net::{IpAddr, SocketAddr, SocketAddrV4, ToSocketAddrs};

use axum::extract::State;

struct Peer {
    name: String,
    port: u16,
}

async fn typed(state: State<Peer>, addr: SocketAddr, v4: SocketAddrV4, ip: IpAddr) {
    // ok: the identity function
    let a = addr.to_socket_addrs();
    // ok: constructs a SocketAddr trivially
    let b = v4.to_socket_addrs();
    let c = (ip, state.port).to_socket_addrs();
    // ok: a literal std parses without a lookup
    let d = "127.0.0.1:6148".to_socket_addrs();
    let e = ("10.0.0.1", 80).to_socket_addrs();
    let f = "[::1]:443".to_socket_addrs();
}

async fn names(state: State<Peer>, host: &str) {
    let a = host.to_socket_addrs(); //~ blocking_in_async
    let b = (state.name.as_str(), state.port).to_socket_addrs(); //~ blocking_in_async
    let c = "localhost:8080".to_socket_addrs(); //~ blocking_in_async
    let d = ("example.com", 443).to_socket_addrs(); //~ blocking_in_async
    // not an address at all: the port is missing, so std asks the resolver (and fails)
    let e = "10.0.0.1".to_socket_addrs(); //~ blocking_in_async
}
