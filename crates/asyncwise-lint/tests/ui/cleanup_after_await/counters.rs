// Readings: the leaving call is reported when it is a statement of the same async body as the
// entering call (at any block depth), on the same receiver as written, with an `.await` of this
// body between them. A leaving call in a closure (a guard) or with no await between is silent.
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

struct Server {
    in_flight: AtomicUsize,
    busy: AtomicBool,
    client: Client,
}

impl Server {
    async fn fetch(&self, url: &str) -> Result<Body, Error> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        let body = self.client.get(url).await?; //~ cleanup_after_await
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        Ok(body)
    }

    pub async fn flush(&self) {
        self.busy.store(true, Ordering::SeqCst);
        self.client.flush().await;
        self.busy.store(false, Ordering::SeqCst); //~ cleanup_after_await(pedantic)
    }

    async fn count_then_sleep(&self) {
        // ok: the counter is lowered before the await
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }

    async fn guarded(&self, url: &str) -> Result<Body, Error> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        // ok: the leaving call runs in a Drop guard
        let _leave = scopeguard::guard((), |_| {
            self.in_flight.fetch_sub(1, Ordering::Relaxed);
        });
        self.client.get(url).await
    }

    async fn different_counters(&self, other: &AtomicUsize) {
        // ok: raised on one counter, lowered on another
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        self.client.flush().await;
        other.fetch_sub(1, Ordering::Relaxed);
    }
}

async fn shared_counter(active: Arc<AtomicUsize>, job: Job) {
    active.fetch_add(1, Ordering::AcqRel);
    let outcome = job.run().await;
    report(outcome);
    let _ = active.fetch_sub(1, Ordering::AcqRel); //~ cleanup_after_await(pedantic)
}

async fn in_a_spawned_block(active: Arc<AtomicUsize>, job: Job) {
    tokio::spawn(async move {
        active.fetch_add(1, Ordering::Relaxed);
        job.run().await;
        active.fetch_sub(1, Ordering::Relaxed); // ok: a detached task is cancelled only at runtime shutdown (see detached_tasks.rs)
    });
}

pub async fn lowered_in_a_branch(active: &AtomicUsize, job: Job) {
    active.fetch_add(1, Ordering::Relaxed);
    if job.urgent() {
        job.run().await;
        active.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await
    }
}

fn sync_code(active: &AtomicUsize, job: &Job) {
    // ok: no await in sync code
    active.fetch_add(1, Ordering::Relaxed);
    job.run_blocking();
    active.fetch_sub(1, Ordering::Relaxed);
}

async fn awaits_only_in_a_closure(active: &AtomicUsize, jobs: Vec<Job>) {
    active.fetch_add(1, Ordering::Relaxed);
    // ok: the await belongs to the async blocks built by the closure, not to this body
    let futures: Vec<_> = jobs.into_iter().map(|j| async move { j.run().await }).collect();
    active.fetch_sub(1, Ordering::Relaxed);
    drop(futures);
}

pub async fn unwrapped_result(counter: &AtomicUsize, sem: &tokio::sync::Semaphore) {
    counter.fetch_add(1, Ordering::Relaxed);
    let _permit = sem.acquire().await.unwrap();
    counter.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await
}

async fn decremented_twice(counter: &AtomicUsize, job: Job) {
    counter.fetch_add(1, Ordering::Relaxed);
    counter.fetch_sub(1, Ordering::Relaxed);
    job.run().await;
    // ok: this one pairs with nothing: the counter was already lowered before the await
    counter.fetch_sub(1, Ordering::Relaxed);
}

// Readings for the cancellation form: a private fn is reported by default only when the file
// shows it can be dropped mid-await (polled in `select!` or `timeout(..)`, a request handler, a
// task whose handle is kept); otherwise its finding is pedantic.
async fn polled_by_timeout(active: &AtomicUsize, job: Job) {
    active.fetch_add(1, Ordering::Relaxed);
    job.run().await;
    active.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await
}

async fn with_deadline(active: &AtomicUsize, job: Job) {
    let _ = tokio::time::timeout(Duration::from_secs(1), polled_by_timeout(active, job)).await;
}

async fn raced(active: &AtomicUsize, job: Job) {
    active.fetch_add(1, Ordering::Relaxed);
    job.run().await;
    active.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await
}

async fn race(active: &AtomicUsize, job: Job, stop: Stop) {
    tokio::select! {
        _ = raced(active, job) => {}
        _ = stop.wait() => {}
    }
}

// A per-connection loop run to completion by a task nobody aborts: pedantic only.
async fn connection_loop(active: &AtomicUsize, conn: Conn) {
    active.fetch_add(1, Ordering::Relaxed);
    conn.run().await;
    active.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await(pedantic)
}
