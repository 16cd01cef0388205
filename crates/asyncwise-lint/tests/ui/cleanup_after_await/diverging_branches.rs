// cleanup_after_await: an entering call whose block then leaves for good.
//
// Readings chosen: an entering call followed in its own block by `return`, or by a `break` out
// of the loop the leaving call is in, never reaches the leaving call: the two sit on different
// paths, so no await can come between them. After a `continue` the path goes on at the top of
// the loop's body, and an await there, before the leaving call, is between them.
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

pub struct Worker {
    idle: AtomicBool,
    active: AtomicUsize,
}

async fn step() -> bool {
    true
}

impl Worker {
    pub async fn until_done(&self, jobs: &Jobs) {
        loop {
            if jobs.finished() {
                self.idle.store(true, Ordering::SeqCst); // ok: the loop is left right after
                break;
            }
            step().await;
            self.idle.store(false, Ordering::SeqCst);
        }
    }

    pub async fn once(&self, jobs: &Jobs) {
        if jobs.finished() {
            self.active.fetch_add(1, Ordering::SeqCst); // ok: the body ends right after
            return;
        }
        step().await;
        self.active.fetch_sub(1, Ordering::SeqCst);
    }

    pub async fn count_round(&self, jobs: &Jobs) {
        loop {
            if jobs.finished() {
                self.active.fetch_add(1, Ordering::SeqCst);
                continue;
            }
            step().await;
            self.active.fetch_sub(1, Ordering::SeqCst); //~ cleanup_after_await
        }
    }

    pub async fn break_after_the_loop(&self, jobs: &Jobs) {
        loop {
            if jobs.finished() {
                self.active.fetch_add(1, Ordering::SeqCst);
                break;
            }
            step().await;
        }
        step().await;
        self.active.fetch_sub(1, Ordering::SeqCst); //~ cleanup_after_await
    }

    pub async fn straight(&self) {
        self.active.fetch_add(1, Ordering::SeqCst);
        step().await;
        self.active.fetch_sub(1, Ordering::SeqCst); //~ cleanup_after_await
    }
}

pub struct Jobs;

impl Jobs {
    pub fn finished(&self) -> bool {
        false
    }
}
