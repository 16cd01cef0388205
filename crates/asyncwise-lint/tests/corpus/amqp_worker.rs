//! AMQP job worker: consumes jobs from RabbitMQ, executes them and stores
//! the outcome. Also runs a single-threaded counters reporter on a LocalSet.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use futures::StreamExt;
use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicQosOptions};
use lapin::types::FieldTable;
use lapin::{Channel, Connection, ConnectionProperties};
use tokio::runtime::Handle;
use tokio::sync::Semaphore;
use tokio::task::LocalSet;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use crate::jobs::Job;
use crate::storage::ResultStore;

type Counters = Rc<RefCell<HashMap<String, u64>>>;

async fn handle_delivery(store: Arc<ResultStore>, delivery: Delivery) -> Result<()> {
    let job: Job = serde_json::from_slice(&delivery.data).context("decoding job")?;
    let outcome = job.execute().await?;
    store.save(&outcome).await?;
    delivery.ack(BasicAckOptions::default()).await?;
    Ok(())
}

pub struct WorkerPool {
    conn: Connection,
    channel: Channel,
    store: Arc<ResultStore>,
    prefetch: u16,
    permits: Arc<Semaphore>,
}

impl WorkerPool {
    pub async fn connect(addr: &str, store: Arc<ResultStore>, prefetch: u16) -> Result<Self> {
        let conn = Connection::connect(addr, ConnectionProperties::default())
            .await
            .context("connecting to broker")?;
        let channel = conn.create_channel().await?;
        channel.basic_qos(prefetch, BasicQosOptions::default()).await?;
        Ok(Self {
            conn,
            channel,
            store,
            prefetch,
            permits: Arc::new(Semaphore::new(prefetch as usize)),
        })
    }

    pub async fn consume(&self, queue: &str, token: CancellationToken) -> Result<()> {
        let mut consumer = self
            .channel
            .basic_consume(queue, "worker", BasicConsumeOptions::default(), FieldTable::default())
            .await?;
        while let Some(delivery) = consumer.next().await {
            if token.is_cancelled() {
                break;
            }
            let delivery = delivery.context("consumer stream error")?;
            let permit = Arc::clone(&self.permits).acquire_owned().await?;
            let store = Arc::clone(&self.store);
            tokio::spawn(async move { //~ detached_task
                let _permit = permit;
                let tag = delivery.delivery_tag;
                handle_delivery(store, delivery).await.with_context(|| format!("job {tag}"))?;
                Ok::<(), anyhow::Error>(())
            });
        }
        info!(queue, "consumer stopped");
        Ok(())
    }

    pub async fn consume_one(&self, queue: &str) -> Result<()> {
        let mut consumer = self
            .channel
            .basic_consume(queue, "one-shot", BasicConsumeOptions::default(), FieldTable::default())
            .await?;
        if let Some(delivery) = consumer.next().await {
            let store = Arc::clone(&self.store);
            tokio::spawn(handle_delivery(store, delivery?)); //~ detached_task
        }
        Ok(())
    }

    pub async fn consume_concurrent(&self, queue: &str) -> Result<()> {
        let consumer = self
            .channel
            .basic_consume(queue, "bulk", BasicConsumeOptions::default(), FieldTable::default())
            .await?;
        consumer
            .for_each_concurrent(self.prefetch as usize, |delivery| {
                let store = Arc::clone(&self.store);
                async move {
                    match delivery {
                        Ok(d) => {
                            if let Err(e) = handle_delivery(store, d).await {
                                error!(error = %e, "job failed");
                            }
                        }
                        Err(e) => warn!(error = %e, "delivery error"),
                    }
                }
            })
            .await;
        Ok(())
    }

    pub async fn shutdown(self) -> Result<()> {
        let pending = futures::executor::block_on(self.store.flush_pending()); //~ block_on_in_async
        info!(?pending, "flushed pending results");
        self.channel.close(200, "shutdown").await?;
        self.conn.close(200, "shutdown").await?;
        Ok(())
    }
}

impl Drop for WorkerPool {
    fn drop(&mut self) {
        let conn = self.conn.clone();
        match Handle::try_current() {
            Ok(handle) => {
                handle.spawn(async move {
                    if let Err(e) = conn.close(200, "dropped").await {
                        warn!(error = %e, "close on drop failed");
                    }
                });
            }
            Err(_) => {
                let _ = futures::executor::block_on(self.channel.close(200, "dropped"));
            }
        }
    }
}

pub async fn run_local_reporter(
    counters: Rc<RefCell<HashMap<String, u64>>>,
    store: Arc<ResultStore>,
    token: CancellationToken,
) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(10)) => {}
            _ = token.cancelled() => break,
        }
        let snapshot = counters.borrow().clone();
        if let Err(e) = store.save_counters(&snapshot).await {
            warn!(error = %e, "saving counters failed");
            continue;
        }
        let mut current = counters.borrow_mut(); //~ lock_across_await
        for v in current.values_mut() {
            *v = 0;
        }
        store.mark_flushed().await;
    }
}

pub async fn run_local(store: Arc<ResultStore>, token: CancellationToken) -> Result<()> {
    let local = LocalSet::new();
    local
        .run_until(async move {
            let counters: Counters = Rc::new(RefCell::new(HashMap::new()));
            let pending = Rc::clone(&counters);
            let store2 = Arc::clone(&store);
            tokio::task::spawn_local(async move { //~ detached_task
                let n = store2.count_pending().await.unwrap();
                pending.borrow_mut().insert("pending".to_owned(), n);
            });
            run_local_reporter(counters, store, token).await;
        })
        .await;
    Ok(())
}
