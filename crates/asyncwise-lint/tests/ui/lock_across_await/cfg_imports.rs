// lock_across_await: a lock type imported under `#[cfg(..)]` alternatives, and lock
// acquisitions that are themselves awaited.
//
// Readings chosen where the issue is not explicit:
// - When one name is imported from different paths under `#[cfg(..)]` alternatives (a std lock
//   for a `sync` feature, an async lock for the others), the name's type is not known: which
//   import is compiled depends on the build, so no finding may rest on either.
// - An acquisition that is awaited (`lock.write().await`) proves the lock is an async one, whatever
//   its name resolved to: that `.await` is the acquisition, not a suspension under a guard.
// - The same name imported twice from one path under different cfgs is not ambiguous.

#[cfg(feature = "runtime-a")]
use tokio::sync::RwLock;

#[cfg(feature = "runtime-b")]
use async_std::sync::RwLock;

#[cfg(feature = "blocking")]
use std::sync::RwLock;

#[cfg(unix)]
use std::sync::Mutex;
#[cfg(not(unix))]
use std::sync::Mutex;

use std::sync::Arc;

struct Token {
    secret: String,
}

impl Token {
    fn renew(&mut self) -> Result<(), String> {
        Ok(())
    }
}

struct Client {
    token: Arc<RwLock<Token>>,
    counters: Mutex<u64>,
}

async fn send(_body: &str) {}

impl Client {
    async fn renew(&self) -> Result<(), String> {
        self.token.write().await.renew() // ok: the await acquires an async lock
    }

    async fn secret(&self) -> String {
        self.token.read().await.secret.clone() // ok: awaited acquisition, value cloned out
    }

    async fn secret_bound(&self) -> String {
        let token = self.token.read().await; // ok: an awaited acquisition is an async lock
        send(&token.secret).await;
        token.secret.clone()
    }

    async fn count(&self) {
        let n = self.counters.lock().unwrap(); //~ lock_across_await
        send(&n.to_string()).await;
    }
}

async fn local_std_lock(shared: std::sync::RwLock<Token>) {
    let t = shared.read().unwrap(); //~ lock_across_await
    send(&t.secret).await;
}

async fn awaited_write_of_unknown(store: &Store) {
    let mut s = store.table.write().await; // ok: awaited, so an async lock
    s.renew().ok();
    send("done").await;
}

struct Store {
    table: RwLock<Token>,
}

async fn misresolved(lock: &std::sync::RwLock<Token>) {
    let t = lock.read().await; // ok: awaited, so not a std lock whatever the name resolved to
    send(&t.secret).await;
}
