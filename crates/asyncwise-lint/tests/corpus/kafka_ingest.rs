//! Kafka ingestion: consumes the `events` topic and routes each message to
//! the registered handlers. Failed messages go to a dead-letter topic.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use futures::channel::mpsc as fmpsc;
use futures::StreamExt;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::{BorrowedMessage, Message, OwnedMessage};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::ClientConfig;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, info_span, warn, Instrument};

use crate::handlers::EventRouter;
use crate::settings::KafkaSettings;

pub struct IngestConsumer {
    consumer: Arc<StreamConsumer>,
    router: Arc<EventRouter>,
    settings: KafkaSettings,
    dead_letters: fmpsc::UnboundedSender<OwnedMessage>,
}

impl IngestConsumer {
    pub fn new(
        settings: KafkaSettings,
        router: Arc<EventRouter>,
    ) -> Result<(Self, fmpsc::UnboundedReceiver<OwnedMessage>)> {
        let consumer: StreamConsumer = ClientConfig::new()
            .set("group.id", &settings.group_id)
            .set("bootstrap.servers", &settings.brokers)
            .set("enable.auto.commit", "false")
            .set("session.timeout.ms", "6000")
            .create()
            .context("creating kafka consumer")?;
        consumer
            .subscribe(&[settings.topic.as_str()])
            .with_context(|| format!("subscribing to {}", settings.topic))?;

        let (dlq_tx, dlq_rx) = fmpsc::unbounded(); //~ unbounded_channel
        let this = Self {
            consumer: Arc::new(consumer),
            router,
            settings,
            dead_letters: dlq_tx,
        };
        Ok((this, dlq_rx))
    }

    /// Fire-and-forget mode used by the low-latency deployment.
    pub async fn run(&self, token: CancellationToken) -> Result<()> {
        let mut stream = self.consumer.stream();
        loop {
            let msg = tokio::select! {
                _ = token.cancelled() => break,
                next = stream.next() => match next {
                    Some(Ok(m)) => m,
                    Some(Err(e)) => {
                        warn!(error = %e, "kafka error");
                        continue;
                    }
                    None => break,
                },
            };
            let owned = msg.detach();
            let router = Arc::clone(&self.router);
            let dlq = self.dead_letters.clone();
            let span = info_span!("dispatch", offset = owned.offset());
            tokio::spawn( //~ unbounded_spawn
                async move {
                    if let Err(e) = router.dispatch(&owned).await {
                        error!(error = %e, "dispatch failed, routing to DLQ");
                        let _ = dlq.unbounded_send(owned);
                    }
                }
                .instrument(span),
            );
            self.commit_with_retry(&msg).await?;
        }
        info!("consumer loop finished");
        Ok(())
    }

    /// Bounded mode: at most `max_in_flight` dispatches at a time.
    pub async fn run_bounded(&self, token: CancellationToken) -> Result<()> {
        let permits = Arc::new(Semaphore::new(self.settings.max_in_flight));
        let mut stream = self.consumer.stream();
        while let Some(next) = stream.next().await {
            if token.is_cancelled() {
                break;
            }
            let msg = match next {
                Ok(m) => m.detach(),
                Err(e) => {
                    warn!(error = %e, "kafka error");
                    continue;
                }
            };
            let permit = Arc::clone(&permits).acquire_owned().await?;
            let router = Arc::clone(&self.router);
            tokio::spawn(async move { //~ detached_task
                let _permit = permit;
                router
                    .dispatch(&msg)
                    .await
                    .expect("dispatch is infallible in bounded mode");
            });
        }
        Ok(())
    }

    async fn commit_with_retry(&self, msg: &BorrowedMessage<'_>) -> Result<()> {
        let mut attempt: u64 = 0;
        loop {
            match self.consumer.commit_message(msg, CommitMode::Async) {
                Ok(()) => return Ok(()),
                Err(e) if attempt < 5 => {
                    attempt += 1;
                    warn!(attempt, error = %e, "commit failed, retrying");
                    std::thread::sleep(Duration::from_millis(100 * attempt)); //~ blocking_in_async
                }
                Err(e) => return Err(e).context("commit failed after retries"),
            }
        }
    }

    pub async fn pause_for(&self, d: Duration) {
        debug!(?d, "pausing consumption");
        tokio::time::sleep(d).await;
    }
}

pub async fn run_dead_letter_publisher(
    mut rx: fmpsc::UnboundedReceiver<OwnedMessage>,
    producer: FutureProducer,
    topic: String,
) {
    while let Some(msg) = rx.next().await {
        let key = msg.key().map(|k| k.to_vec()).unwrap_or_default();
        let payload = msg.payload().map(|p| p.to_vec()).unwrap_or_default();
        let record = FutureRecord::to(&topic).key(&key).payload(&payload);
        if let Err((e, _)) = producer.send(record, Duration::from_secs(5)).await {
            error!(error = %e, "dead letter publish failed");
        }
    }
    info!("dead letter channel closed");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn dead_letters_are_drained_in_order() {
        let (tx, mut rx) = futures::channel::mpsc::unbounded::<u32>(); //~ unbounded_channel
        let producer = tokio::spawn(async move {
            for i in 0..3u32 {
                tx.unbounded_send(i).unwrap();
            }
        });
        producer.await.unwrap();
        let got: Vec<u32> = rx.by_ref().take(3).collect().await;
        assert_eq!(got, vec![0, 1, 2]);
    }

    #[tokio::test]
    async fn bounded_channel_applies_backpressure() {
        let (mut tx, _rx) = futures::channel::mpsc::channel::<u32>(1);
        assert!(tx.try_send(1).is_ok());
    }
}
