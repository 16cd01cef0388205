use std::sync::Arc;

use arena_ws::{lobby::Lobby, net};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let lobby = Arc::new(Lobby::new());
    let matchmaker = lobby.clone();
    tokio::spawn(async move { //~ detached_task
        matchmaker.run_matchmaker().await?;
        Ok::<_, anyhow::Error>(())
    });

    let spectators = TcpListener::bind("0.0.0.0:9101").await?;
    let replay_lobby = lobby.clone();
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = spectators.accept().await else { continue };
            net::register_spectator(sock, &replay_lobby).await; //~ inline_accept_loop(pedantic)
        }
    });

    let native = TcpListener::bind("0.0.0.0:9102").await?;
    let native_lobby = lobby.clone();
    tokio::spawn(async move {
        while let Ok((sock, peer)) = native.accept().await {
            let lobby = native_lobby.clone();
            tokio::spawn(async move {
                if let Err(e) = net::native_client(sock, lobby).await {
                    tracing::debug!(%peer, error = %e, "native client left");
                }
            });
        }
    });

    let listener = TcpListener::bind("0.0.0.0:9100").await?;
    loop {
        let (stream, peer) = listener.accept().await?;
        let lobby = lobby.clone();
        tokio::spawn(async move {
            if let Err(e) = net::handle_connection(stream, lobby).await {
                tracing::debug!(%peer, error = %e, "player left");
            }
        });
    }
}
