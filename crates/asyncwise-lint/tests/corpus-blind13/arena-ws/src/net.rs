use std::sync::Arc;

use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use crate::lobby::{Lobby, Ticket};
use crate::PlayerId;

pub async fn handle_connection(stream: TcpStream, lobby: Arc<Lobby>) -> anyhow::Result<()> {
    let mut ws = tokio_tungstenite::accept_async(stream).await?;
    let id: PlayerId = lobby.next_id();
    let (tx, mut rx) = mpsc::channel::<String>(64);
    lobby.join(id, Ticket { rating: 1500, outbox: tx }).await;
    loop {
        tokio::select! {
            incoming = ws.next() => match incoming {
                Some(Ok(Message::Text(text))) => lobby.on_message(id, &text).await,
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e.into()),
                None => break,
            },
            Some(out) = rx.recv() => ws.send(Message::Text(out)).await?,
        }
    }
    lobby.leave(id);
    Ok(())
}

/// Desktop clients speak a length-prefixed binary protocol instead of WebSocket.
pub async fn native_client(mut sock: TcpStream, lobby: Arc<Lobby>) -> anyhow::Result<()> {
    let id = lobby.next_id();
    let (tx, mut rx) = mpsc::channel::<String>(64);
    lobby.join(id, Ticket { rating: 1500, outbox: tx }).await;
    loop {
        tokio::select! {
            len = sock.read_u16() => { //~ select_cancel_unsafe
                let mut body = vec![0u8; len? as usize];
                sock.read_exact(&mut body).await?;
                lobby.on_message(id, &String::from_utf8_lossy(&body)).await;
            }
            Some(out) = rx.recv() => {
                sock.write_u16(out.len() as u16).await?;
                sock.write_all(out.as_bytes()).await?;
            }
        }
    }
}

/// Spectators are queued for the replay broadcaster; nothing here waits.
pub async fn register_spectator(sock: TcpStream, lobby: &Lobby) {
    lobby.spectators.lock().unwrap().push(sock);
}
