//! Supervisor for the ingest shards: starts one task per shard, restarts
//! them on failure and coordinates a synchronized snapshot.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use async_channel::{Receiver, Sender};
use tokio::runtime::Handle;
use tokio::sync::{oneshot, Barrier as AsyncBarrier};
use tokio::task::JoinHandle;
use tracing::{error, info, warn};

use crate::ingest::{Shard, ShardConfig, ShardError};

const CONTROL_SHARDS: usize = 2;

pub struct SupervisorConfig {
    pub shards: usize,
    pub restart_delay: Duration,
    pub shard: ShardConfig,
}

pub enum Control {
    Snapshot(oneshot::Sender<Vec<u64>>),
    Stop,
}

pub struct Supervisor {
    config: SupervisorConfig,
    control_tx: Sender<Control>,
    control_rx: Receiver<Control>,
    runtime: Handle,
}

async fn run_shard(id: usize, config: ShardConfig) -> Result<(), ShardError> {
    let mut shard = Shard::open(id, &config).await?;
    loop {
        let batch = shard.poll().await?;
        if batch.is_empty() {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        shard.commit(batch).await?;
    }
}

async fn run_control_shard(id: usize, rx: Receiver<Control>) {
    while let Ok(msg) = rx.recv().await {
        match msg {
            Control::Snapshot(reply) => {
                let _ = reply.send(vec![id as u64]);
            }
            Control::Stop => break,
        }
    }
}

impl Supervisor {
    pub fn new(config: SupervisorConfig) -> Self {
        let (control_tx, control_rx) = async_channel::unbounded(); //~ unbounded_channel
        Supervisor { config, control_tx, control_rx, runtime: Handle::current() }
    }

    pub fn start(&self) -> Vec<JoinHandle<()>> {
        let mut handles = Vec::new();
        for id in 0..self.config.shards {
            let config = self.config.shard.clone();
            let delay = self.config.restart_delay;
            handles.push(self.runtime.spawn(async move { //~ unbounded_spawn
                loop {
                    match run_shard(id, config.clone()).await {
                        Ok(()) => break,
                        Err(e) => {
                            error!("shard {id} failed: {e}; restarting");
                            tokio::time::sleep(delay).await;
                        }
                    }
                }
            }));
        }
        for id in 0..CONTROL_SHARDS {
            self.runtime.spawn(run_control_shard(id, self.control_rx.clone()));
        }
        handles
    }

    pub fn start_unsupervised(&self, id: usize) -> JoinHandle<Result<(), ShardError>> {
        tokio::spawn(run_shard(id, self.config.shard.clone()))
    }

    pub async fn restart_one(&self, id: usize) {
        let _ = tokio::spawn(run_shard(id, self.config.shard.clone())); //~ detached_task
        info!("shard {id} restarted");
    }

    pub async fn snapshot(&self) -> Vec<u64> {
        let (tx, rx) = oneshot::channel();
        if self.control_tx.send(Control::Snapshot(tx)).await.is_err() {
            return Vec::new();
        }
        rx.await.unwrap_or_default()
    }

    pub async fn snapshot_blocking_style(&self) -> Vec<u64> {
        let (tx, rx) = oneshot::channel();
        let _ = self.control_tx.send(Control::Snapshot(tx)).await;
        pollster::block_on(rx).unwrap_or_default() //~ block_on_in_async
    }

    /// All shards must reach the barrier before the snapshot is cut.
    pub async fn coordinated_snapshot(&self, barrier: Arc<Barrier>, shard_barrier: Arc<AsyncBarrier>) {
        shard_barrier.wait().await;
        let leader = barrier.wait().is_leader(); //~ blocking_in_async
        if leader {
            info!("cutting snapshot");
        }
    }

    pub async fn flush_all(&self) {
        let stop = self.control_tx.clone();
        drop(tokio::spawn(async move { //~ detached_task
            stop.send(Control::Stop).await.expect("control channel closed");
        }));
        let stats = self.snapshot().await;
        info!("flushed, last stats {stats:?}");
    }

    pub async fn shutdown(self) {
        fn log_sync(msg: &str) {
            std::thread::sleep(Duration::from_millis(1));
            eprintln!("{msg}");
        }
        log_sync("supervisor shutting down"); //~ blocking_in_async
        self.control_tx.close();
        let handle = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            warn!("forced shutdown");
        });
        let _ = handle.await;
    }

    pub async fn report_later(&self, delay: Duration) {
        let snapshotter = self.control_tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let (tx, rx) = oneshot::channel();
            if snapshotter.send(Control::Snapshot(tx)).await.is_ok() {
                let stats = rx.await.unwrap_or_default();
                info!("delayed report: {stats:?}");
            }
        });
    }
}
