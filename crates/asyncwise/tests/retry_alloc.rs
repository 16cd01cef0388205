//! `retry`'s promise that a first-try success allocates nothing, checked
//! with a counting global allocator (its own test binary with a single
//! test, so that nothing else allocates meanwhile).

use std::alloc::System;
use std::pin::pin;
use std::task::{Context, Waker};
use std::time::Duration;

use asyncwise::{RetryPolicy, retry};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use tokio_util::sync::CancellationToken;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Polls `fut` once with a no-op waker; returns whether it was ready.
fn poll_once<F: Future>(fut: F) -> bool {
    let mut cx = Context::from_waker(Waker::noop());
    pin!(fut).poll(&mut cx).is_ready()
}

#[test]
fn a_first_try_success_allocates_nothing() {
    let policy = RetryPolicy::exponential(Duration::from_millis(10)).max_attempts(3);
    let token = CancellationToken::new();
    // Warm up anything lazily initialised on first use.
    assert!(poll_once(
        retry(policy.clone(), || async { Ok::<_, ()>(1) }).into_future()
    ));
    for with_token in [false, true] {
        let policy = policy.clone();
        let token = token.clone();
        let region = Region::new(GLOBAL);
        let ready = if with_token {
            poll_once(
                retry(policy, || async { Ok::<_, ()>(1) })
                    .cancel_on(token)
                    .into_future(),
            )
        } else {
            poll_once(retry(policy, || async { Ok::<_, ()>(1) }).into_future())
        };
        let allocations = region.change().allocations;
        assert!(ready);
        assert_eq!(allocations, 0, "with a token: {with_token}");
    }
    // The counter does see allocations made on this thread.
    let region = Region::new(GLOBAL);
    drop(std::hint::black_box(Box::new(1_u64)));
    assert_eq!(region.change().allocations, 1);
}
