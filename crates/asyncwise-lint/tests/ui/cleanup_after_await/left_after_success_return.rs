// Readings: after `if r.is_ok() { return .. }` or `if let Ok(v) = r { return v; }` (no
// `else`), the rest of the block runs only on the failure: a counter lowered there undoes an
// entry that did not take, as in a `match` arm on `Err`, and the `return` is the success that
// keeps it raised by design (a queue's depth counted until the worker dequeues the job). It is
// not an early exit that skips a leave. A `?` before the undo still skips it on that error,
// and a `return` behind a condition that is no success test (a cache hit) skips a leave the
// other path makes.
use std::sync::atomic::Ordering;

impl Dispatcher {
    pub async fn submit(&self, job: Job) -> Admission {
        let Some(queue) = self.queue_for(&job).await else {
            return Admission::Dropped;
        };
        self.depth.fetch_add(1, Ordering::Relaxed);
        self.stats.inc_pending(job.size);
        if queue.try_send(job.clone()).is_ok() {
            // ok: enqueued; the worker lowers both counters when it takes the job
            return Admission::Queued;
        }
        self.depth.fetch_sub(1, Ordering::Relaxed);
        self.stats.dec_pending(job.size);
        self.spill_to_disk(job).await
    }

    pub async fn reuse_or_dial(&self, addr: Addr) -> Result<Conn, Error> {
        self.open.fetch_add(1, Ordering::Relaxed);
        if let Ok(conn) = self.idle.take(&addr) {
            // ok: a pooled connection stays counted until it closes
            return Ok(conn);
        }
        self.open.fetch_sub(1, Ordering::Relaxed);
        self.dial(addr).await
    }

    pub async fn submit_checked(&self, job: Job) -> Admission {
        self.depth.fetch_add(1, Ordering::Relaxed);
        let queue = self.queue_for(&job).await?; //~ cleanup_after_await
        if queue.try_send(job.clone()).is_ok() {
            return Admission::Queued;
        }
        self.depth.fetch_sub(1, Ordering::Relaxed);
        self.spill_to_disk(job).await
    }

    pub async fn lookup(&self, key: Key) -> Value {
        self.active.fetch_add(1, Ordering::Relaxed);
        if self.cache.contains(&key) {
            return self.cache.get(&key); //~ cleanup_after_await
        }
        let v = self.backend.load(&key).await;
        self.active.fetch_sub(1, Ordering::Relaxed);
        v
    }
}
