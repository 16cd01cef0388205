//! `retry` and `RetryPolicy`: jitter bounds, budgets, Retry-After and
//! cancellation, on paused time.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use asyncwise::{Jitter, RetryError, RetryPolicy, retry};
use proptest::prelude::*;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

fn paused_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime")
}

fn jitter_strategy() -> impl Strategy<Value = Jitter> {
    prop_oneof![
        Just(Jitter::None),
        Just(Jitter::Full),
        Just(Jitter::Equal),
        Just(Jitter::Decorrelated),
    ]
}

proptest! {
    #[test]
    fn delays_stay_within_their_jitter_bounds(
        initial_ms in 0_u64..5_000,
        factor in 1.0_f64..4.0,
        max_ms in 0_u64..60_000,
        floor_ms in proptest::option::of(0_u64..10_000),
        jitter in jitter_strategy(),
        seed in any::<u64>(),
    ) {
        let mut policy = RetryPolicy::exponential(Duration::from_millis(initial_ms))
            .factor(factor)
            .max_delay(Duration::from_millis(max_ms))
            .jitter(jitter)
            .seed(seed);
        if let Some(floor) = floor_ms {
            policy = policy.floor(Duration::from_millis(floor));
        }
        let max = policy.get_max_delay();
        let floor = policy.get_floor();
        prop_assert!(floor <= max);
        let mut previous = Duration::from_millis(initial_ms);
        for (n, delay) in policy.delays().take(40).enumerate() {
            let ceiling = policy.ceiling(n as u32);
            let before = std::mem::replace(&mut previous, delay);
            prop_assert!(delay <= max, "delay {delay:?} above max {max:?}");
            prop_assert!(delay >= floor, "delay {delay:?} below floor {floor:?}");
            match jitter {
                Jitter::None => prop_assert_eq!(delay, ceiling.max(floor)),
                Jitter::Full => prop_assert!(delay <= ceiling.max(floor)),
                Jitter::Equal => {
                    prop_assert!(delay <= ceiling.max(floor));
                    prop_assert!(delay >= ceiling / 2);
                }
                Jitter::Decorrelated => {
                    let low = floor.max(Duration::from_millis(initial_ms)).min(max);
                    prop_assert!(delay >= low);
                    // At most three times the previous delay (or the low end
                    // when that is below it).
                    prop_assert!(delay <= low.max(before.saturating_mul(3).min(max)));
                }
                _ => unreachable!("all modes covered"),
            }
        }
    }

    #[test]
    fn attempt_and_elapsed_budgets_are_respected(
        max_attempts in 1_u32..12,
        budget_ms in 0_u64..20_000,
        op_ms in proptest::collection::vec(0_u64..3_000, 12),
        jitter in jitter_strategy(),
        seed in any::<u64>(),
    ) {
        let policy = RetryPolicy::exponential(Duration::from_millis(100))
            .jitter(jitter)
            .max_attempts(max_attempts)
            .max_elapsed(Duration::from_millis(budget_ms))
            .seed(seed);
        let starts = Arc::new(Mutex::new(Vec::new()));
        let (result, origin) = paused_runtime().block_on(async {
            let origin = Instant::now();
            let starts = starts.clone();
            let result = retry(policy, move || {
                let mut starts = starts.lock().expect("starts");
                let op_time = Duration::from_millis(op_ms[starts.len() % op_ms.len()]);
                starts.push(Instant::now());
                async move {
                    tokio::time::sleep(op_time).await;
                    Err::<(), _>("fail")
                }
            })
            .await;
            (result, origin)
        });
        let starts = starts.lock().expect("starts");
        prop_assert!(starts.len() as u32 <= max_attempts);
        prop_assert!(!starts.is_empty());
        for start in starts.iter() {
            prop_assert!(*start - origin <= Duration::from_millis(budget_ms));
        }
        match result {
            Err(RetryError::Exhausted { attempts, .. }) => {
                prop_assert_eq!(attempts as usize, starts.len());
            }
            other => prop_assert!(false, "unexpected {other:?}"),
        }
    }
}

