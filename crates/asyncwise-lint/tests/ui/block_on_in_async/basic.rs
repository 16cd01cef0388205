// block_on_in_async: every listed `block_on` in async contexts, and the same calls in sync
// code, where they are how a runtime is entered.
//
// Readings chosen where the issue is not explicit:
// - A runtime's type is known from `Runtime::new()` (also through `?`/`unwrap()`), from
//   `Handle::current()`, and from annotations; `.block_on(..)` on an unknown receiver is not
//   reported.

use std::future::Future;
use std::time::Duration;

async fn compute() -> u64 {
    42
}

async fn nested_executor() -> u64 {
    futures::executor::block_on(compute()) //~ block_on_in_async
}

async fn nested_handle() -> u64 {
    tokio::runtime::Handle::current().block_on(compute()) //~ block_on_in_async
}

async fn nested_runtime() -> std::io::Result<u64> {
    let rt = tokio::runtime::Runtime::new()?;
    Ok(rt.block_on(compute())) //~ block_on_in_async
}

async fn nested_runtime_chain() -> u64 {
    tokio::runtime::Runtime::new().unwrap().block_on(compute()) //~ block_on_in_async
}

async fn other_executors() -> u64 {
    let a = async_std::task::block_on(compute()); //~ block_on_in_async, mixed_runtimes
    let b = smol::block_on(compute()); //~ block_on_in_async
    let c = pollster::block_on(compute()); //~ block_on_in_async
    a + b + c
}

async fn awaited() -> u64 {
    compute().await // ok: awaited
}

fn run_sync() -> u64 {
    futures::executor::block_on(compute()) // ok: sync fn
}

fn run_on_new_runtime<F: Future>(fut: F) -> F::Output {
    tokio::runtime::Runtime::new().unwrap().block_on(fut) // ok: sync fn
}

fn run_others() -> u64 {
    async_std::task::block_on(compute()) // ok: sync fn
        + smol::block_on(compute()) // ok: sync fn
        + pollster::block_on(compute()) // ok: sync fn
}

struct LocalExecutor;

impl LocalExecutor {
    fn block_on<F: Future>(&self, _fut: F) -> Option<F::Output> {
        None
    }
}

async fn unknown_receiver(exec: &LocalExecutor) {
    let _ = exec.block_on(compute()); // ok: not a runtime type
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let n = rt.block_on(async { // ok: sync fn main enters the runtime
        tokio::time::sleep(Duration::from_millis(1)).await;
        compute().await
    });
    println!("{n}");
    let _ = run_sync() + run_others() + run_on_new_runtime(compute());
}
