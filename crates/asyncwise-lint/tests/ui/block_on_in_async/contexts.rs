// block_on_in_async: async contexts (async blocks, async closures, inline sync closures,
// `#[tokio::main]`, `#[tokio::test]`) versus sync and offloaded ones (nested sync fns,
// `spawn_blocking`, `block_in_place`, `std::thread::spawn`) where `block_on` is the idiom for
// calling async code from sync code.

use std::time::Duration;
use tokio::runtime::Handle;

async fn step(n: u32) -> u32 {
    tokio::time::sleep(Duration::from_millis(1)).await;
    n * 2
}

async fn inline_closure(ns: Vec<u32>) -> Vec<u32> {
    ns.into_iter().map(|n| futures::executor::block_on(step(n))).collect() //~ block_on_in_async
}

async fn async_block_in_async() -> u32 {
    let fut = async {
        futures::executor::block_on(step(1)) //~ block_on_in_async
    };
    fut.await
}

fn async_block_in_sync() -> impl std::future::Future<Output = u32> {
    async {
        Handle::current().block_on(step(2)) //~ block_on_in_async
    }
}

async fn async_closure() -> u32 {
    let f = async |n: u32| pollster::block_on(step(n)); //~ block_on_in_async
    f(3).await
}

async fn nested_sync_fn() -> u32 {
    fn helper(h: &Handle) -> u32 {
        h.block_on(step(4)) // ok: nested sync fn
    }
    let _ = helper;
    step(4).await
}

async fn offloaded_spawn_blocking() -> u32 {
    let handle = Handle::current();
    tokio::task::spawn_blocking(move || handle.block_on(step(5))) // ok: spawn_blocking
        .await
        .unwrap_or(0)
}

async fn offloaded_block_in_place() -> u32 {
    tokio::task::block_in_place(|| Handle::current().block_on(step(6))) // ok: block_in_place
}

async fn offloaded_thread() -> u32 {
    let t = std::thread::spawn(|| futures::executor::block_on(step(7))); // ok: own thread
    let _ = t;
    0
}

async fn offloaded_rayon() {
    rayon::spawn(|| {
        let _ = futures::executor::block_on(step(8)); // ok: rayon::spawn
    });
}

#[tokio::main]
async fn main() {
    let n = futures::executor::block_on(step(9)); //~ block_on_in_async
    let m = inline_closure(vec![n]).await;
    let _ = (m, async_block_in_async().await, async_closure().await, nested_sync_fn().await);
    let _ = (offloaded_spawn_blocking().await, offloaded_block_in_place().await, offloaded_thread().await);
    offloaded_rayon().await;
    let _ = async_block_in_sync();
}

#[tokio::test]
async fn step_doubles() {
    assert_eq!(smol::block_on(step(2)), 4); //~ block_on_in_async
}

#[test]
fn step_doubles_sync() {
    assert_eq!(futures::executor::block_on(step(2)), 4); // ok: sync test
}

#[test]
fn step_doubles_on_runtime() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    assert_eq!(rt.block_on(step(2)), 4); // ok: sync test
}
