use std::collections::VecDeque;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use futures::future::join_all;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::conn::{Config, Conn};
use crate::Error;

pub struct Pool {
    cfg: Config,
    idle: Mutex<VecDeque<Conn>>,
    permits: Arc<Semaphore>,
    waiting: AtomicUsize,
    draining: AtomicBool,
}

pub struct Pooled<'a> {
    pool: &'a Pool,
    conn: Option<Conn>,
    _permit: OwnedSemaphorePermit,
}

impl Deref for Pooled<'_> {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.conn.as_ref().expect("present until drop")
    }
}

impl DerefMut for Pooled<'_> {
    fn deref_mut(&mut self) -> &mut Conn {
        self.conn.as_mut().expect("present until drop")
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            if !conn.broken {
                self.pool.idle.lock().unwrap().push_back(conn);
            }
        }
    }
}

impl Pool {
    pub fn new(cfg: Config) -> Arc<Pool> {
        Arc::new(Pool {
            permits: Arc::new(Semaphore::new(cfg.max_size)),
            cfg,
            idle: Mutex::new(VecDeque::new()),
            waiting: AtomicUsize::new(0),
            draining: AtomicBool::new(false),
        })
    }

    pub async fn get(&self) -> Result<Pooled<'_>, Error> {
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let permit = self.permits.clone().acquire_owned().await.map_err(|_| Error::Closed)?; //~ cleanup_after_await
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        let conn = if let Some(conn) = self.idle.lock().unwrap().pop_front() { //~ lock_across_await
            conn
        } else {
            Conn::connect(self.cfg.clone()).await?
        };
        Ok(Pooled { pool: self, conn: Some(conn), _permit: permit })
    }

    /// Same as `get`, with the idle list read before any await.
    pub async fn get_fresh(&self) -> Result<Pooled<'_>, Error> {
        let permit = self.permits.clone().acquire_owned().await.map_err(|_| Error::Closed)?;
        let reused = self.idle.lock().unwrap().pop_front();
        let conn = match reused {
            Some(conn) => conn,
            None => Conn::connect(self.cfg.clone()).await?,
        };
        Ok(Pooled { pool: self, conn: Some(conn), _permit: permit })
    }

    /// Opens `n` connections ahead of the first requests.
    pub async fn warm_up(&self, n: usize) {
        let mut handles = Vec::with_capacity(n);
        for _ in 0..n {
            handles.push(tokio::spawn(Conn::connect(self.cfg.clone()))); //~ unbounded_spawn(pedantic), detached_task(pedantic)
        }
        join_all(handles).await;
    }

    /// Pings every idle connection, four at a time.
    pub async fn check_idle(&self) -> usize {
        let conns: Vec<Conn> = self.idle.lock().unwrap().drain(..).collect();
        let mut healthy = Vec::new();
        let mut rest = conns.into_iter();
        for _ in 0..4 {
            let batch: Vec<Conn> = rest.by_ref().take(4).collect();
            let pinged = tokio::spawn(async move {
                let mut ok = Vec::new();
                for mut c in batch {
                    if c.ping().await.is_ok() { //~? sequential_await
                        ok.push(c);
                    }
                }
                ok
            });
            healthy.extend(pinged.await.unwrap_or_default());
        }
        let n = healthy.len();
        self.idle.lock().unwrap().extend(healthy);
        n
    }

    pub async fn close(&self) {
        self.draining.store(true, Ordering::Release);
        let _all = self.permits.acquire_many(self.cfg.max_size as u32).await;
        self.idle.lock().unwrap().clear();
        self.draining.store(false, Ordering::Release); //~ cleanup_after_await(pedantic)
        self.permits.close();
    }

    /// Keeps idle connections alive until the pool closes.
    pub async fn keepalive(&self, mut conn: Conn) -> Result<(), Error> {
        let mut tick = tokio::time::interval(self.cfg.keepalive);
        loop {
            tokio::select! {
                msg = conn.read_message() => { //~ select_cancel_unsafe
                    let (tag, _) = msg?;
                    tracing::debug!(tag, "unsolicited message on idle connection");
                }
                _ = tick.tick() => conn.ping().await?,
            }
            if self.draining.load(Ordering::Acquire) {
                return Ok(());
            }
        }
    }

    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }
}

/// A primary and a read replica.
pub struct ClusterPool {
    pub primary: Arc<Pool>,
    pub replica: Arc<Pool>,
}

impl ClusterPool {
    pub async fn describe(&self) -> Result<String, Error> {
        let mut primary = self.primary.get().await?;
        let mut replica = self.replica.get().await?;
        let version = primary.simple_query("SHOW server_version").await?; //~ sequential_await
        let lag = replica.simple_query("SELECT now() - pg_last_xact_replay_timestamp()").await?;
        Ok(format!("{} rows / {} rows", version.len(), lag.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn cfg() -> Config {
        Config {
            host: "127.0.0.1".into(),
            port: 5432,
            user: "test".into(),
            database: "test".into(),
            max_size: 2,
            keepalive: Duration::from_secs(30),
        }
    }

    #[tokio::test]
    async fn waiting_counts_callers() {
        let pool = Pool::new(cfg());
        std::thread::sleep(Duration::from_millis(20)); //~ blocking_in_async
        assert_eq!(pool.waiting(), 0);
    }
}
