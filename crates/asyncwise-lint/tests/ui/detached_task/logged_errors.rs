// A task that logs each error before it returns it has told someone why it failed: dropping its
// handle loses nothing, so it is not reported. Only a log that belongs to the exit counts: the
// closure of the `?`'s own `inspect_err`/`map_err`/`ok_or_else`, or an earlier statement of the
// block that returns or ends in the `Err`. A log elsewhere (before an unrelated `?`, in another
// block) may be about something else, and the exit stays silent.
use std::io;

use tokio::net::{TcpListener, TcpStream};
use tracing::{error, warn};

pub fn start(listener: TcpListener, peer: std::net::SocketAddr) {
    // ok: the accept error is logged in the arm that returns it
    tokio::spawn(async move {
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(conn) => conn,
                Err(err) => {
                    error!(%err, "accept failed");
                    return Err(err);
                }
            };
            if stream.peer_addr().is_err() {
                break;
            }
        }
        Ok::<(), io::Error>(())
    });
    // ok: `inspect_err` logs before `?` passes the error on
    tokio::spawn(async move {
        let stream = TcpStream::connect(peer)
            .await
            .inspect_err(|e| warn!(%e, "connect failed"))?;
        let _ = stream.set_nodelay(true);
        Ok::<(), io::Error>(())
    });
    // ok: a spawned fn whose every error path logs first
    tokio::spawn(serve_one(peer));
    tokio::spawn(serve_one_quietly(peer)); //~ detached_task
    tokio::spawn(async move { //~ detached_task
        error!("about to connect");
        let _s = TcpStream::connect(peer).await?;
        Ok::<(), io::Error>(())
    });
    tokio::spawn(async move { //~ detached_task
        let s = TcpStream::connect(peer).await;
        if let Err(e) = s {
            warn!(%e, "connect failed");
        }
        if peer.port() == 0 {
            return Err(io::Error::other("no port"));
        }
        Ok(())
    });
}

async fn serve_one(peer: std::net::SocketAddr) -> io::Result<()> {
    let stream = TcpStream::connect(peer).await.map_err(|e| {
        error!(%e, "connect failed");
        e
    })?;
    let addr = stream.local_addr().ok().ok_or_else(|| {
        error!("no local address");
        io::Error::other("no local address")
    })?;
    if addr.port() == 0 {
        tracing::warn!("bound to port 0");
        return Err(io::Error::other("port 0"));
    }
    match stream.peer_addr() {
        Ok(_) => Ok(()),
        Err(e) => {
            log::error!("peer address: {e}");
            Err(e)
        }
    }
}

async fn serve_one_quietly(peer: std::net::SocketAddr) -> io::Result<()> {
    let stream = TcpStream::connect(peer).await.map_err(|e| {
        error!(%e, "connect failed");
        e
    })?;
    stream.peer_addr()?;
    Ok(())
}
