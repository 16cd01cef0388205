// Readings: the accepted connection handed to an `async fn` of the crate that has no await
// point (and calls no macro that may hide one) is not served inline: awaiting it runs it to
// its end at once, like a plain call, and the loop goes straight back to `accept` (such a
// handler typically looks the peer up and spawns the work). A handler that awaits anything,
// here or in another file, still serves the connection inline.
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};

pub struct Proxy {
    routes: std::collections::HashMap<std::net::SocketAddr, String>,
}

impl Proxy {
    // Looks up the route and spawns the relay: no await.
    async fn handle_accept(self: Arc<Self>, stream: TcpStream, peer: std::net::SocketAddr) {
        let Some(route) = self.routes.get(&peer).cloned() else {
            tracing::warn!("unknown peer");
            return;
        };
        tokio::spawn(relay(stream, route));
    }

    // Reads a greeting first: suspends.
    async fn greet_then_relay(self: Arc<Self>, mut stream: TcpStream) {
        use tokio::io::AsyncReadExt;
        let mut hello = [0u8; 4];
        let _ = stream.read_exact(&mut hello).await;
        tokio::spawn(relay(stream, String::new()));
    }

    pub async fn serve(self: Arc<Self>, listener: TcpListener) {
        loop {
            let Ok((stream, peer)) = listener.accept().await else {
                continue;
            };
            self.clone().handle_accept(stream, peer).await; //~ inline_accept_loop(pedantic)
        }
    }

    pub async fn serve_greeting(self: Arc<Self>, listener: TcpListener) {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            self.clone().greet_then_relay(stream).await; //~ inline_accept_loop
        }
    }
}

async fn relay(stream: TcpStream, _route: String) {
    let _ = stream.readable().await;
}

// A free handler whose only work is a log line and a spawn.
async fn register(stream: TcpStream) {
    tracing::info!("accepted");
    tokio::spawn(relay(stream, String::new()));
}

// A handler that only calls a macro that may await (a `select!`).
async fn race(stream: TcpStream, stop: tokio::sync::oneshot::Receiver<()>) {
    tokio::select! {
        _ = stream.readable() => {}
        _ = stop => {}
    }
}

pub async fn serve_free(listener: TcpListener) {
    while let Ok((stream, _)) = listener.accept().await {
        register(stream).await; // ok: never suspends
    }
}

pub async fn serve_race(listener: TcpListener) {
    while let Ok((stream, _)) = listener.accept().await {
        let (_tx, stop) = tokio::sync::oneshot::channel();
        race(stream, stop).await; //~ inline_accept_loop
    }
}
