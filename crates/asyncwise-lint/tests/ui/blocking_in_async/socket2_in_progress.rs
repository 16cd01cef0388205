// A socket2 `connect` whose caller handles `EINPROGRESS` on the spot (an arm of the `match` on
// its result, or the body of `if let Err(e) = sock.connect(..)`) is a non-blocking connect:
// that error is how connect(2) on a non-blocking socket says the connection is under way, so
// the socket was made non-blocking, here in a helper of another type (`create_socket`) that
// the call site does not show. A `connect` in the same file whose result is not handled so is
// still reported.
use std::io;
use std::net::SocketAddr;

use socket2::{Domain, Socket, Type};

struct Config;

impl Config {
    fn create_socket(&self, addr: SocketAddr) -> io::Result<Socket> {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
        socket.set_nonblocking(true)?;
        Ok(socket)
    }

    fn blocking_socket(&self, addr: SocketAddr) -> io::Result<Socket> {
        Socket::new(Domain::for_address(addr), Type::STREAM, None)
    }
}

struct Dialer {
    config: Config,
}

impl Dialer {
    async fn dial(&self, addr: SocketAddr, reuse: Option<SocketAddr>) -> io::Result<Socket> {
        let socket = self.config.create_socket(addr)?;
        // ok: non-blocking, the in-progress result is handled here
        match (socket.connect(&addr.into()), reuse) {
            (Ok(()), _) => Ok(socket),
            (Err(e), _) if e.raw_os_error() == Some(libc::EINPROGRESS) => Ok(socket),
            (Err(e), _) if e.kind() == io::ErrorKind::WouldBlock => Ok(socket),
            (Err(e), _) => Err(e),
        }
    }

    async fn dial_plain(&self, addr: SocketAddr) -> io::Result<Socket> {
        let socket = self.config.blocking_socket(addr)?;
        socket.connect(&addr.into())?; //~ blocking_in_async
        Ok(socket)
    }
}