#[tokio::test(start_paused = true)]
async fn schedule_without_jitter_sleeps_exactly_the_exponential_delays() {
    let policy = RetryPolicy::exponential(Duration::from_millis(100))
        .factor(3.0)
        .max_delay(Duration::from_millis(1_000))
        .jitter(Jitter::None)
        .max_attempts(5);
    let origin = Instant::now();
    let mut starts = Vec::new();
    let result = retry(policy, || {
        starts.push(origin.elapsed());
        async { Err::<(), _>("down") }
    })
    .await;
    assert_eq!(
        result,
        Err(RetryError::Exhausted {
            error: "down",
            attempts: 5
        })
    );
    // Sleeps of 100, 300, 900 and then 1000 (capped) ms.
    let expected = [0, 100, 400, 1_300, 2_300].map(Duration::from_millis);
    assert_eq!(starts, expected);
}

#[tokio::test(start_paused = true)]
async fn elapsed_budget_counts_the_operations_own_time() {
    let policy = RetryPolicy::exponential(Duration::from_millis(100))
        .jitter(Jitter::None)
        .factor(1.0)
        .max_elapsed(Duration::from_millis(2_500));
    let origin = Instant::now();
    let mut starts = Vec::new();
    let result = retry(policy, || {
        starts.push(origin.elapsed());
        async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            Err::<(), _>("slow failure")
        }
    })
    .await;
    // Starts at 0, 1.1 s and 2.2 s; a fourth would start at 3.3 s > 2.5 s.
    assert_eq!(starts, [0, 1_100, 2_200].map(Duration::from_millis));
    assert_eq!(result.unwrap_err().attempts(), 3);
    // It gives up as soon as it knows, without sleeping into the budget.
    assert_eq!(origin.elapsed(), Duration::from_millis(3_200));
}

#[tokio::test(start_paused = true)]
async fn permanent_errors_are_not_retried() {
    let mut calls = 0;
    let result = retry(RetryPolicy::default(), || {
        calls += 1;
        async { Err::<(), _>(400) }
    })
    .when(|status| *status >= 500)
    .await;
    assert_eq!(
        result,
        Err(RetryError::Permanent {
            error: 400,
            attempts: 1
        })
    );
    assert_eq!(calls, 1);
}

#[tokio::test(start_paused = true)]
async fn retry_after_from_the_error_replaces_the_schedule() {
    let policy = RetryPolicy::exponential(Duration::from_millis(10)).max_attempts(3);
    let origin = Instant::now();
    let mut notified = Vec::new();
    let result = retry(policy, || async { Err::<(), _>(Duration::from_secs(7)) })
        .retry_after(|wait| Some(*wait))
        .notify(|_, delay| notified.push(delay))
        .await;
    assert!(matches!(
        result,
        Err(RetryError::Exhausted { attempts: 3, .. })
    ));
    assert_eq!(notified, [Duration::from_secs(7), Duration::from_secs(7)]);
    assert_eq!(origin.elapsed(), Duration::from_secs(14));
}

#[tokio::test(start_paused = true)]
async fn retry_after_beyond_the_budget_gives_up_at_once() {
    let policy = RetryPolicy::default().max_elapsed(Duration::from_secs(5));
    let origin = Instant::now();
    let result = retry(policy, || async { Err::<(), _>("429") })
        .retry_after(|_| Some(Duration::from_secs(60)))
        .await;
    assert_eq!(result.unwrap_err().attempts(), 1);
    assert_eq!(origin.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn cancellation_during_a_sleep_stops_at_once() {
    let token = CancellationToken::new();
    let canceller = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1_234)).await;
        canceller.cancel();
    });
    let policy = RetryPolicy::exponential(Duration::from_secs(3600));
    let origin = Instant::now();
    let result = retry(policy, || async { Err::<(), _>("down") })
        .cancel_on(token)
        .await;
    assert_eq!(
        result,
        Err(RetryError::Cancelled {
            last_error: Some("down"),
            attempts: 1
        })
    );
    assert_eq!(origin.elapsed(), Duration::from_millis(1_234));
}

