use std::collections::VecDeque;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::sync::{broadcast, OwnedSemaphorePermit, Semaphore};
use tokio_postgres::{Client, NoTls};

pub struct Pool {
    url: String,
    idle: Mutex<VecDeque<(Client, Instant)>>,
    slots: std::sync::Arc<Semaphore>,
    warmup: Semaphore,
}

pub struct PooledConn {
    pub client: Client,
    _permit: OwnedSemaphorePermit,
}

impl Pool {
    pub fn new(url: String, size: usize) -> Pool {
        Pool {
            url,
            idle: Mutex::new(VecDeque::new()),
            slots: std::sync::Arc::new(Semaphore::new(size)),
            warmup: Semaphore::new(2),
        }
    }

    async fn open(&self) -> Result<Client, tokio_postgres::Error> {
        let (client, connection) = tokio_postgres::connect(&self.url, NoTls).await?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::error!("postgres connection: {e}");
            }
        });
        Ok(client)
    }

    pub async fn get(&self) -> Result<PooledConn, tokio_postgres::Error> {
        let permit = self.slots.clone().acquire_owned().await.expect("pool semaphore closed");
        let reused = self.idle.lock().pop_front();
        let client = match reused {
            Some((client, _)) if !client.is_closed() => client,
            _ => self.open().await?,
        };
        Ok(PooledConn { client, _permit: permit })
    }

    pub fn put(&self, conn: PooledConn) {
        self.idle.lock().push_back((conn.client, Instant::now()));
    }

    fn reap_idle(&self) {
        let cutoff = Instant::now() - Duration::from_secs(300);
        self.idle.lock().retain(|(_, since)| *since > cutoff);
    }

    /// Keeps two warm connections ready and drops idle ones, until told to stop.
    pub async fn maintain(self: std::sync::Arc<Self>, mut stop: broadcast::Receiver<()>) {
        let mut tick = tokio::time::interval(Duration::from_secs(30));
        loop {
            tokio::select! {
                _ = tick.tick() => self.reap_idle(),
                permit = self.warmup.acquire() => { //~ select_cancel_unsafe
                    if let Ok(permit) = permit {
                        if self.idle.lock().len() < 2 {
                            if let Ok(client) = self.open().await {
                                self.idle.lock().push_back((client, Instant::now()));
                            }
                        }
                        drop(permit);
                    }
                }
                _ = stop.recv() => break,
            }
        }
    }

    /// Waits until a slot is free without taking it (the permit goes back at once).
    pub async fn wait_for_room(&self, mut stop: broadcast::Receiver<()>) {
        loop {
            tokio::select! {
                _ = self.slots.acquire() => return,
                _ = stop.recv() => return,
            }
        }
    }
}
