// lock_across_await: lock kinds. std `Mutex`/`RwLock`, `parking_lot` locks (bare `.lock()`,
// known from field, parameter or constructor types) and `RefCell` borrows fire; `tokio::sync`
// guards and `.lock()` on types that are not known locks do not.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use parking_lot::{Mutex as PlMutex, RwLock as PlRwLock};

async fn tick() {
    tokio::task::yield_now().await;
}

struct Peers {
    table: parking_lot::Mutex<HashMap<u64, String>>,
    index: PlRwLock<Vec<u64>>,
    sessions: tokio::sync::Mutex<HashMap<u64, String>>,
    ids: tokio::sync::RwLock<Vec<u64>>,
}

impl Peers {
    async fn parking_lot_field(&self) {
        let t = self.table.lock(); //~ lock_across_await
        tick().await;
        drop(t);
    }

    async fn parking_lot_rwlock_field(&self) -> usize {
        let ix = self.index.read(); //~ lock_across_await
        tick().await;
        ix.len()
    }

    async fn parking_lot_write_dropped(&self, id: u64) {
        let mut ix = self.index.write(); // ok: dropped before the await
        ix.push(id);
        drop(ix);
        tick().await;
    }

    async fn parking_lot_temporary(&self) {
        self.table.lock().clear(); // ok: temporary
        tick().await;
    }

    async fn tokio_mutex(&self, id: u64) {
        let mut s = self.sessions.lock().await; // ok: tokio::sync::Mutex
        s.insert(id, String::new());
        tick().await;
    }

    async fn tokio_rwlock(&self) -> usize {
        let ids = self.ids.read().await; // ok: tokio::sync::RwLock
        tick().await;
        ids.len()
    }

    async fn tokio_write_owned(self: Arc<Self>) {
        let w = self.ids.write().await; // ok: tokio::sync::RwLock
        tick().await;
        drop(w);
    }
}

async fn parking_lot_param(m: &PlMutex<Vec<u8>>) {
    let mut g = m.lock(); //~ lock_across_await
    g.push(1);
    tick().await;
}

async fn parking_lot_arc_param(m: Arc<parking_lot::RwLock<Vec<u8>>>) {
    let g = m.write(); //~ lock_across_await
    tick().await;
    drop(g);
}

async fn parking_lot_local() {
    let m = parking_lot::Mutex::new(0u32);
    let g = m.lock(); //~ lock_across_await
    tick().await;
    drop(g);
}

async fn tokio_local() {
    let m = tokio::sync::Mutex::new(0u32);
    let g = m.lock().await; // ok: tokio::sync::Mutex
    tick().await;
    drop(g);
}

async fn refcell_borrow_mut(buf: Rc<RefCell<Vec<u8>>>) {
    let mut b = buf.borrow_mut(); //~ lock_across_await
    b.extend_from_slice(b"hello");
    tick().await;
}

async fn refcell_borrow(buf: &RefCell<Vec<u8>>) -> usize {
    let b = buf.borrow(); //~ lock_across_await
    tick().await;
    b.len()
}

async fn refcell_temporary(buf: &RefCell<Vec<u8>>) {
    buf.borrow_mut().push(0); // ok: temporary
    tick().await;
}

async fn refcell_scoped(buf: &RefCell<Vec<u8>>) {
    {
        let mut b = buf.borrow_mut(); // ok: dies at the end of the block
        b.clear();
    }
    tick().await;
}

struct Lease;
struct LeaseToken;

impl Lease {
    fn lock(&self) -> LeaseToken {
        LeaseToken
    }
}

async fn not_a_lock(lease: &Lease) {
    let token = lease.lock(); // ok: Lease::lock is not a known lock
    tick().await;
    drop(token);
}

async fn unknown_receiver<T: Lockable>(x: &T) {
    let g = x.lock(); // ok: unknown type, bare .lock() is not guessed
    tick().await;
    drop(g);
}

trait Lockable {
    fn lock(&self) -> u32;
}

struct Ui {
    state: RefCell<HashMap<String, String>>,
}

impl Ui {
    async fn refcell_field(&self) {
        let s = self.state.borrow(); //~ lock_across_await
        tick().await;
        drop(s);
    }
}
