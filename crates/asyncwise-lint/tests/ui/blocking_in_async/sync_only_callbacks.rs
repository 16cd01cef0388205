// Readings: tokio's `blocking_send`, `blocking_recv` and `blocking_lock` panic in async code
// and exist for sync code only. A sync closure that calls one, handed to a callee this file
// cannot see into (a file watcher's callback, a native dialog's, a library's worker thread),
// is taken at its author's word: it runs on another thread. Where the callee is known to run
// the closure at once on the caller's thread (`map`, `and_then`, `for_each`, ...), the call is
// in async code and panics.
use tokio::sync::mpsc;

pub async fn watch(dir: std::path::PathBuf, tx: mpsc::Sender<String>) -> hotwatch::Result<()> {
    let mut watcher = hotwatch::Hotwatch::new()?;
    let events = tx.clone();
    watcher.watch(dir, move |event| {
        let _ = events.blocking_send(format!("{event:?}")); // ok: a watcher thread's callback
    })?;
    dialogs::pick_file(move |path| {
        let _ = tx.blocking_send(path); // ok: the dialog's own thread
    });
    Ok(())
}

pub async fn drain_now(rx: &mut mpsc::Receiver<u32>, ids: Vec<u32>) -> Vec<u32> {
    ids.iter()
        .map(|_| rx.blocking_recv().unwrap_or(0)) //~ blocking_in_async
        .collect()
}
