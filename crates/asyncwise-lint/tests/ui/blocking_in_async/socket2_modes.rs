// socket2's `Socket` starts in blocking mode: `connect` waits for the peer's handshake (up to
// the kernel's connect timeout when the peer does not answer) and `accept` for a connection, on
// this thread. Readings: a socket created with `Socket::new` (a stream socket) and connected
// before `set_nonblocking(true)` is reported; one set non-blocking first, or a datagram socket
// (`Type::DGRAM`: `connect` only records the peer), is not; `connect_timeout` waits in any mode.
use socket2::{Domain, Protocol, SockAddr, Socket, Type};

pub async fn dial(addr: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpStream> {
    let sock = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    sock.set_reuse_address(true)?;
    sock.connect(&SockAddr::from(addr))?; //~ blocking_in_async
    let std_stream: std::net::TcpStream = sock.into();
    std_stream.set_nonblocking(true)?;
    tokio::net::TcpStream::from_std(std_stream)
}

pub async fn dial_with_deadline(addr: std::net::SocketAddr) -> std::io::Result<()> {
    let sock = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    sock.set_nonblocking(true)?;
    sock.connect_timeout(&addr.into(), std::time::Duration::from_secs(3))?; //~ blocking_in_async
    settle().await;
    Ok(())
}

pub async fn dial_nonblocking(addr: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpStream> {
    let sock = Socket::new(Domain::IPV6, Type::STREAM, None)?;
    sock.set_nonblocking(true)?;
    match sock.connect(&addr.into()) { // ok: non-blocking, returns EINPROGRESS at once
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(115) => {}
        Err(e) => return Err(e),
    }
    let stream = tokio::net::TcpStream::from_std(sock.into())?;
    stream.writable().await?;
    Ok(stream)
}

pub async fn datagram(peer: std::net::SocketAddr) -> std::io::Result<()> {
    let sock = Socket::new(Domain::IPV4, Type::DGRAM, None)?;
    sock.connect(&peer.into())?; // ok: a datagram socket's connect only records the peer
    settle().await;
    Ok(())
}

pub async fn own_dialer(d: &Dialer) {
    d.connect(); // ok: a type of this crate
    settle().await;
}

pub struct Dialer;

impl Dialer {
    fn connect(&self) {}
}

async fn settle() {}
