// Readings: the body of a task spawned with `tokio::spawn` (or another spawn whose task outlives
// its handle) and whose handle is discarded cannot be cancelled while the runtime runs: its
// leaving call is not reported. A kept handle counts as a way to cancel the task only when the
// file aborts tasks (`abort()`, `abort_handle()`, `AbortOnDropHandle`; see aborted_tasks.rs):
// this file aborts none, so a kept (returned) tokio handle is the pedantic form, a task nobody
// aborts. A `JoinSet` task (or a `smol::spawn` one) is cancelled when its owner is dropped, and
// an async block nested inside the task can be dropped by a `select!` or a timeout: those stay
// reported.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

static WORKERS: AtomicUsize = AtomicUsize::new(0);

async fn dispatch(job: Job) {
    tokio::spawn(async move {
        WORKERS.fetch_add(1, Ordering::Relaxed);
        job.run().await;
        WORKERS.fetch_sub(1, Ordering::Relaxed); // ok: a detached tokio task is not cancelled
    });
}

async fn dispatch_on(handle: tokio::runtime::Handle, active: Arc<AtomicUsize>, job: Job) {
    handle.spawn(async move {
        active.fetch_add(1, Ordering::SeqCst);
        job.run().await;
        active.fetch_sub(1, Ordering::SeqCst); // ok: the runtime handle's task outlives its dropped handle
    });
}

async fn kept_handle(active: Arc<AtomicUsize>, job: Job) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        active.fetch_add(1, Ordering::SeqCst);
        job.run().await;
        active.fetch_sub(1, Ordering::SeqCst); //~ cleanup_after_await(pedantic)
    })
}

async fn in_a_join_set(set: &mut tokio::task::JoinSet<()>, active: Arc<AtomicUsize>, job: Job) {
    set.spawn(async move {
        active.fetch_add(1, Ordering::SeqCst);
        job.run().await;
        active.fetch_sub(1, Ordering::SeqCst); //~ cleanup_after_await
    });
}

async fn nested_under_timeout(active: Arc<AtomicUsize>, job: Job) {
    tokio::spawn(async move {
        let _ = tokio::time::timeout(Duration::from_secs(5), async {
            active.fetch_add(1, Ordering::SeqCst);
            job.run().await;
            active.fetch_sub(1, Ordering::SeqCst); //~ cleanup_after_await
        })
        .await;
    });
}
