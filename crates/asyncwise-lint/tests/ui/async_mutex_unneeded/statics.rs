// async_mutex_unneeded on statics behind lazies (`LazyLock`, `once_cell`'s `Lazy`) in a crate where some other guard, of a lock that cannot be named, is held across
// an await. Readings: such a guard may belong to any lock reached through a parameter or a
// binding, so fields and lent locks are not judged; a private static that is never lent is
// reached by its name only, so the unknown guard cannot be its guard, and it is judged, in the
// pedantic form (the verdict rests on that reasoning; see the rule's docs). A guard
// that is a temporary of one statement (also the tail of a block used as a `match` scrutinee,
// edition 2024) dies before the next await.
use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use once_cell::sync::Lazy;
use tokio::sync::Mutex;

static SCANS: LazyLock<Arc<Mutex<HashMap<String, u64>>>> = //~ async_mutex_unneeded(pedantic)
    LazyLock::new(|| Arc::new(Mutex::new(HashMap::new())));

static RECENT: Lazy<tokio::sync::Mutex<Vec<String>>> = //~ async_mutex_unneeded(pedantic)
    Lazy::new(|| tokio::sync::Mutex::new(Vec::new()));

// ok: lent to a function, which may hold its guard anywhere
static SHARED: LazyLock<Mutex<u64>> = LazyLock::new(|| Mutex::new(0));

// ok: its guard is alive at the await
static CONN: LazyLock<Mutex<Conn>> = LazyLock::new(|| Mutex::new(Conn::default()));

pub struct Holder {
    // ok: a field may be the lock behind the unknown guard in `hold_unknown`
    inner: Mutex<u32>,
}

pub async fn should_scan(key: String, now: u64) -> bool {
    let due = {
        let mut scans = SCANS.lock().await;
        let last = scans.get(&key).copied().unwrap_or(0);
        scans.insert(key, now);
        now > last + 60
    };
    if due {
        announce().await;
    }
    due
}

pub async fn remembered(key: &str) -> Option<String> {
    match { RECENT.lock().await.iter().find(|k| *k == key).cloned() } {
        Some(found) => Some(found),
        None => {
            let fetched = fetch(key).await;
            RECENT.lock().await.push(fetched.clone());
            Some(fetched)
        }
    }
}

pub async fn lend() {
    bump(&SHARED).await;
}

pub async fn exchange() {
    let mut conn = CONN.lock().await;
    conn.send().await;
}

pub async fn hold_unknown(m: &Mutex<u32>) {
    let guard = m.lock().await;
    announce().await;
    drop(guard);
}

impl Holder {
    pub async fn read(&self) -> u32 {
        *self.inner.lock().await
    }
}

async fn bump(m: &Mutex<u64>) {
    *m.lock().await += 1;
}

async fn announce() {}

async fn fetch(key: &str) -> String {
    key.to_string()
}

#[derive(Default)]
struct Conn;

impl Conn {
    async fn send(&mut self) {}
}
