//! The agent's main loop.

mod collector;
mod parse;
mod sink;
mod spool;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::UdpSocket;

pub use collector::Collector;
pub use parse::Sample;

#[derive(Debug, Clone)]
pub struct AgentConfig {
    pub listen: String,
    pub sink_url: String,
    pub spool_dir: PathBuf,
    pub flush_every: Duration,
    pub batch_size: usize,
}

pub async fn run(cfg: AgentConfig) -> anyhow::Result<()> {
    let socket = UdpSocket::bind(&cfg.listen).await?;
    let collector = Arc::new(Collector::new(&cfg)); // @helper
    let replayed = collector.requeue_spooled()?; // @helper //~ blocking_in_async
    tracing::info!(replayed, "spooled samples requeued");

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Sample>(); //~ unbounded_channel
    let recorder = collector.clone();
    let writer = tokio::spawn(async move {
        while let Some(sample) = rx.recv().await {
            if let Err(e) = recorder.record(sample).await {
                tracing::warn!(error = %e, "record failed");
            }
        }
    });

    let mut ticker = tokio::time::interval(cfg.flush_every);
    let mut buf = vec![0u8; 1500];
    loop {
        tokio::select! {
            received = socket.recv_from(&mut buf) => {
                let (n, _peer) = received?;
                for sample in parse::parse_datagram(&buf[..n]) { // @helper
                    let _ = tx.send(sample);
                }
            }
            _ = ticker.tick() => {
                let flusher = collector.clone();
                tokio::spawn(async move { flusher.flush().await }); //~ unbounded_spawn, detached_task
            }
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    drop(tx);
    writer.await?;
    collector.flush().await
}
