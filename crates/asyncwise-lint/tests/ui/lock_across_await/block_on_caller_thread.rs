// lock_across_await: guards in an async block that sync code hands straight to `block_on`.
//
// Readings chosen:
// - The calling thread polls such a future and waits for it: no runtime worker holds the lock
//   and the future is never spawned, so the guard is the pedantic form (a language binding's
//   method serialising calls on a table lock, a sync API over an async client).
// - A `main` that builds the runtime and hands its program to `block_on` is not such a caller:
//   its tasks run beside that future and may lock the same lock (default form).
// - `block_on` inside async code is its own finding (`block_on_in_async`); the guard in its
//   block is judged as any async body's.
// - A future made elsewhere and named at the `block_on` is not followed.
// - Not on a runtime held in a local (`rt.block_on(..)`, perhaps built right there to run a
//   program), nor for a block that spawns tasks: those tasks run on the workers beside the
//   block and may lock what it holds (default form).

use std::sync::{Arc, Mutex};

fn rt() -> &'static tokio::runtime::Runtime {
    unimplemented!()
}

struct Table {
    version: u64,
}

impl Table {
    async fn load_version(&mut self, v: u64) -> Result<(), String> {
        self.version = v;
        tokio::task::yield_now().await;
        Ok(())
    }
}

pub struct Binding {
    table: Arc<Mutex<Table>>,
}

impl Binding {
    pub fn load_version(&self, version: u64) -> Result<(), String> {
        rt().block_on(async {
            let mut table = self.table.lock().map_err(|e| e.to_string())?; //~ lock_across_await(pedantic)
            table.load_version(version).await
        })
    }

    pub fn load_pinned(&self, version: u64) -> Result<(), String> {
        tokio::runtime::Handle::current().block_on(Box::pin(async move {
            let mut table = self.table.lock().unwrap(); //~ lock_across_await(pedantic)
            table.load_version(version).await
        }))
    }

    pub fn load_with_futures(&self, version: u64) -> Result<(), String> {
        futures::executor::block_on(async {
            let mut table = self.table.lock().unwrap(); //~ lock_across_await(pedantic)
            table.load_version(version).await
        })
    }

    pub fn spawned(&self, version: u64) {
        let table = Arc::clone(&self.table);
        rt().spawn(async move {
            let mut t = table.lock().unwrap(); //~ lock_across_await
            let _ = t.load_version(version).await;
        });
    }

    pub fn nested_task(&self, version: u64) {
        let table = Arc::clone(&self.table);
        rt().block_on(async move {
            let inner = tokio::spawn(async move {
                let mut t = table.lock().unwrap(); //~ lock_across_await
                let _ = t.load_version(version).await;
            });
            let _ = inner.await;
        });
    }

    pub fn holds_while_a_task_runs(&self) {
        // The block spawns a task that locks the same table on a worker: the default form.
        let table = Arc::clone(&self.table);
        rt().block_on(async move {
            let other = Arc::clone(&table);
            let task = tokio::spawn(async move {
                other.lock().unwrap().version += 1;
            });
            let t = table.lock().unwrap(); //~ lock_across_await
            let _ = task.await;
            drop(t);
        });
    }
}

fn run_server() {
    // A runtime built here, in a local, to run the program: the default form.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let shared = Arc::new(Mutex::new(Table { version: 0 }));
    runtime.block_on(async {
        let mut t = shared.lock().unwrap(); //~ lock_across_await
        let _ = t.load_version(3).await;
    });
}

impl Binding {

    pub fn dropped_first(&self, version: u64) -> Result<(), String> {
        rt().block_on(async {
            let v = self.table.lock().unwrap().version; // ok: a temporary, gone before the await
            tokio::task::yield_now().await;
            let _ = (v, version);
            Ok(())
        })
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().build().unwrap();
    let shared = Arc::new(Mutex::new(Table { version: 0 }));
    runtime.block_on(async {
        let mut t = shared.lock().unwrap(); //~ lock_across_await
        let _ = t.load_version(1).await;
    });
}

async fn inside_async(table: Arc<Mutex<Table>>) {
    let rt = tokio::runtime::Handle::current();
    rt.block_on(async { //~ block_on_in_async
        let mut t = table.lock().unwrap(); //~ lock_across_await
        let _ = t.load_version(2).await;
    });
}
