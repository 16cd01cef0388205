mod admin;
mod conn;
mod hub;
mod listener;
mod peers;
mod protocol;

use std::sync::Arc;

use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let relay_addr = args.next().unwrap_or_else(|| "0.0.0.0:7000".into());
    let ws_addr = args.next().unwrap_or_else(|| "0.0.0.0:7001".into());
    let admin_addr = args.next().unwrap_or_else(|| "127.0.0.1:7002".into());

    let hub = Arc::new(hub::Hub::new());
    let _forward = peers::start_forwarders(hub.clone());
    let known: Vec<String> = std::env::var("RELAY_PEERS").unwrap_or_default().split(',').map(str::to_owned).collect();
    peers::announce(known, hub.clone()).await;
    let relay = TcpListener::bind(&relay_addr).await?;
    let ws = TcpListener::bind(&ws_addr).await?;
    let admin = TcpListener::bind(&admin_addr).await?;

    tokio::try_join!(
        listener::run_relay(relay, hub.clone()),
        listener::run_websocket(ws, hub.clone()),
        listener::run_admin(admin, hub.clone()),
    )?;
    Ok(())
}
