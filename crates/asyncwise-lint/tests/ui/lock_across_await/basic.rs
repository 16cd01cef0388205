// lock_across_await: bound guards of std locks alive at an `.await` of the same body. The
// finding is reported on the line where the guard is acquired.
//
// Readings chosen where the issue is not explicit:
// - `.lock().unwrap()` / `.lock().expect(..)` is a std lock even when the receiver's type is
//   unknown; a bare `.lock()` needs a known lock type.
// - A guard only borrowed by a call (`render(&g)`) is still alive; one passed by value is
//   moved away.
// - `let _g = ..` keeps the guard; `let _ = ..` drops it at once.
// - Shadowing a guard's name does not drop the guard.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

async fn flush(_items: Vec<String>) {}

async fn held(m: &Mutex<Vec<String>>) {
    let g = m.lock().unwrap(); //~ lock_across_await
    flush(g.clone()).await;
}

async fn held_expect(m: Arc<Mutex<u64>>) {
    let mut n = m.lock().expect("poisoned"); //~ lock_across_await
    *n += 1;
    tokio::time::sleep(Duration::from_millis(10)).await;
}

async fn held_field(state: Arc<Shared>) {
    let queue = state.queue.lock().unwrap(); //~ lock_across_await
    tokio::task::yield_now().await;
    drop(queue);
}

struct Shared {
    queue: Mutex<Vec<String>>,
}

async fn held_underscore_name(m: &Mutex<()>) {
    let _guard = m.lock().unwrap(); //~ lock_across_await
    tokio::time::sleep(Duration::from_millis(1)).await;
}

async fn dropped_underscore(m: &Mutex<()>) {
    let _ = m.lock().unwrap(); // ok: `let _` drops the guard immediately
    tokio::time::sleep(Duration::from_millis(1)).await;
}

async fn dropped_explicitly(m: &Mutex<Vec<String>>) {
    let g = m.lock().unwrap(); // ok: dropped before the await
    let items = g.clone();
    drop(g);
    flush(items).await;
}

async fn dropped_mem_drop(m: &Mutex<Vec<String>>) {
    let g = m.lock().unwrap(); // ok: std::mem::drop before the await
    let items = g.clone();
    std::mem::drop(g);
    flush(items).await;
}

fn consume(_g: std::sync::MutexGuard<'_, Vec<String>>) {}

async fn moved_away(m: &Mutex<Vec<String>>) {
    let g = m.lock().unwrap(); // ok: moved into `consume`
    consume(g);
    flush(Vec::new()).await;
}

fn render(g: &[String]) -> String {
    g.join(",")
}

async fn borrowed_only(m: &Mutex<Vec<String>>) {
    let g = m.lock().unwrap(); //~ lock_across_await
    let line = render(&g);
    flush(vec![line]).await;
}

async fn shadowed(m: &Mutex<Vec<String>>) {
    let g = m.lock().unwrap(); //~ lock_across_await
    let g = g.len();
    tokio::time::sleep(Duration::from_millis(g as u64)).await;
}

async fn rwlock_read(table: &RwLock<HashMap<String, String>>, key: &str) -> Option<String> {
    let t = table.read().unwrap(); //~ lock_across_await
    let v = t.get(key).cloned();
    tokio::task::yield_now().await;
    v
}

async fn rwlock_write(table: &RwLock<HashMap<String, String>>) {
    let mut t = table.write().unwrap(); //~ lock_across_await
    t.clear();
    flush(Vec::new()).await;
}

async fn try_lock_held(m: &Mutex<Vec<String>>) {
    if let Ok(g) = m.try_lock() { //~ lock_across_await
        flush(g.clone()).await;
    }
}

async fn io_read_is_not_a_lock(mut f: tokio::fs::File) -> std::io::Result<usize> {
    use tokio::io::AsyncReadExt;
    let mut buf = vec![0u8; 1024];
    let n = f.read(&mut buf).await?; // ok: read with arguments is I/O, not RwLock::read
    flush(Vec::new()).await;
    Ok(n)
}

fn sync_fn(m: &Mutex<Vec<String>>) -> usize {
    let g = m.lock().unwrap(); // ok: no await in a sync fn
    g.len()
}

async fn no_await_after(m: &Mutex<Vec<String>>) -> usize {
    flush(Vec::new()).await;
    let g = m.lock().unwrap(); // ok: no await while held
    g.len()
}
