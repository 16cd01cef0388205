mod collector;
mod shipper;
mod state;

use std::path::Path;
use std::sync::Arc;

use async_std::net::TcpListener;
use telemetry_core::spool::Spool;

#[async_std::main]
async fn main() -> std::io::Result<()> {
    let spool_path = std::env::var("SPOOL").unwrap_or_else(|_| "/var/spool/telemetry.jsonl".into());
    let spool = Spool::open(Path::new(&spool_path))?; // @helper //~ blocking_in_async(pedantic)
    let agent = Arc::new(state::Agent::new(spool));

    let shipper = agent.clone();
    async_std::task::spawn(async move {
        shipper::ship_forever(shipper).await;
    });

    let listener = TcpListener::bind("0.0.0.0:8125").await?;
    collector::accept_clients(listener, agent).await
}
