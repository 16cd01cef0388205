// async_mutex_unneeded: the cost of an async lock is paid per acquisition, so the default form
// is a lock locked per request or message: in a request handler or a function it reaches, in
// the body of an accept, `next()` or `recv_from()` loop, or in a task spawned there. A lock
// locked only elsewhere (start-up, a command, a periodic job, a library function nothing in
// the crate calls per event) is the pedantic form.
use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{Mutex, RwLock};

pub struct App {
    hits: Mutex<HashMap<String, u64>>, //~ async_mutex_unneeded
    peers: RwLock<Vec<String>>, //~ async_mutex_unneeded
    counts: Mutex<u64>, //~ async_mutex_unneeded
    report: Mutex<Vec<String>>, //~ async_mutex_unneeded(pedantic)
    last_sweep: Mutex<u64>, //~ async_mutex_unneeded(pedantic)
}

// A request handler: an axum extractor makes it one.
pub async fn count(State(app): State<Arc<App>>, Path(key): Path<String>) -> String {
    let n = bump(&app, key).await;
    n.to_string()
}

// Reached from the handler: locked per request.
async fn bump(app: &App, key: String) -> u64 {
    let mut hits = app.hits.lock().await;
    let n = hits.entry(key).or_default();
    *n += 1;
    *n
}

// Each accepted connection's task locks the peer list once.
pub async fn serve(app: Arc<App>, listener: TcpListener) -> std::io::Result<()> {
    loop {
        let (conn, addr) = listener.accept().await?;
        let app = app.clone();
        tokio::spawn(async move {
            app.peers.write().await.push(addr.to_string());
            drop(conn);
        });
    }
}

// Per datagram, inline in the receive loop.
pub async fn listen(app: Arc<App>, socket: UdpSocket) -> std::io::Result<()> {
    let mut buf = [0u8; 1500];
    loop {
        let (_n, _from) = socket.recv_from(&mut buf).await?;
        *app.counts.lock().await += 1;
    }
}

// Only at shutdown and in a periodic sweep: the pedantic form.
pub async fn write_report(app: &App) -> Vec<String> {
    app.report.lock().await.clone()
}

pub async fn sweep(app: Arc<App>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        tick.tick().await;
        *app.last_sweep.lock().await += 1;
    }
}
