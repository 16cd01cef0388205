use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use ingest_core::{Batcher, Spool, decode};
use rdkafka::Message;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};

use crate::sink::Sink;

pub async fn run_partition(
    consumer: Arc<StreamConsumer>,
    partition: i32,
    mut spool: Spool,
    sink: Sink,
) -> anyhow::Result<()> {
    let mut batcher = Batcher::new(500);
    let mut flush_every = tokio::time::interval(Duration::from_secs(2));
    let mut stream = consumer.stream();
    loop {
        tokio::select! {
            next = stream.next() => {
                let Some(msg) = next else { break };
                let msg = msg?;
                let Some(payload) = msg.payload() else { continue };
                spool.append(payload)?; // @helper //~ blocking_in_async
                let event = match decode(payload) { // @helper
                    Ok(event) => event,
                    Err(e) => {
                        tracing::warn!(partition, error = %e, "undecodable record skipped");
                        continue;
                    }
                };
                if batcher.push(event) {
                    sink.write_batch(batcher.take()).await?;
                    consumer.commit_consumer_state(CommitMode::Async)?;
                }
            }
            _ = flush_every.tick() => {
                if !batcher.is_empty() {
                    sink.write_with_backoff(batcher.take()).await?;
                    consumer.commit_consumer_state(CommitMode::Async)?;
                }
            }
        }
    }
    Ok(())
}
