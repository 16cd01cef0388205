// A sync `main` that builds a multi-thread runtime itself and hands a future to its `block_on`:
// that future is polled on the main thread, the spawned tasks on the workers, as with
// `#[tokio::main]`. Blocking in code polled only there stalls `main`'s own future: the pedantic
// form. Code a spawned task runs, or a future joined beside another, stays default.
// Readings: `Runtime::new()` is the multi-thread scheduler (tokio's docs); the async block may
// be handed over from a thread `main` spawns for a bigger stack.
use std::time::Duration;

fn main() -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(run())?;
    let second = tokio::runtime::Runtime::new()?;
    std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(move || {
            second.block_on(async {
                compact().await;
                tokio::join!(upload(), index());
            })
        })?
        .join()
        .ok();
    Ok(())
}

async fn run() -> std::io::Result<()> {
    tokio::spawn(heartbeat());
    migrate().await;
    Ok(())
}

async fn migrate() {
    std::thread::sleep(Duration::from_millis(10)); //~ blocking_in_async(pedantic)
}

async fn compact() {
    std::thread::sleep(Duration::from_millis(10)); //~ blocking_in_async(pedantic)
}

// Joined beside `index`: the sleep stalls the other branch.
async fn upload() {
    std::thread::sleep(Duration::from_millis(10)); //~ blocking_in_async
}

async fn index() {}

// A spawned task runs on the workers, beside everything else.
async fn heartbeat() {
    loop {
        std::thread::sleep(Duration::from_millis(10)); //~ blocking_in_async
        tokio::task::yield_now().await;
    }
}
