// Async locks declared here and locked in the other files of the crate. Readings: a lock is
// "needed" when any of its guards, in any file, is alive at a later `.await` or leaves the
// function (returned, stored, moved into a task, an owned guard); a lock handed to other code
// is not judged. The primary location is the declaration.
mod cache;
mod io;
mod locals;

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use tokio::sync::{Mutex, RwLock};

pub struct Cache {
    entries: Mutex<HashMap<String, String>>, //~ async_mutex_unneeded(pedantic)
    hits: Arc<RwLock<u64>>, //~ async_mutex_unneeded(pedantic)
    // ok: held across the write in io.rs
    conn: Mutex<io::Conn>,
    // ok: its guard is returned by `Cache::journal`
    journal: Mutex<Vec<String>>,
    // ok: lent to other code by `Cache::pending`
    pending: Mutex<Vec<String>>,
    // ok: never locked in async code: nothing to judge
    spare: Mutex<u8>,
    // ok: owned guards can go anywhere
    owned: Arc<Mutex<u32>>,
    // ok: the guard moves into a spawned task
    moved: Arc<Mutex<u32>>,
    // ok: a match on the guard awaits in an arm
    matched: Mutex<Option<u32>>,
    dropped: Mutex<Vec<u8>>, //~ async_mutex_unneeded(pedantic)
    scoped: Mutex<Vec<u8>>, //~ async_mutex_unneeded(pedantic)
    compat: async_std::sync::Mutex<u32>, //~ async_mutex_unneeded(pedantic)
    // ok: an async-std guard held across an await
    compat_held: async_std::sync::Mutex<u32>,
    light: async_lock::RwLock<u32>, //~ async_mutex_unneeded(pedantic)
}

static REGISTRY: LazyLock<Mutex<Vec<String>>> = LazyLock::new(|| Mutex::new(Vec::new())); //~ async_mutex_unneeded(pedantic)
// ok: held across an await in io.rs
static SESSION: LazyLock<Mutex<Option<String>>> = LazyLock::new(|| Mutex::new(None));

#[tokio::main]
async fn main() {
    REGISTRY.lock().await.push("main".into());
    locals::run().await;
}
