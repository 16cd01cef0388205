//! `retry`'s promises for a first-try success: it reads no clock unless a
//! time budget is set, checked by counting the reads of the policy's clock
//! (`RetryPolicy::clock`, the only clock `retry` reads), and it draws no
//! random number, checked on the thread's `fastrand` generator, which an
//! unseeded policy's jitter forks. The futures are polled outside any
//! runtime with a no-op waker, as in the benchmark. (That it allocates
//! nothing is `tests/retry_alloc.rs`.)

use std::cell::Cell;
use std::pin::pin;
use std::task::{Context, Waker};
use std::time::Duration;

use asyncwise::{RetryPolicy, retry};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

thread_local! {
    // Per thread, so that tests running in parallel do not mix their counts.
    static CLOCK_READS: Cell<u64> = const { Cell::new(0) };
}

fn counting_clock() -> Instant {
    CLOCK_READS.with(|reads| reads.set(reads.get() + 1));
    Instant::now()
}

fn clock_reads() -> u64 {
    CLOCK_READS.with(Cell::get)
}

/// Polls `fut` once with a no-op waker; returns whether it was ready.
fn poll_once<F: Future>(fut: F) -> bool {
    let mut cx = Context::from_waker(Waker::noop());
    pin!(fut).poll(&mut cx).is_ready()
}

#[test]
fn a_first_try_success_reads_no_clock_without_a_time_budget() {
    let policy = RetryPolicy::exponential(Duration::from_millis(10))
        .max_attempts(3)
        .clock(counting_clock);
    let before = clock_reads();
    assert!(poll_once(
        retry(policy.clone(), || async { Ok::<_, ()>(1) }).into_future()
    ));
    assert!(poll_once(
        retry(policy, || async { Ok::<_, ()>(1) })
            .cancel_on(CancellationToken::new())
            .into_future()
    ));
    assert_eq!(
        clock_reads() - before,
        0,
        "a first-try success read the clock"
    );
}

#[test]
fn a_time_budget_reads_the_clock_at_the_start_and_before_each_retry() {
    // The counter sees the reads `retry` makes: with a time budget it notes
    // when the first attempt started (one read on a first-try success)...
    let budgeted = RetryPolicy::exponential(Duration::from_millis(10))
        .max_attempts(3)
        .max_elapsed(Duration::from_secs(10))
        .clock(counting_clock);
    let before = clock_reads();
    assert!(poll_once(
        retry(budgeted.clone(), || async { Ok::<_, ()>(1) }).into_future()
    ));
    assert_eq!(clock_reads() - before, 1);
    // ...and checks the budget twice for each retry, when it picks the
    // delay and when the sleep ends: two retries for three attempts (after
    // the last one the attempt limit ends it first).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime");
    let before = clock_reads();
    let result = runtime.block_on(retry(budgeted, || async { Err::<(), _>("busy") }).into_future());
    assert_eq!(result.expect_err("always fails").attempts(), 3);
    assert_eq!(
        clock_reads() - before,
        5,
        "one start and two checks per retry"
    );
}

#[test]
fn a_first_try_success_draws_no_random_number() {
    // Unseeded: its jitter would fork the thread's generator.
    let policy = RetryPolicy::exponential(Duration::from_millis(10)).max_attempts(3);
    fastrand::seed(7);
    let undisturbed = fastrand::u64(..);

    fastrand::seed(7);
    assert!(poll_once(
        retry(policy.clone(), || async { Ok::<_, ()>(1) }).into_future()
    ));
    assert_eq!(
        fastrand::u64(..),
        undisturbed,
        "a first-try success drew from the thread's generator"
    );

    // The check sees a draw: one retry picks a jittered delay.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime");
    fastrand::seed(7);
    let mut failures_left = 1;
    let result = runtime.block_on(
        retry(policy, || {
            let fail = failures_left > 0;
            failures_left -= 1;
            async move { if fail { Err("busy") } else { Ok(1) } }
        })
        .into_future(),
    );
    assert_eq!(result, Ok(1));
    assert_ne!(
        fastrand::u64(..),
        undisturbed,
        "the retry's delay did not draw: the check does not work"
    );
}
