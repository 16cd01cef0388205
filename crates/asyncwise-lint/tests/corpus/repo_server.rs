//! TCP front end: accepts connections, tracks them for graceful shutdown,
//! and fans room messages out to every subscriber.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use thiserror::Error;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, mpsc, watch};
use tokio_util::codec::{Framed, LinesCodec};
use tracing::{debug, error, info, info_span, warn, Instrument};

/// Maximum line length accepted from a client.
pub const MAX_LINE: usize = 8 * 1024;

#[derive(Debug, Clone, Deserialize)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    #[serde(with = "humantime_serde", default = "default_grace")]
    pub shutdown_grace: Duration,
    #[serde(default = "default_outbox")]
    pub outbox: usize,
}

fn default_grace() -> Duration {
    Duration::from_secs(10)
}

fn default_outbox() -> usize {
    64
}

#[derive(Debug, Error)]
pub enum ServerError {
    #[error("failed to bind {addr}: {source}")]
    Bind { addr: SocketAddr, source: io::Error },
    #[error("codec: {0}")]
    Codec(#[from] tokio_util::codec::LinesCodecError),
    #[error("peer {0} sent an unknown command")]
    UnknownCommand(SocketAddr),
}

#[derive(Debug)]
enum Command<'a> {
    Join(&'a str),
    Say(&'a str, &'a str),
    Quit,
}

impl<'a> Command<'a> {
    fn parse(line: &'a str) -> Option<Self> {
        let mut parts = line.splitn(3, ' ');
        match parts.next()? {
            "JOIN" => Some(Command::Join(parts.next()?)),
            "SAY" => Some(Command::Say(parts.next()?, parts.next()?)),
            "QUIT" => Some(Command::Quit),
            _ => None,
        }
    }
}

type Outbox = mpsc::Sender<Bytes>;

/// Shared server state. All access is short and synchronous.
#[derive(Default)]
pub struct State {
    rooms: Mutex<HashMap<String, Vec<(SocketAddr, Outbox)>>>,
    peers: Mutex<HashMap<SocketAddr, String>>,
}

impl State {
    fn join(&self, room: &str, addr: SocketAddr, outbox: Outbox) {
        let mut rooms = self.rooms.lock().unwrap();
        rooms.entry(room.to_owned()).or_default().push((addr, outbox));
        self.peers.lock().unwrap().insert(addr, room.to_owned());
    }

    fn leave(&self, addr: SocketAddr) {
        let room = self.peers.lock().unwrap().remove(&addr);
        if let Some(room) = room {
            if let Some(members) = self.rooms.lock().unwrap().get_mut(&room) {
                members.retain(|(a, _)| *a != addr);
            }
        }
    }

    fn subscribers(&self, room: &str) -> Vec<Outbox> {
        self.rooms
            .lock()
            .unwrap()
            .get(room)
            .map(|m| m.iter().map(|(_, o)| o.clone()).collect())
            .unwrap_or_default()
    }
}

/// Binds and runs until `shutdown` flips to `true`, then waits up to the
/// configured grace period for connections to finish.
pub async fn serve(config: ServerConfig, mut shutdown: watch::Receiver<bool>) -> Result<(), ServerError> {
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServerError::Bind { addr: config.listen, source })?;
    info!(addr = %config.listen, "listening");

    let state = Arc::new(State::default());
    let (closing_tx, _) = broadcast::channel::<()>(1);
    let (done_tx, mut done_rx) = mpsc::channel::<()>(1);

    tokio::select! {
        res = accept_loop(&listener, &state, &closing_tx, &done_tx, config.outbox) => {
            if let Err(e) = res {
                error!(error = %e, "accept loop failed");
            }
        }
        _ = shutdown.changed() => {}
    }

    info!("shutting down, waiting for connections");
    drop(closing_tx);
    drop(done_tx);
    if tokio::time::timeout(config.shutdown_grace, done_rx.recv()).await.is_err() {
        warn!("grace period elapsed with connections still open");
    }
    Ok(())
}

async fn accept_loop(
    listener: &TcpListener,
    state: &Arc<State>,
    closing: &broadcast::Sender<()>,
    done: &mpsc::Sender<()>,
    outbox: usize,
) -> io::Result<()> {
    loop {
        let (socket, peer) = match listener.accept().await {
            Ok(pair) => pair,
            Err(e) if is_transient(&e) => {
                warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
            Err(e) => return Err(e),
        };
        let conn = Connection {
            state: state.clone(),
            closing: closing.subscribe(),
            _done: done.clone(),
            outbox,
        };
        tokio::spawn(conn.run(socket, peer).instrument(info_span!("conn", %peer)));
    }
}

fn is_transient(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset | io::ErrorKind::Interrupted
    )
}

