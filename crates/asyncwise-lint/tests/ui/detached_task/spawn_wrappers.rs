// A function of the crate that hands the future it is given to a spawner spawns a task: a
// discarded call of it loses the task's error, and one per loop iteration is a spawn in a loop.
// Readings: the wrapper is named `spawn` or `spawn_*`, takes a future of a generic type and
// passes it (or an async block that uses it) to a known spawner; a wrapper that logs the
// task's error itself loses nothing; a function that only keeps the future spawns nothing.
use std::future::Future;

pub fn spawn_named<F>(name: &'static str, future: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let _ = name;
    tokio::spawn(future)
}

pub fn spawn_reported(future: impl Future<Output = std::io::Result<()>> + Send + 'static) {
    tokio::spawn(async move {
        if let Err(e) = future.await {
            tracing::error!(%e, "background task failed");
        }
    });
}

pub fn spawn_deferred<F: Future<Output = ()>>(future: F) -> std::pin::Pin<Box<F>> {
    Box::pin(future)
}

async fn sync_peer(addr: std::net::SocketAddr) -> std::io::Result<()> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.writable().await?;
    Ok(())
}

pub fn start(peers: Vec<std::net::SocketAddr>) {
    for addr in peers.clone() {
        spawn_named("sync", sync_peer(addr)); //~ detached_task, unbounded_spawn
    }
    for addr in peers {
        // ok for detached_task: `spawn_reported` logs the error
        spawn_reported(sync_peer(addr)); //~ unbounded_spawn
    }
}

pub async fn kept(addr: std::net::SocketAddr) -> std::io::Result<()> {
    // ok: the handle is awaited
    spawn_named("sync", sync_peer(addr)).await.map_err(std::io::Error::other)?
}

pub fn later(addr: std::net::SocketAddr) {
    // ok: `spawn_deferred` spawns nothing
    let _ = spawn_deferred(async move {
        let _ = sync_peer(addr).await;
    });
}
