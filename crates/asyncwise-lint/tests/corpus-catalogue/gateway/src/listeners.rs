//! Catalogue corpus: the gateway's listeners — the public TCP listener, the admin Unix socket,
//! a metrics endpoint, a health port and a one-shot OAuth callback listener.
//! Focus: inline_accept_loop (connections served inline vs. spawned or queued).

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;
use tokio_util::codec::{Framed, LinesCodec};

use crate::{telemetry, Result, Settings};

async fn handle_client(mut stream: TcpStream, peer: SocketAddr) -> Result<()> {
    let mut buf = vec![0u8; 1024];
    let n = stream.read(&mut buf).await?;
    tracing::debug!(%peer, n, "request");
    stream.write_all(&buf[..n]).await?;
    Ok(())
}

async fn serve_lines(mut framed: Framed<TcpStream, LinesCodec>) {
    use futures::{SinkExt, StreamExt};
    while let Some(Ok(line)) = framed.next().await {
        if framed.send(line).await.is_err() {
            break;
        }
    }
}

async fn admin_session(stream: UnixStream) -> Result<()> {
    let (mut r, mut w) = stream.into_split();
    tokio::io::copy(&mut r, &mut w).await?;
    Ok(())
}

async fn write_metrics(mut stream: TcpStream, body: String) {
    let _ = stream.write_all(body.as_bytes()).await;
}

/// Public listener: one task per connection, kept in a JoinSet.
pub async fn serve_public(settings: Settings, ready: oneshot::Sender<()>) -> Result<()> {
    let listener = TcpListener::bind(&settings.listen).await?;
    let _ = ready.send(());
    let mut connections = JoinSet::new();
    loop {
        let (stream, peer) = listener.accept().await?;
        telemetry::ACCEPTED.inc();
        connections.spawn(handle_client(stream, peer));
        while let Some(done) = connections.try_join_next() {
            if let Ok(Err(e)) = done {
                tracing::warn!(error = %e, "client failed");
            }
        }
    }
}

/// Echo listener that answers each client before taking the next.
pub async fn serve_echo_inline(listener: TcpListener) -> Result<()> {
    loop {
        let (stream, peer) = listener.accept().await?;
        handle_client(stream, peer).await?; //~ inline_accept_loop
    }
}

/// Line protocol served inline through a codec built from the socket.
pub async fn serve_lines_inline(listener: TcpListener) -> Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        let framed = Framed::new(stream, LinesCodec::new());
        serve_lines(framed).await; //~ inline_accept_loop
    }
}

/// Admin socket: sessions are short, but a stuck admin client blocks every other one.
pub async fn serve_admin(path: &str) -> Result<()> {
    let listener = UnixListener::bind(path)?;
    while let Ok((stream, _)) = listener.accept().await {
        if let Err(e) = admin_session(stream).await { //~ inline_accept_loop
            tracing::warn!(error = %e, "admin session failed");
        }
    }
    Ok(())
}

/// Metrics endpoint written inline after rendering.
pub async fn serve_metrics(listener: TcpListener, registry: Arc<prometheus::Registry>) -> Result<()> {
    loop {
        let (stream, peer) = listener.accept().await?;
        tracing::trace!(%peer, "scrape");
        let body = telemetry::render(&registry);
        write_metrics(stream, body).await; //~ inline_accept_loop
    }
}

/// Health port: each probe spawned, handle logged by a reaper task.
pub async fn serve_health(listener: TcpListener) -> Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        let handle = tokio::spawn(write_metrics(stream, "ok\n".to_string()));
        tokio::spawn(async move {
            if let Err(e) = handle.await {
                tracing::warn!(error = %e, "health probe panicked");
            }
        });
    }
}

/// Connections handed to a fixed pool of workers through a bounded queue.
pub async fn serve_pooled(listener: TcpListener, workers: usize) -> Result<()> {
    let (tx, rx) = mpsc::channel::<TcpStream>(256);
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    let mut pool = JoinSet::new();
    for _ in 0..4 {
        let rx = rx.clone();
        pool.spawn(async move {
            loop {
                let next = rx.lock().await.recv().await;
                let Some(stream) = next else { break };
                write_metrics(stream, String::from("pooled\n")).await;
            }
        });
    }
    tracing::info!(workers, "pool started");
    loop {
        let (stream, _) = listener.accept().await?;
        if tx.send(stream).await.is_err() {
            break;
        }
    }
    while pool.join_next().await.is_some() {}
    Ok(())
}

/// Starts a session task; the accept loop below calls this and awaits only the start.
async fn start_session(stream: TcpStream, peer: SocketAddr, sessions: &mut JoinSet<Result<()>>) {
    tracing::debug!(%peer, "session start");
    sessions.spawn(handle_client(stream, peer));
    tokio::task::yield_now().await;
}

pub async fn serve_sessions(listener: TcpListener) -> Result<()> {
    let mut sessions = JoinSet::new();
    loop {
        let (stream, peer) = listener.accept().await?;
        start_session(stream, peer, &mut sessions).await;
    }
}

/// Reads the redirect request and answers it; `Some(code)` when it carried one.
async fn answer_redirect(mut stream: TcpStream) -> Result<Option<String>> {
    let mut request = vec![0u8; 2048];
    let n = stream.read(&mut request).await?;
    let text = String::from_utf8_lossy(&request[..n]).to_string();
    let code = text.split("code=").nth(1).and_then(|rest| rest.split_whitespace().next()).map(str::to_string);
    stream.write_all(b"HTTP/1.1 200 OK\r\n\r\nYou can close this tab.").await?;
    Ok(code)
}

/// Waits for the one OAuth redirect, answers it, and stops listening.
pub async fn oauth_callback(listener: TcpListener) -> Result<String> {
    loop {
        let (stream, _) = listener.accept().await?;
        if let Some(code) = answer_redirect(stream).await? { //~ inline_accept_loop
            return Ok(code);
        }
    }
}
