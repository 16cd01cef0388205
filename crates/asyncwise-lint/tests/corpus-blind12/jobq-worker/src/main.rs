use std::sync::Arc;
use std::time::Duration;

use jobq_worker::broker::Broker;
use jobq_worker::consumer::{self, Worker};
use jobq_worker::handlers::Registry;
use jobq_worker::store::CheckpointStore;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("AMQP_URL").unwrap_or_else(|_| "amqp://localhost:5672".into());
    let broker = consumer::connect_until_up(&url).await;
    let store = CheckpointStore::new("/var/lib/jobq/checkpoint");
    let worker = Arc::new(Worker::new(Registry::standard(), store, Duration::from_secs(60))); // @helper //~? blocking_in_async

    let (tx, rx) = tokio::sync::mpsc::channel(1024);
    let feeder = broker.clone();
    tokio::spawn(async move { //~ detached_task(pedantic)
        feeder.pump_into(tx).await.expect("broker feed ended");
    });

    tokio::spawn(consumer::sweep_dead_letters(broker.clone(), worker.clone()));

    tokio::select! {
        _ = consumer::run(worker.clone(), rx) => {}
        _ = tokio::signal::ctrl_c() => tracing::info!("shutting down"),
    }
    Ok(())
}
