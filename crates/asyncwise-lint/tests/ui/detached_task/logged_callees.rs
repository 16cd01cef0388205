// A `?` on a call of a function of the crate that logs every error it returns loses nothing:
// the error was told before it reached the task. A task (or the crate fn it ends in) whose other
// exits log too is not reported. Readings: the callee is named by its path (`Self::`, a module,
// an import) or by a call on `self`; a bare name that several functions of the crate share,
// which disagree, keeps the `?` silent, as does a method on another receiver (its type is not
// known) and a call of another crate's function. A chain of such callees is followed a few
// calls deep. A tail `serve(..).await.map_err(|e| { debug!(..); .. })` logs its error too.
use std::io;
use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream};
use tracing::{debug, error};

/// Reads the peer's address; every failure is logged before it is returned.
async fn peer(stream: TcpStream) -> io::Result<(TcpStream, SocketAddr)> {
    match stream.peer_addr() {
        Ok(addr) => Ok((stream, addr)),
        Err(e) => {
            error!(%e, "no peer address");
            Err(e)
        }
    }
}

/// Passes `peer`'s errors on, and logs its own.
async fn checked_peer(stream: TcpStream) -> io::Result<SocketAddr> {
    let (_stream, addr) = peer(stream).await?;
    if addr.port() == 0 {
        error!("port 0");
        return Err(io::Error::other("port 0"));
    }
    Ok(addr)
}

/// Serves a connection; the serve error is logged on its way out.
async fn serve(stream: TcpStream) -> io::Result<()> {
    stream
        .readable()
        .await
        .map_err(|e| {
            debug!(%e, "connection closed");
            e
        })
}

/// Every exit either logs or passes on the error of a function that logs.
async fn handle_conn(stream: TcpStream) -> io::Result<()> {
    let (stream, _addr) = peer(stream).await?;
    serve(stream).await
}

/// A callee that passes an error on silently.
async fn quiet_peer(stream: TcpStream) -> io::Result<SocketAddr> {
    let addr = stream.peer_addr()?;
    Ok(addr)
}

async fn handle_quietly(stream: TcpStream) -> io::Result<()> {
    let _addr = quiet_peer(stream).await?;
    Ok(())
}

mod v4 {
    pub async fn shared(stream: &tokio::net::TcpStream) -> std::io::Result<()> {
        stream.peer_addr().map(|_| ()).inspect_err(|e| tracing::error!(%e, "v4"))
    }
}

mod v6 {
    pub async fn shared(stream: &tokio::net::TcpStream) -> std::io::Result<()> {
        stream.peer_addr()?;
        Ok(())
    }
}

struct Conn {
    stream: TcpStream,
}

impl Conn {
    async fn handshake(&self) -> io::Result<()> {
        self.stream.readable().await.inspect_err(|e| error!(%e, "handshake"))
    }

    fn start(self) {
        // ok: `handshake` of this impl logs its errors
        tokio::spawn(async move {
            self.handshake().await?;
            Ok::<(), io::Error>(())
        });
    }
}

pub async fn run(listener: TcpListener) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            break;
        };
        // ok: every error of `handle_conn` is logged by it or by the function it came from
        tokio::spawn(handle_conn(stream));
    }
}

pub fn start(stream: TcpStream, other: TcpStream, third: TcpStream, fourth: TcpStream) {
    // ok: `peer` logs each error the `?` passes on
    tokio::spawn(async move {
        let (_stream, addr) = peer(stream).await?;
        debug!(%addr, "peer");
        Ok::<(), io::Error>(())
    });
    // ok: through `checked_peer`, which passes on `peer`'s logged errors, and a context
    tokio::spawn(async move {
        let _addr = checked_peer(other).await.map_err(io::Error::other)?;
        Ok::<(), io::Error>(())
    });
    tokio::spawn(handle_quietly(third)); //~ detached_task
    tokio::spawn(async move { //~ detached_task
        // `and_then` adds an error of its own, which nothing logs
        let _ = peer(fourth).await.and_then(|(s, _)| s.peer_addr())?;
        Ok::<(), io::Error>(())
    });
}

pub fn ambiguous(stream: TcpStream, addr: SocketAddr) {
    tokio::spawn(async move { //~ detached_task
        // `shared` names no one function: `v4::shared` logs, `v6::shared` does not
        shared(&stream).await?;
        Ok::<(), io::Error>(())
    });
    tokio::spawn(async move { //~ detached_task
        // another crate's function
        let _s = TcpStream::connect(addr).await?;
        Ok::<(), io::Error>(())
    });
}
