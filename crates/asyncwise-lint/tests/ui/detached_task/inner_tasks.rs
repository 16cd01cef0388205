// detached_task: detached tasks that wait for a task or thread they spawned, or for a handle
// from elsewhere, and unwrap its result.
//
// Readings chosen where the issue is not explicit:
// - A task that can only panic is the pedantic form, whatever it unwraps: the inner task's
//   result (`handle.await.unwrap()`, `tokio::spawn(..).await.unwrap()`, a std thread's
//   `join().expect(..)`), a handle from elsewhere, a send inside a closure the body runs
//   (`for_each_concurrent`): the panic hook prints every one of those panics.
// - An `Err` the body returns, or a `?`, keeps the default form whatever its panics.

use futures::StreamExt;
use tokio::sync::mpsc;

async fn fetch(id: u64) -> Result<Vec<u8>, std::io::Error> {
    Ok(vec![id as u8])
}

fn stream_inner_result(tx: mpsc::Sender<Vec<u8>>, id: u64) {
    tokio::spawn(async move { //~ detached_task(pedantic)
        let version = tokio::spawn(async move { fetch(id).await });
        let first = vec![0u8];
        if tx.send(first).await.is_err() {
            return;
        }
        match version.await.unwrap() {
            Ok(rest) => {
                let _ = tx.send(rest).await;
            }
            Err(e) => eprintln!("fetch failed: {e}"),
        }
    });
}

fn direct_inner_join() {
    tokio::spawn(async { //~ detached_task(pedantic)
        let n = tokio::spawn(async { 40 + 2 }).await.expect("inner task");
        println!("{n}");
    });
}

// (joining a thread blocks the worker: a finding of its own)
fn thread_join_in_task() {
    tokio::spawn(async { //~ detached_task(pedantic)
        let worker = std::thread::spawn(|| 7);
        let n = worker.join().expect("worker thread"); //~ blocking_in_async
        println!("{n}");
    });
}

fn foreign_handle(handle: tokio::task::JoinHandle<u64>) {
    tokio::spawn(async move { //~ detached_task(pedantic)
        let n = handle.await.unwrap();
        println!("{n}");
    });
}

fn inner_join_then_error() {
    tokio::spawn(async move { //~ detached_task
        let h = tokio::spawn(async { fetch(1).await });
        let bytes = h.await.unwrap()?;
        println!("{}", bytes.len());
        Ok::<(), std::io::Error>(())
    });
}

fn concurrent_sends(tx: mpsc::Sender<u64>) {
    tokio::spawn(async move { //~ detached_task(pedantic)
        futures::stream::iter(0..100u64)
            .for_each_concurrent(4, |i| {
                let tx = tx.clone();
                async move { tx.send(i).await.expect("receiver alive") }
            })
            .await;
    });
}

fn inner_join_and_a_send(tx: mpsc::Sender<u64>) {
    tokio::spawn(async move { //~ detached_task(pedantic)
        let n = tokio::spawn(async { 1u64 }).await.unwrap();
        tx.send(n).await.unwrap();
    });
}

fn kept_handle() -> tokio::task::JoinHandle<u64> {
    // ok: the handle is returned
    tokio::spawn(async { tokio::spawn(async { 3u64 }).await.unwrap() })
}
