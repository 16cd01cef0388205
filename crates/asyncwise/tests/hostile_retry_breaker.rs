//! Promise audit of session 11 (`PROMISES.md`): `retry`, `RetryPolicy`, `Backoff` and the
//! circuit breaker under a hostile caller: panics inside the operation, one attempt, a
//! permanent error on the last attempt, zero delays, a budget clock that jumps, zero and
//! huge durations, and concurrent trials of a half-open breaker. Each test names the doc
//! sentence it checks. Time is paused; orders are forced with channels.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use asyncwise::{Backoff, Jitter, RetryError, RetryPolicy, retry};
use tokio::time::Instant;

mod retry_loop {
    use super::*;

    /// `retry`: "Calls `op` until it succeeds" — and a panic is not a failure to retry: a
    /// panic of the operation's future, or of `op` itself, unwinds into the awaiting task
    /// after one call, although four more attempts are allowed.
    #[tokio::test(start_paused = true)]
    async fn a_panicking_operation_is_not_retried_and_reaches_the_awaiter() {
        for panic_in_future in [true, false] {
            let calls = Arc::new(AtomicU32::new(0));
            let counter = Arc::clone(&calls);
            let policy = RetryPolicy::exponential(Duration::from_millis(10)).max_attempts(5);
            let joined: Result<Result<(), u32>, _> = tokio::spawn(async move {
                retry(policy, move || {
                    counter.fetch_add(1, Ordering::SeqCst);
                    assert!(panic_in_future, "op panics");
                    async { panic!("future panics") }
                })
                .await
                .map_err(|error: RetryError<&str>| error.attempts())
            })
            .await;
            let error = joined.expect_err("the panic reaches the awaiter");
            assert!(error.is_panic(), "{error}");
            assert_eq!(
                calls.load(Ordering::SeqCst),
                1,
                "in future: {panic_in_future}"
            );
        }
    }

    /// `max_attempts`: "At most `attempts` calls in total, the first included"; with 1, the
    /// first failure gives up as `Exhausted` (not `Permanent`), at once, and `notify` ("before
    /// each sleep") is never called.
    #[tokio::test(start_paused = true)]
    async fn one_attempt_gives_up_exhausted_without_sleeping_or_notifying() {
        let started = Instant::now();
        let mut notified = 0;
        let result = retry(RetryPolicy::default().max_attempts(1), || async {
            Err::<(), _>("down")
        })
        .notify(|_, _| notified += 1)
        .await;
        assert_eq!(
            result,
            Err(RetryError::Exhausted {
                error: "down",
                attempts: 1
            })
        );
        assert_eq!(notified, 0);
        assert_eq!(started.elapsed(), Duration::ZERO);
    }

    /// `when`: "any other error ends the loop with `RetryError::Permanent`", also when it
    /// comes on the last allowed attempt (the attempt limit does not turn it into
    /// `Exhausted`), and `retry_after` is not asked about it.
    #[tokio::test(start_paused = true)]
    async fn a_permanent_error_on_the_last_attempt_is_permanent() {
        let calls = AtomicU32::new(0);
        let mut hints_asked = 0;
        let result = retry(RetryPolicy::default().max_attempts(3), || {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move { Err::<(), _>(if n < 2 { 503 } else { 404 }) }
        })
        .when(|status| *status >= 500)
        .retry_after(|_| {
            hints_asked += 1;
            None
        })
        .await;
        assert_eq!(
            result,
            Err(RetryError::Permanent {
                error: 404,
                attempts: 3
            })
        );
        assert_eq!(hints_asked, 2, "asked for the two transient errors only");
    }

