// Guards that are not mutex guards but lock just the same, seen held across awaits in real
// repositories: a `tokio::sync::watch::Ref` (from `borrow()`; it holds the channel's read lock,
// so the sender's next `send` waits for it) and `dashmap` references (`get`, `get_mut`,
// `entry` hold a shard lock; another task touching the same shard on this thread deadlocks).
// Readings: only receivers known to be watch channels or `DashMap`s count; a value cloned out
// of the guard in the same statement is not a held guard.
use std::sync::Arc;

use dashmap::DashMap;
use tokio::sync::watch;

pub async fn follow(mut config: watch::Receiver<Config>, client: &Client) {
    let current = config.borrow(); //~ lock_across_await
    client.reconnect(&current.endpoint).await;
}

pub async fn follow_cloned(config: watch::Receiver<Config>, client: &Client) {
    let endpoint = config.borrow().endpoint.clone(); // ok: the Ref dies with the statement
    client.reconnect(&endpoint).await;
}

pub async fn follow_changes(mut config: watch::Receiver<Config>, client: &Client) {
    while config.changed().await.is_ok() {
        let seen = config.borrow_and_update(); //~ lock_across_await
        client.apply(&seen).await;
    }
}

pub async fn publish(tx: watch::Sender<Config>, client: &Client) {
    let (local_tx, local_rx) = watch::channel(Config::default());
    let snapshot = local_rx.borrow(); //~ lock_across_await
    client.apply(&snapshot).await;
    drop(snapshot);
    let v = tx.borrow(); //~ lock_across_await
    client.apply(&v).await;
    let _ = local_tx;
}

pub struct Sessions {
    live: Arc<DashMap<u64, Session>>,
}

impl Sessions {
    pub async fn touch(&self, id: u64, store: &Store) {
        if let Some(mut session) = self.live.get_mut(&id) { //~ lock_across_await
            session.seen += 1;
            store.save(&session).await;
        }
    }

    pub async fn touch_then_save(&self, id: u64, store: &Store) {
        let copy = match self.live.get(&id) {
            Some(s) => s.clone(),
            None => return,
        }; // ok: the reference is gone before the await
        store.save(&copy).await;
    }

    pub async fn insert_default(&self, id: u64, store: &Store) {
        let entry = self.live.entry(id).or_default(); //~ lock_across_await
        store.save(&entry).await;
    }

    pub async fn count(&self, store: &Store) {
        let n = self.live.len(); // ok: not a guard
        store.record(n).await;
    }
}

pub async fn local_map(store: &Store) {
    let map: DashMap<u64, Session> = DashMap::new();
    let s = map.get(&1).unwrap(); //~ lock_across_await
    store.save(&s).await;
}

impl Sessions {
    // Seen on real code (edition 2021): the Ref is moved into `map` and dropped there; only
    // the clone lives through the `if let` body.
    pub async fn notify(&self, id: u64, store: &Store) {
        if let Some(session) = self.live.get(&id).map(|s| s.clone()) { // ok: the guard is consumed
            store.save(&session).await;
        }
    }

    pub async fn notify_holding(&self, id: u64, store: &Store) {
        if let Some(session) = self.live.get(&id) { //~ lock_across_await
            store.save(&session).await;
        }
    }
}

#[derive(Debug)]
pub struct UnknownSession(pub u64);

impl Sessions {
    // A missing entry made an error for `?`: the `Ref` still holds the shard lock.
    pub async fn save_known(&self, id: u64, store: &Store) -> Result<(), UnknownSession> {
        let session = self.live.get(&id).ok_or(UnknownSession(id))?; //~ lock_across_await
        store.save(&session).await;
        Ok(())
    }

    pub async fn save_known_copy(&self, id: u64, store: &Store) -> Result<(), UnknownSession> {
        let session = self.live.get(&id).ok_or_else(|| UnknownSession(id))?.clone(); // ok: a copy
        store.save(&session).await;
        Ok(())
    }
}
