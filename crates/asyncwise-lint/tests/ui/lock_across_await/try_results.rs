// lock_across_await: a guard call that may hand out no guard. dashmap's `try_get` and
// `try_get_mut` return a `TryResult`: `Present(ref)` holds the shard lock, `Absent` and
// `Locked` hold nothing; std's `try_lock` fails with `WouldBlock` holding nothing. An arm
// that matches only such a variant awaits under no lock, though the scrutinee lives through
// the arms. Readings: `Present(..)` and catch-all arms may hold the reference; `Err(_)` may
// be std's `Poisoned`, which carries the guard.
use std::sync::{Mutex, TryLockError};
use std::time::Duration;

use dashmap::DashMap;
use dashmap::try_result::TryResult;

pub struct Groups {
    by_id: DashMap<u64, Group>,
    order: Mutex<Vec<u64>>,
}

impl Groups {
    // Retry while the shard is busy: the sleep is in the `Locked` arm.
    pub async fn get(&self, id: u64) -> Option<Group> {
        loop {
            match self.by_id.try_get(&id) { // ok: only `Locked` sleeps, and it holds no reference
                TryResult::Present(g) => return Some(g.clone()),
                TryResult::Absent => return None,
                TryResult::Locked => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    }

    pub async fn bump(&self, id: u64) {
        loop {
            match self.by_id.try_get_mut(&id) { // ok: `Absent | Locked` holds nothing
                TryResult::Present(mut g) => {
                    g.hits += 1;
                    return;
                }
                TryResult::Absent | TryResult::Locked => tokio::task::yield_now().await,
            }
        }
    }

    pub async fn first(&self) -> u64 {
        loop {
            match self.order.try_lock() { // ok: `WouldBlock` holds no guard
                Ok(order) => return order.first().copied().unwrap_or(0),
                Err(TryLockError::WouldBlock) => tokio::task::yield_now().await,
                Err(TryLockError::Poisoned(_)) => return 0,
            }
        }
    }

    // The reference is alive in `Present` while it awaits.
    pub async fn save(&self, id: u64, db: &Db) {
        match self.by_id.try_get(&id) { //~ lock_across_await
            TryResult::Present(g) => db.save(&g).await,
            TryResult::Absent | TryResult::Locked => {}
        }
    }

    // A catch-all arm may be `Present`.
    pub async fn touch(&self, id: u64, db: &Db) {
        match self.by_id.try_get(&id) { //~ lock_across_await
            TryResult::Locked => {}
            _ => db.touch(id).await,
        }
    }
}

#[derive(Clone, Default)]
pub struct Group {
    pub hits: u64,
}

pub struct Db;

impl Db {
    pub async fn save(&self, _g: &Group) {
        tokio::task::yield_now().await;
    }
    pub async fn touch(&self, _id: u64) {
        tokio::task::yield_now().await;
    }
}