/// Simpler variant used by the admin port: one task per connection, no
/// shutdown tracking.
pub async fn serve_admin(listener: TcpListener, state: Arc<State>) -> io::Result<()> {
    loop {
        let (socket, peer) = listener.accept().await?;
        tokio::spawn(handle_admin(socket, peer, state.clone())); //~ detached_task
    }
}

async fn handle_admin(socket: TcpStream, peer: SocketAddr, state: Arc<State>) -> Result<(), ServerError> {
    let mut framed = Framed::new(socket, LinesCodec::new_with_max_length(MAX_LINE));
    while let Some(line) = framed.next().await {
        let line = line?;
        match line.trim() {
            "peers" => {
                let peers = state.peers.lock().unwrap(); //~ lock_across_await
                for (addr, room) in peers.iter() {
                    framed.send(format!("{addr} {room}")).await?;
                }
            }
            "rooms" => {
                let names: Vec<String> = state.rooms.lock().unwrap().keys().cloned().collect();
                framed.send(names.join(",")).await?;
            }
            _ => return Err(ServerError::UnknownCommand(peer)),
        }
    }
    Ok(())
}

struct Connection {
    state: Arc<State>,
    closing: broadcast::Receiver<()>,
    _done: mpsc::Sender<()>,
    outbox: usize,
}

impl Connection {
    async fn run(mut self, socket: TcpStream, peer: SocketAddr) {
        let (out_tx, mut out_rx) = mpsc::channel::<Bytes>(self.outbox);
        let mut framed = Framed::new(socket, LinesCodec::new_with_max_length(MAX_LINE));
        loop {
            tokio::select! {
                _ = self.closing.recv() => break,
                Some(msg) = out_rx.recv() => {
                    let text = String::from_utf8_lossy(&msg).into_owned();
                    if framed.send(text).await.is_err() {
                        break;
                    }
                }
                line = framed.next() => match line {
                    Some(Ok(line)) => {
                        if !self.handle_line(&line, peer, &out_tx).await {
                            break;
                        }
                    }
                    Some(Err(e)) => {
                        debug!(error = %e, "codec error");
                        break;
                    }
                    None => break,
                },
            }
        }
        self.state.leave(peer);
        debug!("connection closed");
    }

    async fn handle_line(&self, line: &str, peer: SocketAddr, out_tx: &Outbox) -> bool {
        match Command::parse(line) {
            Some(Command::Join(room)) => {
                self.state.join(room, peer, out_tx.clone());
                true
            }
            Some(Command::Say(room, text)) => {
                let msg = Bytes::from(format!("{peer}: {text}"));
                for outbox in self.state.subscribers(room) {
                    let msg = msg.clone();
                    tokio::spawn(async move { //~ unbounded_spawn
                        if outbox.send(msg).await.is_err() {
                            debug!("subscriber went away");
                        }
                    });
                }
                true
            }
            Some(Command::Quit) => false,
            None => {
                error!(%line, "unparseable command");
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands() {
        assert!(matches!(Command::parse("JOIN lobby"), Some(Command::Join("lobby"))));
        assert!(matches!(Command::parse("SAY lobby hi there"), Some(Command::Say("lobby", "hi there"))));
        assert!(Command::parse("NOPE").is_none());
    }

    #[test]
    fn leave_removes_from_room() {
        let state = State::default();
        let (tx, _rx) = mpsc::channel(1);
        let addr: SocketAddr = "127.0.0.1:9".parse().unwrap();
        state.join("a", addr, tx);
        assert_eq!(state.subscribers("a").len(), 1);
        state.leave(addr);
        assert!(state.subscribers("a").is_empty());
    }

    #[tokio::test]
    async fn shutdown_stops_accepting() {
        let (tx, rx) = watch::channel(false);
        let cfg = ServerConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            shutdown_grace: Duration::from_millis(10),
            outbox: 4,
        };
        let server = tokio::spawn(serve(cfg, rx));
        tx.send(true).unwrap();
        server.await.unwrap().unwrap();
    }
}
