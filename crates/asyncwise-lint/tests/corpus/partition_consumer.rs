//! Consumer group member for the event log: one task per assigned
//! partition, offsets committed in batches.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use futures::executor::block_on;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::{debug, error, info};

use crate::broker::{BrokerClient, Record, TopicPartition};

pub type Result<T> = std::result::Result<T, ConsumerError>;

#[derive(Debug, thiserror::Error)]
pub enum ConsumerError {
    #[error("broker: {0}")]
    Broker(String),
    #[error("handler: {0}")]
    Handler(String),
}

pub struct Offsets {
    committed: RwLock<HashMap<TopicPartition, i64>>,
    pending: RwLock<HashMap<TopicPartition, i64>>,
}

impl Offsets {
    pub fn new() -> Self {
        Offsets { committed: RwLock::new(HashMap::new()), pending: RwLock::new(HashMap::new()) }
    }

    pub fn mark(&self, tp: &TopicPartition, offset: i64) {
        self.pending.write().unwrap().insert(tp.clone(), offset);
    }

    pub async fn commit(&self, client: &BrokerClient) -> Result<usize> {
        let batch: Vec<(TopicPartition, i64)> = {
            let mut pending = self.pending.write().unwrap();
            pending.drain().collect()
        };
        if batch.is_empty() {
            return Ok(0);
        }
        client.commit_offsets(&batch).await.map_err(|e| ConsumerError::Broker(e.to_string()))?;
        let mut committed = self.committed.write().unwrap();
        for (tp, off) in &batch {
            committed.insert(tp.clone(), *off);
        }
        Ok(batch.len())
    }

    pub async fn lag(&self, client: &BrokerClient) -> HashMap<TopicPartition, i64> {
        let committed = self.committed.read().unwrap(); //~ lock_across_await
        let mut out = HashMap::new();
        for (tp, off) in committed.iter() {
            let end = client.high_watermark(tp).await.unwrap_or(*off);
            out.insert(tp.clone(), end - off);
        }
        out
    }
}

pub struct Consumer {
    client: BrokerClient,
    offsets: Arc<Offsets>,
    group: String,
}

async fn consume_partition(
    client: BrokerClient,
    tp: TopicPartition,
    offsets: Arc<Offsets>,
    mut stop: watch::Receiver<bool>,
) -> Result<()> {
    let mut position = client.fetch_committed(&tp).await.map_err(|e| ConsumerError::Broker(e.to_string()))?;
    while !*stop.borrow() {
        let records = client.fetch(&tp, position, 500).await.map_err(|e| ConsumerError::Broker(e.to_string()))?;
        for record in &records {
            handle_record(record).await?;
            position = record.offset + 1;
        }
        offsets.mark(&tp, position);
        if records.is_empty() {
            tokio::select! {
                _ = stop.changed() => {}
                _ = tokio::time::sleep(Duration::from_millis(200)) => {}
            }
        }
    }
    Ok(())
}

async fn handle_record(record: &Record) -> Result<()> {
    let payload = std::str::from_utf8(&record.value).map_err(|e| ConsumerError::Handler(e.to_string()))?;
    debug!(offset = record.offset, "{payload}");
    Ok(())
}

impl Consumer {
    pub async fn run(&self, stop: watch::Receiver<bool>) -> Result<()> {
        let assignment = self.client.join_group(&self.group).await.map_err(|e| ConsumerError::Broker(e.to_string()))?;
        info!("assigned {} partitions", assignment.len());
        for tp in assignment {
            tokio::spawn(consume_partition(self.client.clone(), tp, self.offsets.clone(), stop.clone())); //~ unbounded_spawn, detached_task
        }
        let (events_tx, events_rx) = flume::unbounded(); //~ unbounded_channel
        self.client.subscribe_rebalance(events_tx);
        let offsets = self.offsets.clone();
        let client = self.client.clone();
        let committer = tokio::spawn(async move {
            let mut last = Instant::now();
            while let Ok(event) = events_rx.recv_async().await {
                if last.elapsed() > Duration::from_secs(5) {
                    match offsets.commit(&client).await {
                        Ok(n) => debug!("committed {n} offsets after {event:?}"),
                        Err(e) => error!("commit failed: {e}"),
                    }
                    last = Instant::now();
                }
            }
        });
        committer.await.map_err(|e| ConsumerError::Handler(e.to_string()))
    }

    /// Replays a list of partitions from the beginning, at most 4 at a time.
    pub async fn replay(&self, partitions: Vec<TopicPartition>) -> Vec<Result<()>> {
        let mut set = JoinSet::new();
        let mut results = Vec::new();
        for tp in partitions {
            while set.len() >= 4 {
                if let Some(res) = set.join_next().await {
                    results.push(res.unwrap_or_else(|e| Err(ConsumerError::Handler(e.to_string()))));
                }
            }
            let (_tx, rx) = watch::channel(false);
            set.spawn(consume_partition(self.client.clone(), tp, self.offsets.clone(), rx));
        }
        while let Some(res) = set.join_next().await {
            results.push(res.unwrap_or_else(|e| Err(ConsumerError::Handler(e.to_string()))));
        }
        results
    }

    pub async fn shutdown(&self) {
        let committed = block_on(self.offsets.commit(&self.client)); //~ block_on_in_async
        if let Err(e) = committed {
            error!("final commit failed: {e}");
        }
    }
}
