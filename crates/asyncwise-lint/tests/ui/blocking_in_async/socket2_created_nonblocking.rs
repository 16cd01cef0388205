// A socket2 `Socket` made non-blocking returns from `connect` at once (`EINPROGRESS`, handled
// by the caller, who then waits for readiness with the runtime). Readings: a socket is
// non-blocking when it is created so (`Type::STREAM.nonblocking()` as `Socket::new`'s or
// `Socket::new_raw`'s type, directly or through a binding, or a type built from flags that
// include `SOCK_NONBLOCK`), or when `set_nonblocking(true)` was called on the same place
// before (also a field, `self.socket`). A socket created in blocking mode, or set
// non-blocking only after its `connect`, or another socket set non-blocking, is reported.
use socket2::{Domain, Protocol, SockAddr, Socket, Type};

pub async fn created_nonblocking(addr: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpStream> {
    let sock = Socket::new(Domain::for_address(addr), Type::STREAM.nonblocking(), Some(Protocol::TCP))?;
    match sock.connect(&addr.into()) { // ok: created non-blocking, in progress at once
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) => return Err(e),
    }
    let stream = tokio::net::TcpStream::from_std(sock.into())?;
    stream.writable().await?;
    Ok(stream)
}

pub async fn created_nonblocking_cloexec(addr: std::net::SocketAddr) -> std::io::Result<()> {
    let sock = socket2::Socket::new_raw(Domain::IPV6, Type::STREAM.nonblocking().cloexec(), None)?;
    if let Err(e) = sock.connect(&SockAddr::from(addr)) { // ok: created non-blocking
        if e.raw_os_error() != Some(libc::EINPROGRESS) {
            return Err(e);
        }
    }
    settle().await;
    Ok(())
}

pub async fn type_bound_first(addr: std::net::SocketAddr) -> std::io::Result<()> {
    let ty = Type::STREAM.nonblocking();
    let sock = Socket::new(Domain::IPV4, ty, None)?;
    let _ = sock.connect(&addr.into()); // ok: the type it was created with is non-blocking
    settle().await;
    Ok(())
}

pub async fn raw_flags(addr: std::net::SocketAddr) -> std::io::Result<()> {
    let sock = Socket::new(Domain::IPV4, Type::from(libc::SOCK_STREAM | libc::SOCK_NONBLOCK), None)?;
    let _ = sock.connect(&addr.into()); // ok: SOCK_NONBLOCK among the creation flags
    settle().await;
    Ok(())
}

pub struct Dialer {
    socket: Socket,
}

impl Dialer {
    pub async fn start(&self, addr: std::net::SocketAddr) -> std::io::Result<()> {
        self.socket.set_nonblocking(true)?;
        match self.socket.connect(&addr.into()) { // ok: the same field was set non-blocking
            Err(e) if e.raw_os_error() != Some(libc::EINPROGRESS) => return Err(e),
            _ => {}
        }
        settle().await;
        Ok(())
    }

    pub async fn start_blocking(&self, addr: std::net::SocketAddr) -> std::io::Result<()> {
        self.socket.connect(&addr.into())?; //~ blocking_in_async
        settle().await;
        Ok(())
    }
}

pub async fn created_blocking(addr: std::net::SocketAddr) -> std::io::Result<()> {
    let sock = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    sock.connect(&addr.into())?; //~ blocking_in_async
    sock.set_nonblocking(true)?;
    settle().await;
    Ok(())
}

pub async fn other_socket_nonblocking(addr: std::net::SocketAddr) -> std::io::Result<()> {
    let probe = Socket::new(Domain::IPV4, Type::STREAM.nonblocking(), None)?;
    let sock = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    let _ = probe.connect(&addr.into()); // ok: created non-blocking
    sock.connect(&addr.into())?; //~ blocking_in_async
    settle().await;
    Ok(())
}

async fn settle() {}