    /// `retry` sleeps on Tokio's timer "even for a zero delay" (doc): zero delays with no
    /// attempt limit still let other tasks of a current-thread runtime run, so an
    /// operation that waits for another task's flag does not spin for ever. The flag's
    /// task is spawned first; the loop gives up on its own after 100 000 calls so that a
    /// breach fails instead of hanging.
    #[tokio::test(start_paused = true)]
    async fn zero_delays_still_let_other_tasks_run() {
        let flag = Arc::new(AtomicBool::new(false));
        let setter = Arc::clone(&flag);
        tokio::spawn(async move { setter.store(true, Ordering::SeqCst) });
        let policy = RetryPolicy::exponential(Duration::ZERO).floor(Duration::ZERO);
        let calls = AtomicU32::new(0);
        let result = retry(policy, || {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            let seen = flag.load(Ordering::SeqCst);
            async move {
                if seen || n >= 100_000 {
                    Ok(seen)
                } else {
                    Err("flag not set")
                }
            }
        })
        .await;
        assert_eq!(result, Ok(true), "{} calls", calls.load(Ordering::SeqCst));
    }

    /// `cancel_on`: "Stops retrying as soon as `token` is cancelled, also in the middle of a
    /// sleep", the token cancelled by `notify` just before a zero-delay sleep (whose timer is
    /// ready at once) and just before an hour's: no further attempt in either, at once, and
    /// `Cancelled` keeps the last error and the attempt count.
    #[tokio::test(start_paused = true)]
    async fn a_cancellation_just_before_a_zero_or_long_sleep_starts_no_further_attempt() {
        for delay in [Duration::ZERO, Duration::from_secs(3600)] {
            let token = asyncwise::CancellationToken::new();
            let canceller = token.clone();
            let started = Instant::now();
            let calls = AtomicU32::new(0);
            let result = retry(RetryPolicy::default(), || {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err::<(), _>("down") }
            })
            .retry_after(|_| Some(delay))
            .notify(|_, _| canceller.cancel())
            .cancel_on(token)
            .await;
            assert_eq!(
                result,
                Err(RetryError::Cancelled {
                    last_error: Some("down"),
                    attempts: 1
                }),
                "{delay:?}"
            );
            assert_eq!(calls.load(Ordering::SeqCst), 1, "{delay:?}");
            assert_eq!(started.elapsed(), Duration::ZERO, "{delay:?}");
        }
    }

    /// How far the jumping clock is ahead of Tokio's (whole seconds; negative: behind).
    static JUMP_SECS: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

    fn jumping_clock() -> Instant {
        let now = Instant::now();
        let jump = JUMP_SECS.load(Ordering::SeqCst);
        let by = Duration::from_secs(jump.unsigned_abs());
        if jump >= 0 {
            now + by
        } else {
            now.checked_sub(by).unwrap_or(now)
        }
    }

    /// `max_elapsed` with `clock`: "A retry whose sleep ends past the budget ... does not
    /// start either: `retry` gives up with `RetryError::Exhausted` and the last error". The
    /// budget's clock jumps an hour forward during the first sleep (1 s of a 10 s budget):
    /// no second attempt. Then it jumps an hour back: the budget reads as unspent (elapsed
    /// saturates at zero), nothing panics, and the attempt limit ends the loop.
    #[tokio::test(start_paused = true)]
    async fn a_budget_clock_that_jumps_forward_ends_the_loop_and_one_that_jumps_back_does_not_panic()
     {
        let policy = RetryPolicy::exponential(Duration::from_secs(1))
            .jitter(Jitter::None)
            .max_attempts(4)
            .max_elapsed(Duration::from_secs(10))
            .clock(jumping_clock);
        let calls = AtomicU32::new(0);
        let result = retry(policy.clone(), || {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Err::<(), _>("down") }
        })
        .notify(|_, _| JUMP_SECS.store(3600, Ordering::SeqCst))
        .await;
        assert_eq!(
            result,
            Err(RetryError::Exhausted {
                error: "down",
                attempts: 1
            })
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        JUMP_SECS.store(0, Ordering::SeqCst);
        let started = Instant::now();
        let result = retry(policy, || async { Err::<(), _>("down") })
            .notify(|_, _| JUMP_SECS.store(-3600, Ordering::SeqCst))
            .await;
        assert_eq!(result.unwrap_err().attempts(), 4);
        assert_eq!(started.elapsed(), Duration::from_secs(1 + 2 + 4));
    }

    /// `RetryPolicy::ceiling`: "`min(max_delay, initial * factor^attempt)`" — with a zero
    /// `initial` that is zero for every attempt, whatever the factor (the float product
    /// `0 * inf` must not become `max_delay`). The same for `Backoff::ceiling` ("`min(max,
    /// initial * 2^attempt)`"), whose `2^attempt` overflows a float from attempt 1024 on:
    /// a supervisor with a zero initial backoff would have slept `max` after 1024 restarts.
    #[test]
    fn a_zero_initial_delay_stays_zero_whatever_the_factor_or_attempt() {
        for factor in [2.0, 1e300, f64::INFINITY] {
            let policy = RetryPolicy::exponential(Duration::ZERO)
                .factor(factor)
                .jitter(Jitter::None)
                .floor(Duration::ZERO);
            for attempt in [0, 1, 2, 1023, 1024, u32::MAX] {
                assert_eq!(
                    policy.ceiling(attempt),
                    Duration::ZERO,
                    "factor {factor}, attempt {attempt}"
                );
            }
            assert!(policy.delays().take(2_000).all(|d| d.is_zero()), "{factor}");
        }
        let backoff = Backoff::new(Duration::ZERO, Duration::from_secs(10));
        for attempt in [0, 1023, 1024, u32::MAX] {
            assert_eq!(
                backoff.ceiling(attempt),
                Duration::ZERO,
                "attempt {attempt}"
            );
        }
    }
}

