// async_mutex_unneeded, one file: async locks whose guards never outlive a statement or a block
// without awaits. Readings: the declaration is reported (field, static, or the `Mutex::new`
// call of a local); a lock that is handed to other code, returned, or whose guard leaves the
// function (returned, moved into a task, an owned guard) is not judged.
use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{Mutex, RwLock};

static HITS: Mutex<u64> = Mutex::const_new(0); //~ async_mutex_unneeded(pedantic)

struct Sessions {
    by_id: Mutex<HashMap<u64, String>>, //~ async_mutex_unneeded(pedantic)
    names: RwLock<Vec<String>>, //~ async_mutex_unneeded(pedantic)
    last: Arc<Mutex<Option<u64>>>, //~ async_mutex_unneeded(pedantic)
    tally: async_std::sync::Mutex<u32>, //~ async_mutex_unneeded(pedantic)
    flags: async_lock::Mutex<u8>, //~ async_mutex_unneeded(pedantic)
    // ok: held across the send
    socket: Mutex<Socket>,
    // ok: an owned guard may live anywhere
    owned: Arc<Mutex<u32>>,
    // ok: the guard is handed to another function
    handed: Mutex<Vec<u8>>,
    // ok: lent out by reference
    lent: Mutex<u32>,
    // ok: the guard is alive at the await inside the `if let` body
    scanned: Mutex<Vec<u64>>,
    // set once, then read: the pedantic form (a `OnceLock` is the fix)
    peer: RwLock<Option<String>>, //~ async_mutex_unneeded(pedantic)
}

struct Socket;

impl Socket {
    async fn send(&mut self, _b: &[u8]) {}
}

async fn pause() {}

fn consume(_g: tokio::sync::MutexGuard<'_, Vec<u8>>) {}

impl Sessions {
    async fn get(&self, id: u64) -> Option<String> {
        *HITS.lock().await += 1;
        *self.last.lock().await = Some(id);
        self.by_id.lock().await.get(&id).cloned()
    }

    async fn rename(&self, i: usize, name: String) {
        {
            let mut names = self.names.write().await;
            names[i] = name;
        }
        pause().await;
        let count = self.names.read().await.len();
        let mut t = self.tally.lock().await;
        *t += count as u32;
        drop(t);
        *self.flags.lock().await |= 1;
        pause().await;
    }

    async fn send(&self, bytes: &[u8]) {
        let mut s = self.socket.lock().await;
        s.send(bytes).await;
    }

    async fn owned(&self) {
        let _g = self.owned.clone().lock_owned().await;
    }

    async fn handed(&self) {
        consume(self.handed.lock().await);
    }

    fn lent(&self) -> &Mutex<u32> {
        &self.lent
    }

    async fn connect(&self, to: String) -> Option<String> {
        *self.peer.write().await = Some(to);
        self.peer.read().await.clone()
    }

    async fn scan(&self) {
        if let Some(first) = self.scanned.lock().await.first() {
            pause().await;
            let _ = first;
        }
    }
}

async fn locals() {
    let local = Arc::new(Mutex::new(Vec::new())); //~ async_mutex_unneeded(pedantic)
    let for_task = Arc::clone(&local);
    tokio::spawn(async move {
        for_task.lock().await.push(1);
    });
    local.lock().await.push(2);
    pause().await;
    let plain = RwLock::new(0); //~ async_mutex_unneeded(pedantic)
    *plain.write().await += 1;
    pause().await;
    // ok: held across the pause
    let held = Mutex::new(0);
    let g = held.lock().await;
    pause().await;
    drop(g);
}

// A guard borrowed by a plain closure (no `move`, not async) stays with the body that took it:
// the closure cannot await, and the guard is dropped at the end of the statement's block.
struct Frontier {
    seen: async_lock::Mutex<std::collections::HashSet<String>>, //~ async_mutex_unneeded(pedantic)
    // ok: a `move` closure takes the guard, which may then outlive an await
    taken: Mutex<Vec<String>>,
}

impl Frontier {
    async fn admit(&self, links: &[String]) -> Vec<String> {
        let mut seen = self.seen.lock().await;
        links.iter().filter(|u| seen.insert((*u).clone())).cloned().collect()
    }

    async fn len(&self) -> usize {
        self.seen.lock().await.len()
    }

    async fn hand_off(&self) -> impl FnOnce() -> usize {
        let taken = self.taken.lock().await;
        move || taken.len()
    }
}

// A plain closure that returns an async block awaits like an async closure: the guard it
// borrows may be alive across that await.
struct Prefetch {
    // ok: borrowed by `|| async { .. }`, whose block awaits while it holds the guard
    pending: Mutex<Vec<u32>>,
}

impl Prefetch {
    async fn run(&self) {
        let mut pending = self.pending.lock().await;
        let step = || async {
            let v = fetch_one().await;
            pending.len() + v as usize
        };
        let _ = step().await;
    }
}

async fn fetch_one() -> u32 {
    1
}
