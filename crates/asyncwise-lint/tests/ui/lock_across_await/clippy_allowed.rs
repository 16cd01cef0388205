// Where the code allows clippy's lint for the same guards (`await_holding_lock` for std and
// parking_lot locks, `await_holding_refcell_ref` for `RefCell` borrows), on the function, its
// impl or its module, the team has decided to hold the lock: the pedantic form. A `deny`, or an
// allow of another lint, changes nothing, nor does an allow of the lint for another kind of
// guard.
use std::cell::RefCell;
use std::sync::Mutex;

struct Handle {
    inner: Mutex<Vec<u8>>,
    cache: dashmap::DashMap<u32, u32>,
}

impl Handle {
    // the map is written, so its shard guards have contenders
    fn remember(&self, key: u32) {
        self.cache.insert(key, key);
    }

    #[allow(clippy::await_holding_lock)]
    async fn write_serialised(&self, op: &Op) {
        let guard = self.inner.lock().unwrap(); //~ lock_across_await(pedantic)
        op.write(&guard).await;
    }

    #[expect(clippy::await_holding_lock, reason = "driven by block_on on the caller's thread")]
    async fn read_serialised(&self, op: &Op) {
        let guard = self.inner.lock().unwrap(); //~ lock_across_await(pedantic)
        op.read(&guard).await;
    }

    #[allow(clippy::await_holding_lock)]
    async fn shard_across(&self, op: &Op) {
        // a dashmap reference is not a guard clippy's lint covers: the allow says nothing here
        let entry = self.cache.get(&1); //~ lock_across_await
        op.read(&entry).await;
    }

    #[deny(clippy::await_holding_lock)]
    async fn denied(&self, op: &Op) {
        let guard = self.inner.lock().unwrap(); //~ lock_across_await
        op.write(&guard).await;
    }

    #[allow(clippy::too_many_arguments)]
    async fn other_lint(&self, op: &Op) {
        let guard = self.inner.lock().unwrap(); //~ lock_across_await
        op.write(&guard).await;
    }
}

#[allow(clippy::await_holding_refcell_ref)]
mod local_tasks {
    use super::*;

    pub async fn render(cell: &RefCell<Vec<u8>>, op: &Op) {
        let view = cell.borrow(); //~ lock_across_await(pedantic)
        op.read(&view).await;
    }
}