mod backoff {
    use super::*;

    /// `Backoff`: "Delays have nanosecond precision"; `ceiling`: "`min(max, initial *
    /// 2^attempt)`", for delays too long for a float's 53 bits to hold every nanosecond
    /// (past about 104 days): the doubling is exact, and the first ceiling is `initial`.
    #[test]
    fn long_delays_keep_their_nanoseconds() {
        let initial = Duration::new(10_000_000, 1);
        let backoff = Backoff::new(initial, Duration::MAX);
        assert_eq!(backoff.ceiling(0), initial);
        assert_eq!(backoff.ceiling(1), Duration::new(20_000_000, 2));
        assert_eq!(backoff.ceiling(10), Duration::new(10_240_000_000, 1024));
        let policy = RetryPolicy::exponential(initial)
            .factor(3.0)
            .max_delay(Duration::MAX);
        assert_eq!(policy.ceiling(2), Duration::new(90_000_000, 9));
        // Past `Duration::MAX` it saturates at the bound.
        assert_eq!(backoff.ceiling(u32::MAX), Duration::MAX);
    }
}

mod breaker {
    use super::*;
    use asyncwise::{BreakerError, BreakerState, CircuitBreaker};
    use tokio::sync::oneshot;

    /// What a held trial's caller gets back.
    type TrialCall = tokio::task::JoinHandle<Result<(), BreakerError<&'static str>>>;

    /// A trial held until its channel says how it ends.
    fn held_trial(
        breaker: &CircuitBreaker,
    ) -> (oneshot::Sender<Result<(), &'static str>>, TrialCall) {
        let (outcome, receive) = oneshot::channel();
        let breaker = breaker.clone();
        let call = tokio::spawn(async move {
            breaker
                .call(async move { receive.await.expect("outcome sent") })
                .await
        });
        (outcome, call)
    }

