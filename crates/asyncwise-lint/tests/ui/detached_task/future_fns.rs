// detached_task: spawning a call of a plain (non-async) fn of the crate declared to return a
// future of a `Result` — `impl Future<Output = Result<..>>`, a pinned box of a `dyn Future`
// with that output, or a `BoxFuture` of a `Result` — with the handle discarded. The task's
// value is that `Result`, exactly as for an async fn returning one.
//
// Quiet look-alikes: a plain fn whose future yields `()` or an `Option`, a plain fn returning
// a `Result` (not a future: the spawn would not compile), and a kept handle.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;

use futures::future::BoxFuture;
use tokio::net::TcpListener;

fn listen(addr: SocketAddr) -> impl Future<Output = io::Result<()>> + Send {
    async move {
        let _listener = TcpListener::bind(addr).await?;
        Ok(())
    }
}

fn listen_boxed(addr: SocketAddr) -> Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>> {
    Box::pin(async move {
        let _listener = TcpListener::bind(addr).await?;
        Ok(())
    })
}

fn listen_box_future(addr: SocketAddr) -> BoxFuture<'static, Result<(), io::Error>> {
    Box::pin(async move {
        let _listener = TcpListener::bind(addr).await?;
        Ok(())
    })
}

fn listen_logged(addr: SocketAddr) -> impl Future<Output = ()> + Send {
    async move {
        if let Err(e) = TcpListener::bind(addr).await {
            tracing::error!(error = %e, "bind failed");
        }
    }
}

fn listen_option(addr: SocketAddr) -> impl Future<Output = Option<TcpListener>> + Send {
    async move { TcpListener::bind(addr).await.ok() }
}

async fn spawns(addr: SocketAddr) -> io::Result<()> {
    tokio::spawn(listen(addr)); //~ detached_task
    let _ = tokio::spawn(listen_boxed(addr)); //~ detached_task
    drop(tokio::spawn(listen_box_future(addr))); //~ detached_task
    tokio::spawn(listen_logged(addr)); // ok: the future's output is ()
    tokio::spawn(listen_option(addr)); // ok: the future's output is an Option
    let kept = tokio::spawn(listen(addr)); // ok: the handle is kept and awaited
    kept.await??;
    Ok(())
}
