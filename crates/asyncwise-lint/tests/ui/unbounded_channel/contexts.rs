// unbounded_channel: `std::sync::mpsc::channel` and `crossbeam_channel::unbounded` only fire in
// an async context (they are the normal tool for thread pipelines in sync code), while the
// async-channel constructors fire everywhere.
//
// Reading chosen where the issue is not explicit: inside a closure handed to an offloader
// (`spawn_blocking`, `std::thread::spawn`, rayon) the std/crossbeam constructors are sync
// context and do not fire.

use std::sync::mpsc;
use std::thread;

fn pipeline_sync(inputs: Vec<u64>) -> u64 {
    let (tx, rx) = mpsc::channel(); // ok: std channel in sync code
    let (ctx, crx) = crossbeam_channel::unbounded::<u64>(); // ok: crossbeam in sync code
    let t = thread::spawn(move || {
        for x in inputs {
            tx.send(x).ok();
            ctx.send(x).ok();
        }
    });
    let _ = t.join();
    rx.try_iter().sum::<u64>() + crx.try_iter().sum::<u64>()
}

async fn pipeline_async(inputs: Vec<u64>) -> usize {
    let (tx, _rx) = mpsc::channel::<u64>(); //~ unbounded_channel
    let (ctx, _crx) = crossbeam_channel::unbounded::<u64>(); //~ unbounded_channel
    for x in inputs {
        tx.send(x).ok();
        ctx.send(x).ok();
    }
    0
}

async fn std_full_path() {
    let (_tx, _rx) = std::sync::mpsc::channel::<String>(); //~ unbounded_channel(pedantic)
}

async fn std_sync_channel_is_bounded() {
    let (_tx, _rx) = mpsc::sync_channel::<String>(16); // ok: bounded
}

async fn inline_closure(items: Vec<u8>) -> Vec<usize> {
    items
        .iter()
        .map(|_| {
            let (_tx, _rx) = crossbeam_channel::unbounded::<u8>(); //~ unbounded_channel(pedantic)
            0
        })
        .collect()
}

async fn in_async_block() {
    let fut = async {
        let (_tx, _rx) = mpsc::channel::<u8>(); //~ unbounded_channel(pedantic)
    };
    fut.await;
}

async fn offloaded() -> u64 {
    let r = tokio::task::spawn_blocking(|| {
        let (tx, rx) = mpsc::channel::<u64>(); // ok: offloaded closure
        tx.send(1).ok();
        rx.recv().unwrap_or(0)
    })
    .await;
    let t = std::thread::spawn(|| {
        let (_tx, _rx) = crossbeam_channel::unbounded::<u64>(); // ok: own thread
    });
    let _ = t;
    rayon::spawn(|| {
        let (_tx, _rx) = std::sync::mpsc::channel::<u64>(); // ok: rayon::spawn
    });
    r.unwrap_or(0)
}

async fn offloaded_but_tokio_unbounded() {
    let t = tokio::task::spawn_blocking(|| {
        let (_tx, _rx) = tokio::sync::mpsc::unbounded_channel::<u64>(); //~ unbounded_channel(pedantic)
    });
    let _ = t.await;
}

async fn outer_async_nested_sync() {
    fn helper() {
        let (_tx, _rx) = mpsc::channel::<u8>(); // ok: nested sync fn
        let (_a, _b) = flume::unbounded::<u8>(); //~ unbounded_channel(pedantic)
    }
    helper();
}

fn sync_returns_future() -> impl std::future::Future<Output = ()> {
    let (_tx, _rx) = mpsc::channel::<u8>(); // ok: sync fn body
    async move {
        let (_tx2, _rx2) = mpsc::channel::<u8>(); //~ unbounded_channel(pedantic)
    }
}

#[tokio::main]
async fn main() {
    let _ = pipeline_sync(vec![1, 2, 3]); //~ blocking_in_async(pedantic)
    let _ = pipeline_async(vec![1]).await;
    let (_tx, _rx) = crossbeam_channel::bounded::<u8>(1); // ok: bounded
    let _ = offloaded().await;
}
