mod consumer;
mod sink;

use std::path::Path;
use std::sync::Arc;

use ingest_core::Spool;
use rdkafka::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use tokio::sync::mpsc;

use crate::sink::Sink;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let brokers = std::env::var("KAFKA_BROKERS")?;
    let topic = std::env::var("INGEST_TOPIC").unwrap_or_else(|_| "events".into());
    let spool_dir = std::env::var("SPOOL_DIR").unwrap_or_else(|_| "/var/lib/ingest".into());

    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .set("group.id", "ingest")
        .set("enable.auto.commit", "false")
        .create()?;
    consumer.subscribe(&[&topic])?;
    let consumer = Arc::new(consumer);

    let (pg, conn) = tokio_postgres::connect(&std::env::var("DATABASE_URL")?, tokio_postgres::NoTls).await?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::error!(error = %e, "postgres connection ended");
        }
    });
    let sink = Sink::new(pg);

    let (stop_tx, mut stop_rx) = mpsc::unbounded_channel::<()>(); //~ unbounded_channel(pedantic)
    let metadata = consumer.fetch_metadata(Some(&topic), std::time::Duration::from_secs(10))?; //~? blocking_in_async
    let partitions: Vec<i32> = metadata.topics()[0].partitions().iter().map(|p| p.id()).collect();
    for partition in partitions {
        let spool = Spool::open(&Path::new(&spool_dir).join(partition.to_string()))?; // @helper //~ blocking_in_async(pedantic)
        tokio::spawn(consumer::run_partition(consumer.clone(), partition, spool, sink.clone())); //~ unbounded_spawn, detached_task
    }

    tokio::spawn(async move {
        tokio::signal::ctrl_c().await.ok();
        let _ = stop_tx.send(());
    });
    let _ = stop_rx.recv().await;
    tracing::info!(pending = sink.pending(), "stopping");
    Ok(())
}
