// A library: `pub` locks of `pub` types are locked by code this crate cannot see, so they are
// not judged; private and `pub(crate)` ones are.
mod pool;

pub use pool::Pool;

pub struct Registry {
    // ok: a `pub` field of a `pub` struct in a library
    pub names: tokio::sync::Mutex<Vec<String>>,
    ids: tokio::sync::Mutex<Vec<u64>>, //~ async_mutex_unneeded(pedantic)
    pub(crate) seen: tokio::sync::RwLock<u64>, //~ async_mutex_unneeded(pedantic)
}

impl Registry {
    pub async fn add(&self, name: String) {
        self.names.lock().await.push(name);
        self.ids.lock().await.push(1);
        *self.seen.write().await += 1;
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
}

// ok: a `pub` static of a library
pub static SHARED: tokio::sync::Mutex<u32> = tokio::sync::Mutex::const_new(0);

static COUNT: tokio::sync::Mutex<u32> = tokio::sync::Mutex::const_new(0); //~ async_mutex_unneeded(pedantic)

pub async fn bump() -> u32 {
    *SHARED.lock().await += 1;
    let mut n = COUNT.lock().await;
    *n += 1;
    *n
}