    /// `half_open_trials`: "all of them must succeed to close the breaker, one failure
    /// reopens it", with three concurrent trials: the second fails while the others still
    /// run, and the breaker opens at once (a new call is rejected, `retry_in` the open
    /// duration). The two other trials of that phase succeed only once the breaker is
    /// half-open again, with one trial of its own running: their late successes count for
    /// nothing, and one success of the three the new phase needs does not close it.
    #[tokio::test(start_paused = true)]
    async fn one_failed_trial_reopens_and_the_other_trials_late_successes_are_ignored() {
        let breaker = CircuitBreaker::builder()
            .consecutive_failures(1)
            .open_for(Duration::from_secs(5))
            .half_open_trials(3)
            .build();
        breaker
            .call(async { Err::<(), _>("down") })
            .await
            .unwrap_err();
        tokio::time::sleep(Duration::from_secs(5)).await;
        let trials: Vec<_> = (0..3).map(|_| held_trial(&breaker)).collect();
        tokio::task::yield_now().await;
        assert_eq!(breaker.state(), BreakerState::HalfOpen);
        let mut trials = trials.into_iter();
        let (first, first_call) = trials.next().unwrap();
        let (second, second_call) = trials.next().unwrap();
        let (third, third_call) = trials.next().unwrap();
        second.send(Err("still down")).unwrap();
        assert_eq!(
            second_call.await.unwrap(),
            Err(BreakerError::Inner("still down"))
        );
        assert_eq!(breaker.state(), BreakerState::Open);
        let rejected = breaker.call(async { Ok::<_, &str>(()) }).await;
        assert_eq!(
            rejected,
            Err(BreakerError::Open {
                retry_in: Duration::from_secs(5)
            })
        );
        tokio::time::sleep(Duration::from_secs(5)).await;
        let (fourth, fourth_call) = held_trial(&breaker);
        tokio::task::yield_now().await;
        assert_eq!(breaker.state(), BreakerState::HalfOpen);
        first.send(Ok(())).unwrap();
        third.send(Ok(())).unwrap();
        assert_eq!(first_call.await.unwrap(), Ok(()));
        assert_eq!(third_call.await.unwrap(), Ok(()));
        fourth.send(Ok(())).unwrap();
        assert_eq!(fourth_call.await.unwrap(), Ok(()));
        assert_eq!(
            breaker.state(),
            BreakerState::HalfOpen,
            "one of the new phase's three trials done"
        );
    }

    /// `open_for`: "How long the breaker stays open before admitting trial calls", zero:
    /// the call right after the trip is a trial and runs; it closes the breaker.
    #[tokio::test(start_paused = true)]
    async fn a_zero_open_duration_admits_a_trial_at_once() {
        let breaker = CircuitBreaker::builder()
            .consecutive_failures(1)
            .open_for(Duration::ZERO)
            .build();
        breaker
            .call(async { Err::<(), _>("down") })
            .await
            .unwrap_err();
        let ran = AtomicBool::new(false);
        let trial = breaker
            .call(async {
                ran.store(true, Ordering::SeqCst);
                Ok::<_, &str>(())
            })
            .await;
        assert_eq!(trial, Ok(()));
        assert!(ran.load(Ordering::SeqCst));
        assert_eq!(breaker.state(), BreakerState::Closed);
    }

    /// `BreakerError::Open::retry_in`: "Time until the breaker admits a trial call", and
    /// "any duration past about 30 years is taken as 30 years": across a jump of the clock
    /// of ten years (paused time advanced at once), `retry_in` counts down by exactly the
    /// jump and nothing panics; past the open duration a trial runs.
    #[tokio::test(start_paused = true)]
    async fn a_jump_of_years_counts_retry_in_down_exactly_and_then_admits_a_trial() {
        const YEAR: u64 = 365 * 86_400;
        let breaker = CircuitBreaker::builder()
            .consecutive_failures(1)
            .open_for(Duration::from_secs(20 * YEAR))
            .build();
        breaker
            .call(async { Err::<(), _>("down") })
            .await
            .unwrap_err();
        tokio::time::advance(Duration::from_secs(10 * YEAR)).await;
        let rejected = breaker.call(async { Ok::<_, &str>(()) }).await;
        assert_eq!(
            rejected,
            Err(BreakerError::Open {
                retry_in: Duration::from_secs(10 * YEAR)
            })
        );
        tokio::time::advance(Duration::from_secs(10 * YEAR)).await;
        let admitted = AtomicU64::new(0);
        let trial = breaker
            .call(async {
                admitted.fetch_add(1, Ordering::SeqCst);
                Ok::<_, &str>(())
            })
            .await;
        assert_eq!(trial, Ok(()));
        assert_eq!(admitted.load(Ordering::SeqCst), 1);
        assert_eq!(breaker.state(), BreakerState::Closed);
    }
}
