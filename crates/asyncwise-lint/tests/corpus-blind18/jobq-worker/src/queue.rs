use std::time::Duration;

use futures::stream::BoxStream;
use futures::StreamExt;
use redis::aio::MultiplexedConnection;
use redis::AsyncCommands;

use crate::jobs::Job;

const STREAM: &str = "jobs";
const RETRY_LIST: &str = "jobs:retry";
const GROUP: &str = "workers";

pub struct Queue {
    conn: MultiplexedConnection,
    client: redis::Client,
}

impl Queue {
    pub async fn connect(url: &str) -> anyhow::Result<Queue> {
        let client = redis::Client::open(url)?;
        let conn = client.get_multiplexed_tokio_connection().await?;
        Ok(Queue { conn, client })
    }

    /// New jobs as they are published.
    pub async fn subscribe(&self) -> anyhow::Result<BoxStream<'static, Job>> {
        let mut pubsub = self.client.get_async_pubsub().await?;
        pubsub.subscribe(STREAM).await?;
        Ok(pubsub
            .into_on_message()
            .filter_map(|m| async move { serde_json::from_slice(m.get_payload_bytes()).ok() })
            .boxed())
    }

    /// Acknowledges a job, trying until the server takes it.
    pub async fn ack(&self, id: &str) -> anyhow::Result<()> {
        loop {
            match self.conn.clone().xack::<_, _, _, i64>(STREAM, GROUP, &[id]).await { //~ retry_without_backoff
                Ok(_) => return Ok(()),
                Err(e) => tracing::warn!(%id, "ack failed, retrying: {e}"),
            }
        }
    }

    /// Moves a failed job to the retry list, waiting longer after each refusal.
    pub async fn push_retry(&self, job: &Job) -> anyhow::Result<()> {
        let payload = serde_json::to_string(job)?;
        let mut delay = Duration::from_millis(50);
        loop {
            match self.conn.clone().rpush::<_, _, ()>(RETRY_LIST, &payload).await {
                Ok(()) => return Ok(()),
                Err(e) => {
                    tracing::warn!("retry push failed: {e}");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
            }
        }
    }

    /// Takes the next job of the retry list, giving up after a few refusals.
    pub async fn pop_retry(&self) -> anyhow::Result<Option<Job>> {
        let mut attempts = 0;
        loop {
            match self.conn.clone().lpop::<_, Option<String>>(RETRY_LIST, None).await {
                Ok(Some(raw)) => return Ok(Some(serde_json::from_str(&raw)?)),
                Ok(None) => return Ok(None),
                Err(e) => {
                    attempts += 1;
                    if attempts >= 3 {
                        return Err(e.into());
                    }
                }
            }
        }
    }

    async fn pending_older_than(&self, age: Duration) -> redis::RedisResult<Vec<String>> {
        let ids: Vec<String> = self
            .conn
            .clone()
            .zrangebyscore(format!("{STREAM}:pending"), 0, age.as_secs())
            .await?;
        Ok(ids)
    }

    async fn requeue_all(&self, ids: Vec<String>) {
        let mut conn = self.conn.clone();
        let _: redis::RedisResult<()> = conn.rpush(RETRY_LIST, ids).await;
    }

    /// Every 30 s, hands jobs that a dead worker left pending back to the queue.
    pub async fn reclaim_stale(&self) {
        loop {
            let stale = match self.pending_older_than(Duration::from_secs(300)).await { //~ retry_without_backoff
                Ok(ids) => ids,
                Err(e) => {
                    tracing::warn!("pending scan failed: {e}");
                    continue;
                }
            };
            if !stale.is_empty() {
                self.requeue_all(stale).await;
            }
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
    }
}
