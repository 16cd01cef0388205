//! Small connection pool on top of the wire-protocol client.
//!
//! `Pool::get` hands out a `PooledConn` that returns itself to the idle list
//! on drop. A semaphore caps the number of open connections.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::{debug, info};

use crate::wire::{Connection, ConnectOptions, WireError};

pub struct PoolConfig {
    pub max_size: usize,
    pub idle_timeout: Duration,
    pub options: ConnectOptions,
}

struct Idle {
    conn: Connection,
    since: Instant,
}

struct Shared {
    idle: Mutex<VecDeque<Idle>>,
    returned: Condvar,
    permits: Arc<Semaphore>,
    config: PoolConfig,
}

#[derive(Clone)]
pub struct Pool {
    shared: Arc<Shared>,
}

pub struct PooledConn {
    conn: Option<Connection>,
    shared: Arc<Shared>,
    _permit: OwnedSemaphorePermit,
}

impl Drop for PooledConn {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            let mut idle = self.shared.idle.lock().unwrap();
            idle.push_back(Idle { conn, since: Instant::now() });
            self.shared.returned.notify_one();
        }
    }
}

impl std::ops::Deref for PooledConn {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn.as_ref().expect("connection taken")
    }
}

impl Pool {
    pub fn new(config: PoolConfig) -> Self {
        let permits = Arc::new(Semaphore::new(config.max_size));
        let shared = Shared { idle: Mutex::new(VecDeque::new()), returned: Condvar::new(), permits, config };
        Pool { shared: Arc::new(shared) }
    }

    pub async fn get(&self) -> Result<PooledConn, WireError> {
        let permit = self.shared.permits.clone().acquire_owned().await.expect("pool closed");
        loop {
            let candidate = self.shared.idle.lock().unwrap().pop_front();
            match candidate {
                Some(idle) if idle.since.elapsed() > self.shared.config.idle_timeout => {
                    debug!("dropping stale connection");
                    idle.conn.close().await;
                }
                Some(idle) => {
                    return Ok(PooledConn { conn: Some(idle.conn), shared: self.shared.clone(), _permit: permit });
                }
                None => break,
            }
        }
        let conn = Connection::connect(&self.shared.config.options).await?;
        Ok(PooledConn { conn: Some(conn), shared: self.shared.clone(), _permit: permit })
    }

    /// Readiness probe for the orchestrator: is the database port reachable at all?
    pub async fn reachable(&self) -> bool {
        let addr = self.shared.config.options.socket_addr();
        std::net::TcpStream::connect(addr).is_ok() //~ blocking_in_async
    }

    /// Health-checks idle connections, evicting the ones that fail.
    pub async fn ping_idle(&self) -> usize {
        let mut idle = self.shared.idle.lock().unwrap(); //~ lock_across_await
        let mut alive = VecDeque::with_capacity(idle.len());
        while let Some(entry) = idle.pop_front() {
            if entry.conn.ping().await.is_ok() {
                alive.push_back(entry);
            }
        }
        *idle = alive;
        idle.len()
    }

    /// Opportunistic eviction of stale idle connections; skipped when contended.
    pub async fn evict_stale(&self) {
        if let Ok(mut idle) = self.shared.idle.try_lock() { //~ lock_across_await
            while idle.front().is_some_and(|f| f.since.elapsed() > self.shared.config.idle_timeout) {
                if let Some(stale) = idle.pop_front() {
                    stale.conn.close().await;
                }
            }
        }
    }

    /// Same, but takes the connections out of the lock first.
    pub async fn ping_idle_unlocked(&self) -> usize {
        let taken: Vec<Idle> = {
            let mut idle = self.shared.idle.lock().unwrap();
            idle.drain(..).collect()
        };
        let mut alive = Vec::new();
        for entry in taken {
            if entry.conn.ping().await.is_ok() { //~ sequential_await
                alive.push(entry);
            }
        }
        let n = alive.len();
        self.shared.idle.lock().unwrap().extend(alive);
        n
    }

    /// Waits until a connection is returned. Used by the sync migration runner.
    pub fn wait_returned_blocking(&self, timeout: Duration) -> bool {
        let idle = self.shared.idle.lock().unwrap();
        let (idle, res) = self.shared.returned.wait_timeout(idle, timeout).unwrap();
        !res.timed_out() || !idle.is_empty()
    }

    pub async fn wait_returned(&self, timeout: Duration) -> bool {
        let idle = self.shared.idle.lock().unwrap();
        let (idle, res) = self.shared.returned.wait_timeout(idle, timeout).unwrap(); //~ blocking_in_async
        !res.timed_out() || !idle.is_empty()
    }

    pub async fn close(&self) {
        let mut idle = self.shared.idle.lock().unwrap();
        let conns: Vec<Idle> = idle.drain(..).collect();
        drop(idle);
        for entry in conns {
            entry.conn.close().await;
        }
        self.shared.permits.close();
        info!("pool closed");
    }

    pub async fn with_conn<T, F, Fut>(&self, f: F) -> Result<T, WireError>
    where
        F: FnOnce(PooledConn) -> Fut,
        Fut: std::future::Future<Output = Result<T, WireError>>,
    {
        let conn = self.get().await?;
        f(conn).await
    }
}
