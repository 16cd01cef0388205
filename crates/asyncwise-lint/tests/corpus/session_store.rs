//! Session store with an expiry sweeper, plus its test-suite.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, Mutex as AsyncMutex};

#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    pub user: String,
    pub expires: Instant,
}

#[derive(Clone, Default)]
pub struct Store {
    inner: Arc<Mutex<HashMap<u64, Session>>>,
    audit: Arc<AsyncMutex<Vec<String>>>,
}

impl Store {
    pub async fn put(&self, id: u64, session: Session) {
        self.inner.lock().unwrap().insert(id, session.clone());
        self.audit.lock().await.push(format!("put {id} for {}", session.user));
    }

    pub async fn get(&self, id: u64) -> Option<Session> {
        let found = self.inner.lock().unwrap().get(&id).cloned();
        if found.is_none() {
            self.audit.lock().await.push(format!("miss {id}"));
        }
        found
    }

    pub async fn touch(&self, id: u64, ttl: Duration) -> bool {
        let updated = {
            let mut map = self.inner.lock().unwrap();
            match map.get_mut(&id) {
                Some(s) => {
                    s.expires = Instant::now() + ttl;
                    true
                }
                None => false,
            }
        };
        self.audit.lock().await.push(format!("touch {id}: {updated}"));
        updated
    }

    pub fn sweep(&self) -> usize {
        let mut map = self.inner.lock().unwrap();
        let before = map.len();
        map.retain(|_, s| s.expires > Instant::now());
        before - map.len()
    }

    pub async fn run_sweeper(self, every: Duration, mut stop: broadcast::Receiver<()>) {
        let mut tick = tokio::time::interval(every);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    let n = self.sweep();
                    if n > 0 {
                        self.audit.lock().await.push(format!("swept {n}"));
                    }
                }
                _ = stop.recv() => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use tokio::time::{sleep, Duration};

    fn session(user: &str, secs: u64) -> Session {
        Session { user: user.into(), expires: Instant::now() + Duration::from_secs(secs) }
    }

    #[tokio::test]
    async fn concurrent_puts_are_visible() {
        let store = Store::default();
        let mut handles = Vec::new();
        for i in 0..16 {
            let s = store.clone();
            handles.push(tokio::spawn(async move { s.put(i, session("u", 60)).await }));
        }
        for h in handles {
            h.await.unwrap();
        }
        assert_eq!(store.inner.lock().unwrap().len(), 16);
    }

    #[tokio::test]
    async fn expired_sessions_are_swept() {
        let store = Store::default();
        store.put(1, session("a", 0)).await;
        std::thread::sleep(Duration::from_millis(20)); //~ blocking_in_async
        assert_eq!(store.sweep(), 1);
        sleep(Duration::from_millis(5)).await;
        assert!(store.get(1).await.is_none());
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn sweeper_stops_on_signal() {
        let store = Store::default();
        let (stop_tx, stop_rx) = broadcast::channel(1);
        let sweeper = tokio::spawn(store.clone().run_sweeper(Duration::from_millis(5), stop_rx));
        store.put(7, session("b", 0)).await;
        sleep(Duration::from_millis(30)).await;
        stop_tx.send(()).unwrap();
        sweeper.await.unwrap();
        assert!(store.inner.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn touch_extends_expiry() {
        let store = Store::default();
        store.put(3, session("c", 1)).await;
        let before = store.get(3).await.unwrap().expires;
        let touched = futures::executor::block_on(store.touch(3, Duration::from_secs(600))); //~ block_on_in_async
        assert!(touched);
        let after = store.get(3).await.unwrap().expires;
        assert!(after > before);
    }

    #[tokio::test]
    async fn events_reach_a_sync_observer() {
        let store = Store::default();
        let (tx, rx) = mpsc::channel(); //~ unbounded_channel
        let observer = std::thread::spawn(move || rx.recv_timeout(Duration::from_secs(1)).ok());
        let s = store.clone();
        tokio::spawn(async move { //~ detached_task
            s.put(9, session("d", 60)).await;
            tx.send(9u64).unwrap();
        });
        let got = tokio::task::spawn_blocking(move || observer.join().unwrap()).await.unwrap();
        assert_eq!(got, Some(9));
    }

    #[tokio::test]
    async fn contention_does_not_lose_writes() {
        let store = Store::default();
        let map = store.inner.lock().unwrap(); //~ lock_across_await
        let writer = {
            let s = store.clone();
            tokio::spawn(async move { s.put(11, session("e", 60)).await })
        };
        sleep(Duration::from_millis(10)).await;
        assert!(map.is_empty());
        drop(map);
        writer.await.unwrap();
        assert!(store.get(11).await.is_some());
    }

    #[tokio::test]
    async fn audit_log_reads_back() {
        let store = Store::default();
        store.put(5, session("f", 60)).await;
        let (tx, rx) = mpsc::sync_channel::<usize>(1);
        tx.send(store.audit.lock().await.len()).unwrap();
        let n = rx.recv().unwrap(); //~ blocking_in_async
        assert_eq!(n, 1);
    }

    #[test]
    fn sweep_from_sync_code() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let store = Store::default();
        rt.block_on(store.put(2, session("g", 0)));
        std::thread::sleep(Duration::from_millis(5));
        let (tx, rx) = mpsc::channel();
        tx.send(store.sweep()).unwrap();
        assert_eq!(rx.recv().unwrap(), 1);
    }
}
