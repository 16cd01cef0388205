// Readings: a kept handle is a way to cancel its task when the file aborts tasks (`abort()`,
// `abort_handle()`, tokio-util's `AbortOnDropHandle`): the handle is not followed to the call,
// the file is the unit. A smol `Task` cancels its task when dropped, so keeping it is enough.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

async fn worker(live: Arc<AtomicUsize>, jobs: Jobs) {
    live.fetch_add(1, Ordering::Relaxed);
    jobs.drain().await;
    live.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await
}

pub struct Supervisor {
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Supervisor {
    pub async fn start(&mut self, live: Arc<AtomicUsize>, jobs: Jobs) {
        self.task = Some(tokio::spawn(worker(live, jobs)));
    }

    pub fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

async fn smol_worker(live: Arc<AtomicUsize>, jobs: Jobs) {
    live.fetch_add(1, Ordering::Relaxed);
    jobs.drain().await;
    live.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await
}

pub async fn smol_kept(ex: &smol::Executor<'static>, live: Arc<AtomicUsize>, jobs: Jobs) -> smol::Task<()> {
    ex.spawn(smol_worker(live, jobs))
}

async fn detached_worker(live: Arc<AtomicUsize>, jobs: Jobs) {
    live.fetch_add(1, Ordering::Relaxed);
    jobs.drain().await;
    live.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await(pedantic)
}

pub async fn fire_and_forget(live: Arc<AtomicUsize>, jobs: Jobs) {
    // ok (for the default form): the handle is dropped at once, nothing can abort the task
    tokio::spawn(detached_worker(live, jobs));
}