#[tokio::test(start_paused = true)]
async fn cancellation_during_an_attempt_drops_it() {
    let token = CancellationToken::new();
    let canceller = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        canceller.cancel();
    });
    let origin = Instant::now();
    let result = retry(RetryPolicy::default(), || async {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Ok::<_, ()>(())
    })
    .cancel_on(token)
    .await;
    assert!(result.unwrap_err().is_cancelled());
    assert_eq!(origin.elapsed(), Duration::from_millis(500));
}

#[tokio::test(start_paused = true)]
async fn an_already_cancelled_token_runs_nothing() {
    let token = CancellationToken::new();
    token.cancel();
    let mut calls = 0;
    let result = retry(RetryPolicy::default(), || {
        calls += 1;
        async { Ok::<_, ()>(()) }
    })
    .cancel_on(token)
    .await;
    assert!(result.unwrap_err().is_cancelled());
    assert_eq!(calls, 0);
}

#[test]
fn seeded_policies_repeat_and_different_seeds_differ() {
    let policy =
        RetryPolicy::exponential(Duration::from_secs(1)).max_delay(Duration::from_secs(60));
    let a: Vec<_> = policy.clone().seed(1).delays().take(8).collect();
    let b: Vec<_> = policy.clone().seed(1).delays().take(8).collect();
    let c: Vec<_> = policy.seed(2).delays().take(8).collect();
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[tokio::test(start_paused = true)]
async fn max_attempts_zero_means_one_attempt() {
    let policy = RetryPolicy::default().max_attempts(0);
    assert_eq!(policy.get_max_attempts(), Some(1));
    let mut calls = 0;
    let result = retry(policy, || {
        calls += 1;
        async { Err::<(), _>("down") }
    })
    .await;
    assert_eq!(
        result,
        Err(RetryError::Exhausted {
            error: "down",
            attempts: 1
        })
    );
    assert_eq!(calls, 1);
}

#[test]
fn a_factor_below_one_is_taken_as_one() {
    let policy = RetryPolicy::exponential(Duration::from_millis(300)).factor(0.5);
    assert!((0..10).all(|n| policy.ceiling(n) == Duration::from_millis(300)));
    let negative = RetryPolicy::exponential(Duration::from_millis(300)).factor(-2.0);
    assert_eq!(negative.ceiling(7), Duration::from_millis(300));
}

#[tokio::test(start_paused = true)]
async fn the_time_budget_does_not_cut_a_running_attempt_short() {
    let policy = RetryPolicy::default().max_elapsed(Duration::from_secs(1));
    let origin = Instant::now();
    let result = retry(policy, || async {
        tokio::time::sleep(Duration::from_secs(10)).await;
        Err::<(), _>("slow")
    })
    .await;
    assert_eq!(
        result,
        Err(RetryError::Exhausted {
            error: "slow",
            attempts: 1
        })
    );
    assert_eq!(origin.elapsed(), Duration::from_secs(10));
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_attempt_is_dropped_not_left_running() {
    struct Guard(Arc<Mutex<bool>>);
    impl Drop for Guard {
        fn drop(&mut self) {
            *self.0.lock().expect("flag") = true;
        }
    }
    let dropped = Arc::new(Mutex::new(false));
    let token = CancellationToken::new();
    let canceller = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(10)).await;
        canceller.cancel();
    });
    let result = retry(RetryPolicy::default(), || {
        let guard = Guard(dropped.clone());
        async move {
            let _guard = guard;
            std::future::pending::<Result<(), ()>>().await
        }
    })
    .cancel_on(token)
    .await;
    assert_eq!(
        result,
        Err(RetryError::Cancelled {
            last_error: None,
            attempts: 1
        })
    );
    assert!(
        *dropped.lock().expect("flag"),
        "the attempt's future was dropped"
    );
}
