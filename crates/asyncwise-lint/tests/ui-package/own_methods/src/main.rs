// A method call means the method of its receiver's type. The crate's own types are brought in
// by glob re-exports (`pub use session::*;`), so their paths are not resolved in this file, but
// their names are known: `Session { .. }.serve()` is `Session::serve`, which returns `()`, not
// the fallible `serve` of `Gateway`. And the crate's own zero-argument `snapshot`-style getters
// named `read`/`lock` (here `Latch::read`, returning an owned `Option`) are not lock guards
// when the receiver's type is not known; a real std lock in a field of another file still is.
mod gateway;
mod latch;
mod session;
mod store;

pub use gateway::*;
pub use latch::*;
pub use session::*;

#[tokio::main]
async fn main() {
    let gateway = Gateway::new(7000);
    let first = gateway.clone();
    tokio::spawn(async move { first.serve().await }); //~ detached_task
    let socket = accept().await;
    let session = Session { id: 1, socket };
    tokio::spawn(session.serve()); // ok: `Session::serve` returns () and logs its errors
}

/// A generic receiver is no known type: any `serve` of the crate may be the call, and they
/// disagree (`Gateway::serve` returns a `Result`, `Session::serve` returns `()`), so the task
/// is not judged.
pub fn start_any<S: Serve + Send + 'static>(service: S) {
    tokio::spawn(service.serve()); // ok: which `serve` is not known
}

pub trait Serve {
    fn serve(self) -> impl std::future::Future<Output = std::io::Result<()>> + Send;
}

async fn accept() -> u32 {
    0
}

pub async fn settle(source: std::sync::Arc<dyn LatchSource>, store: &store::Store) {
    let outcome = source.latch().read().expect("set before settle"); // ok: `Latch::read` returns an owned Option, no guard
    step(1).await;
    record(outcome);
    let entries = store.entries.read().unwrap(); //~ lock_across_await
    step(entries.len() as u32).await;
}

async fn step(_n: u32) {}

fn record(_outcome: Option<u32>) {}
