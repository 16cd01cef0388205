use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use async_std::net::{TcpListener, TcpStream};
use async_std::prelude::*;
use async_std::task;

use crate::sessions::Sessions;

async fn pipe(client: TcpStream, upstream_addr: &str, sessions: &Sessions) -> std::io::Result<u64> {
    let peer = client.peer_addr()?;
    let upstream = TcpStream::connect(upstream_addr).await?;
    sessions.start(peer).await;
    let (a, b) = (client.clone(), upstream.clone());
    let up = async_std::io::copy(&mut &a, &mut &upstream);
    let down = async_std::io::copy(&mut &b, &mut &client);
    let (sent, received) = up.try_join(down).await?;
    sessions.add_bytes(peer, sent + received).await;
    Ok(sessions.finish(peer).await)
}

/// The public port: one task per client.
pub async fn serve_public(bind: &str, upstream: String, token: String, sessions: Arc<Sessions>) -> anyhow::Result<()> {
    let listener = TcpListener::bind(bind).await?;
    let mut incoming = listener.incoming();
    while let Some(stream) = incoming.next().await {
        let stream = stream?;
        let upstream = upstream.clone();
        let sessions = sessions.clone();
        let token = token.clone();
        task::spawn(async move {
            sessions.active.fetch_add(1, Ordering::Relaxed);
            if let Err(e) = authenticate(&stream, &token).await {
                log::info!("rejected: {e}");
            } else if let Err(e) = pipe(stream, &upstream, &sessions).await {
                log::info!("relay ended: {e}");
            }
            sessions.active.fetch_sub(1, Ordering::Relaxed);
        });
    }
    Ok(())
}

async fn authenticate(stream: &TcpStream, token: &str) -> anyhow::Result<()> {
    let mut line = vec![0u8; token.len() + 1];
    let mut s = stream;
    s.read_exact(&mut line).await?;
    if &line[..token.len()] != token.as_bytes() {
        anyhow::bail!("bad token");
    }
    Ok(())
}

/// The debug port: no token, for the operator on the box.
pub async fn serve_debug(bind: &str, upstream: String, sessions: Arc<Sessions>) -> anyhow::Result<()> {
    let listener = TcpListener::bind(bind).await?;
    let mut incoming = listener.incoming();
    while let Some(stream) = incoming.next().await {
        let stream = stream?;
        std::thread::sleep(Duration::from_millis(50)); //~ blocking_in_async
        let bytes = pipe(stream, &upstream, &sessions).await?; //~ inline_accept_loop
        log::debug!("debug session relayed {bytes} bytes");
    }
    Ok(())
}

/// Prints the number of open sessions every minute.
pub async fn audit_log(sessions: Arc<Sessions>) {
    loop {
        task::sleep(Duration::from_secs(60)).await;
        log::info!("{} relay sessions open", sessions.active());
    }
}

/// Pre-warms upstream connections for a burst; each warm-up reports its own failure.
pub async fn warm(upstream: &str, n: usize) {
    let (tx, rx) = async_std::channel::unbounded(); //~ unbounded_channel
    for _ in 0..n {
        let tx = tx.clone();
        let addr = upstream.to_owned();
        task::spawn(async move { //~ unbounded_spawn(pedantic)
            let _ = tx.send(TcpStream::connect(addr).await).await;
        });
    }
    drop(tx);
    while let Ok(result) = rx.recv().await {
        if let Err(e) = result {
            log::warn!("warm-up connect failed: {e}");
        }
    }
}

/// Starts a session reporter for a client and forgets it.
pub fn report_later(sessions: Arc<Sessions>, peer: std::net::SocketAddr) {
    task::spawn(async move { //~ detached_task
        task::sleep(Duration::from_secs(5)).await;
        let n = sessions.finish(peer).await;
        if n == 0 {
            return Err(anyhow::anyhow!("session {peer} relayed nothing"));
        }
        Ok(())
    });
}
