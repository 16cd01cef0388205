// blocking_in_async: a closure bound by `let` runs where it is called. Called only inside a
// closure handed to an offloader (`spawn_blocking(move || work())`), it runs on the blocking
// pool, like a closure handed to the offloader by name; called in the async body as well, it
// also runs there (filesystem work off every per-event path: the pedantic form).

use std::path::PathBuf;

async fn compact(path: PathBuf, tx: tokio::sync::mpsc::Sender<u64>) -> std::io::Result<()> {
    let work = move || -> std::io::Result<()> {
        let bytes = std::fs::read(&path)?; // ok: only called inside spawn_blocking's closure
        // ok: `blocking_send` is meant for exactly this thread
        let _ = tx.blocking_send(bytes.len() as u64);
        Ok(())
    };
    tokio::task::spawn_blocking(move || work()).await??;
    Ok(())
}

async fn index(root: PathBuf) -> std::io::Result<usize> {
    let scan = |dir: &PathBuf| std::fs::read_dir(dir).map(|d| d.count()); // ok: offloaded below
    let count = tokio::task::spawn_blocking(move || {
        let n = scan(&root)?;
        Ok::<_, std::io::Error>(n)
    })
    .await??;
    Ok(count)
}

async fn both(path: PathBuf) -> std::io::Result<usize> {
    let size = |p: &PathBuf| std::fs::metadata(p).map(|m| m.len() as usize); //~ blocking_in_async(pedantic)
    let first = size(&path)?;
    let again = path.clone();
    let second = tokio::task::spawn_blocking(move || size(&again)).await??;
    Ok(first + second)
}
