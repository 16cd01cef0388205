//! Catalogue corpus: reconnect and publish logic of the gateway — connecting to the upstream,
//! publishing audit records, taking leases from the coordinator, executing statements.
//! Focus: retry_without_backoff (spinning retries vs. delayed, bounded, and non-retry loops).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::mpsc;

use crate::{GatewayError, Result};

pub struct Producer;
pub struct Coordinator;
pub struct Database;
pub struct Lease(pub u64);

impl Producer {
    pub async fn publish(&self, _topic: &str, _payload: &[u8]) -> Result<()> {
        Ok(())
    }
}
impl Coordinator {
    pub async fn acquire_lease(&self, _name: &str) -> Result<Lease> {
        Ok(Lease(1))
    }
}
impl Database {
    pub async fn execute(&self, _stmt: &str) -> Result<u64> {
        Ok(0)
    }
}

/// Sleeps for `base * 2^attempt`, capped at ten seconds.
async fn backoff(base: Duration, attempt: u32) {
    let delay = base.saturating_mul(1 << attempt.min(8)).min(Duration::from_secs(10));
    tokio::time::sleep(delay).await;
}

/// Connects, logging each failure and trying again at once.
pub async fn connect_upstream(addr: SocketAddr) -> TcpStream {
    loop {
        match TcpStream::connect(addr).await { //~ retry_without_backoff
            Ok(stream) => break stream,
            Err(e) => tracing::warn!(%addr, error = %e, "connect failed, retrying"),
        }
    }
}

/// Publishes until the broker takes the record.
pub async fn publish_audit(producer: &Producer, record: &[u8]) {
    while producer.publish("audit", record).await.is_err() { //~ retry_without_backoff
        tracing::debug!("broker busy");
    }
}

/// Takes the named lease; a conflict with another holder is retried straight away.
pub async fn take_lease(coordinator: &Coordinator, name: &str) -> Result<Lease> {
    loop {
        let attempt = coordinator.acquire_lease(name).await; //~ retry_without_backoff
        match attempt {
            Ok(lease) => return Ok(lease),
            Err(GatewayError::Conflict(holder)) => {
                tracing::debug!(%holder, "lease held elsewhere");
                continue;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Re-runs a statement that lost a deadlock.
pub async fn execute_retrying(db: &Database, stmt: &str) -> Result<u64> {
    loop {
        match db.execute(stmt).await { //~ retry_without_backoff
            Ok(rows) => return Ok(rows),
            Err(GatewayError::Deadlock) => tracing::debug!("deadlock, re-running"),
            Err(e) => return Err(e),
        }
    }
}

/// Binds the local discovery port, trying again while it is still taken.
pub async fn bind_discovery(addr: SocketAddr) -> UdpSocket {
    loop {
        let Ok(socket) = UdpSocket::bind(addr).await else { //~ retry_without_backoff
            continue;
        };
        break socket;
    }
}

/// Exponential backoff between attempts.
pub async fn connect_with_backoff(addr: SocketAddr) -> TcpStream {
    let mut attempt = 0;
    loop {
        match TcpStream::connect(addr).await {
            Ok(stream) => return stream,
            Err(e) => {
                tracing::warn!(%addr, error = %e, attempt, "connect failed");
                backoff(Duration::from_millis(100), attempt).await;
                attempt += 1;
            }
        }
    }
}

/// A fixed number of attempts.
pub async fn publish_bounded(producer: &Producer, record: &[u8]) -> Result<()> {
    let mut last = None;
    for attempt in 0..5 {
        match producer.publish("audit", record).await {
            Ok(()) => return Ok(()),
            Err(e) => {
                tracing::debug!(attempt, "publish failed");
                last = Some(e);
            }
        }
    }
    Err(last.unwrap_or_else(|| GatewayError::Unavailable("broker".into())))
}

/// Retries paced by an interval.
pub async fn lease_on_tick(coordinator: &Coordinator, name: &str) -> Lease {
    let mut ticker = tokio::time::interval(Duration::from_millis(500));
    loop {
        ticker.tick().await;
        if let Ok(lease) = coordinator.acquire_lease(name).await {
            return lease;
        }
    }
}

/// Keeps trying for at most `budget`.
pub async fn execute_within(db: &Database, stmt: &str, budget: Duration) -> Result<u64> {
    let started = Instant::now();
    loop {
        match db.execute(stmt).await {
            Ok(rows) => return Ok(rows),
            Err(e) if e.is_transient() && started.elapsed() < budget => continue,
            Err(e) => return Err(e),
        }
    }
}

/// A receive loop: ends when every sender is gone.
pub async fn run_audit_sink(producer: &Producer, mut records: mpsc::Receiver<Vec<u8>>) {
    while let Some(record) = records.recv().await {
        if let Err(e) = producer.publish("audit", &record).await {
            tracing::warn!(error = %e, "audit record dropped");
        }
    }
}

/// A processing loop that gives up on the first error.
pub async fn replay(db: &Database, mut statements: mpsc::Receiver<String>) -> Result<u64> {
    let mut total = 0;
    loop {
        let Some(stmt) = statements.recv().await else { return Ok(total) };
        total += db.execute(&stmt).await?;
    }
}
