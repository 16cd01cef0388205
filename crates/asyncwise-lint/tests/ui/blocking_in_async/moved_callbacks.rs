// Readings: a `move` closure handed to a callee this file cannot see into takes ownership
// because it outlives the call: a file watcher's event handler, a job sent to a worker pool, a
// callback a library keeps. It runs elsewhere, not in the async code that writes it. A callee
// known to run its closure at once (`map`, `get_or_init`, `or_insert_with`, `sort_by_key`) runs
// a `move` closure inline all the same. A closure that is not `move` handed to an unknown
// callee is taken to run inline (a helper that calls it before it returns).
use std::collections::HashMap;
use std::sync::OnceLock;

static SALT: OnceLock<Vec<u8>> = OnceLock::new();

pub async fn watch(root: std::path::PathBuf, pool: &WorkerPool) {
    let index = root.join("index");
    fswatch::watch(&root, move |event| {
        let _ = std::fs::write(&index, format!("{event:?}")); // ok: the watcher's own thread
    });
    pool.execute(move || std::fs::read("job.bin").map(|b| b.len()).unwrap_or(0)); // ok: a pool thread
}

pub async fn salt() -> usize {
    SALT.get_or_init(move || std::fs::read("salt").unwrap_or_default()).len() //~ blocking_in_async(pedantic)
}

pub async fn size_of(sizes: &mut HashMap<u32, u64>, id: u32) -> u64 {
    let name = format!("{id}.dat");
    *sizes
        .entry(id)
        .or_insert_with(move || std::fs::metadata(name).map(|m| m.len()).unwrap_or(0)) //~ blocking_in_async(pedantic)
}

pub async fn config_len() -> usize {
    with_retries(|| std::fs::read("config.toml")).map(|c| c.len()).unwrap_or(0) //~ blocking_in_async
}
