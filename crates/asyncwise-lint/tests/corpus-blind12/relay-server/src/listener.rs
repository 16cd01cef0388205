use std::sync::Arc;

use futures::StreamExt;
use tokio::net::{TcpListener, TcpStream};

use crate::hub::Hub;
use crate::{admin, conn};

pub async fn run_relay(listener: TcpListener, hub: Arc<Hub>) -> anyhow::Result<()> {
    loop {
        let (socket, peer) = listener.accept().await?;
        let hub = hub.clone();
        tokio::spawn(async move {
            if let Err(e) = conn::serve(socket, hub).await {
                tracing::warn!(%peer, "relay connection ended: {e}");
            }
        });
    }
}

pub async fn run_websocket(listener: TcpListener, hub: Arc<Hub>) -> anyhow::Result<()> {
    loop {
        let (socket, _) = listener.accept().await?;
        // The handshake reads the client's HTTP upgrade request before the task starts.
        let ws = tokio_tungstenite::accept_async(socket).await?; //~ inline_accept_loop
        let hub = hub.clone();
        tokio::spawn(async move {
            let (_sink, mut stream) = ws.split();
            while let Some(Ok(msg)) = stream.next().await {
                hub.broadcast_text(msg.to_string());
            }
        });
    }
}

pub async fn run_admin(listener: TcpListener, hub: Arc<Hub>) -> anyhow::Result<()> {
    loop {
        let (socket, _) = listener.accept().await?;
        admin::handle(socket, &hub).await?; //~ inline_accept_loop
    }
}

/// Waits for the health checker's single probe during start-up.
pub async fn await_probe(listener: &TcpListener) -> anyhow::Result<()> {
    loop {
        let (socket, _) = listener.accept().await?;
        admin::answer_probe(socket).await?; //~ inline_accept_loop(pedantic)
        return Ok(());
    }
}

pub async fn run_legacy(listener: TcpListener, hub: Arc<Hub>) -> anyhow::Result<()> {
    loop {
        let (socket, _) = listener.accept().await?;
        start_session(socket, hub.clone());
    }
}

fn start_session(socket: TcpStream, hub: Arc<Hub>) {
    tokio::spawn(async move { //~ detached_task
        conn::serve(socket, hub).await
    });
}
