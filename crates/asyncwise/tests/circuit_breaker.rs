//! `CircuitBreaker`: trips, open durations on paused time, half-open trial
//! limits (property test), classification, drop handling and events.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asyncwise::{
    BreakerError, BreakerState, CircuitBreaker, Jitter, RetryPolicy, StateChange, Window,
};
use proptest::prelude::*;
use tokio::time::{Instant, sleep};

async fn fail(breaker: &CircuitBreaker) -> Result<(), BreakerError<&'static str>> {
    breaker.call(async { Err("down") }).await
}

async fn succeed(breaker: &CircuitBreaker) -> Result<(), BreakerError<&'static str>> {
    breaker.call(async { Ok(()) }).await
}

fn recorder() -> (
    Arc<Mutex<Vec<StateChange>>>,
    impl Fn(&StateChange) + Send + Sync,
) {
    let changes = Arc::new(Mutex::new(Vec::new()));
    let sink = changes.clone();
    (changes, move |change: &StateChange| {
        sink.lock().expect("changes").push(change.clone());
    })
}

#[tokio::test(start_paused = true)]
async fn consecutive_failures_trip_and_a_success_resets_the_count() {
    let breaker = CircuitBreaker::builder().consecutive_failures(3).build();
    for _ in 0..2 {
        assert!(!fail(&breaker).await.unwrap_err().is_open());
    }
    succeed(&breaker).await.expect("closed");
    for _ in 0..2 {
        fail(&breaker).await.unwrap_err();
    }
    assert_eq!(breaker.state(), BreakerState::Closed);
    fail(&breaker).await.unwrap_err();
    assert_eq!(breaker.state(), BreakerState::Open);
    assert!(succeed(&breaker).await.unwrap_err().is_open());
}

#[tokio::test(start_paused = true)]
async fn count_window_failure_rate_waits_for_min_calls() {
    let breaker = CircuitBreaker::builder()
        .failure_rate(0.5, Window::Calls(10), 6)
        .build();
    // 5 failures out of 5 calls: below the minimum number of calls.
    for _ in 0..5 {
        fail(&breaker).await.unwrap_err();
    }
    assert_eq!(breaker.state(), BreakerState::Closed);
    fail(&breaker).await.unwrap_err();
    assert_eq!(breaker.state(), BreakerState::Open);

    // A window that slides: old failures leave it.
    let breaker = CircuitBreaker::builder()
        .failure_rate(0.5, Window::Calls(4), 4)
        .build();
    for outcome in [false, true, true, true, false, true, true, true, false] {
        if outcome {
            succeed(&breaker).await.expect("closed");
        } else {
            fail(&breaker).await.unwrap_err();
        }
        assert_eq!(
            breaker.state(),
            BreakerState::Closed,
            "at most 1 of 4 failed"
        );
    }
    fail(&breaker).await.unwrap_err(); // window: true, true, false, false -> 2 of 4
    assert_eq!(breaker.state(), BreakerState::Open);
}

#[tokio::test(start_paused = true)]
async fn time_window_forgets_old_failures() {
    let breaker = CircuitBreaker::builder()
        .failure_rate(0.5, Window::Time(Duration::from_secs(10)), 4)
        .build();
    for _ in 0..3 {
        fail(&breaker).await.unwrap_err();
    }
    sleep(Duration::from_secs(11)).await;
    // The three old failures are out of the window: 1 of 1 is under min calls.
    fail(&breaker).await.unwrap_err();
    succeed(&breaker).await.expect("closed");
    succeed(&breaker).await.expect("closed");
    assert_eq!(breaker.state(), BreakerState::Closed);
    fail(&breaker).await.unwrap_err(); // 2 of 4 within the window
    assert_eq!(breaker.state(), BreakerState::Open);
}

#[tokio::test(start_paused = true)]
async fn open_duration_then_half_open_then_closed() {
    let (changes, listener) = recorder();
    let breaker = CircuitBreaker::builder()
        .name("db")
        .consecutive_failures(1)
        .open_for(Duration::from_secs(5))
        .on_state_change(listener)
        .build();
    let origin = Instant::now();
    fail(&breaker).await.unwrap_err();
    sleep(Duration::from_millis(4_999)).await;
    assert_eq!(
        succeed(&breaker).await,
        Err(BreakerError::Open {
            retry_in: Duration::from_millis(1)
        })
    );
    sleep(Duration::from_millis(1)).await;
    succeed(&breaker)
        .await
        .expect("trial admitted at exactly 5 s");
    assert_eq!(origin.elapsed(), Duration::from_secs(5));
    assert_eq!(breaker.state(), BreakerState::Closed);
    let changes = changes.lock().expect("changes");
    let seen: Vec<_> = changes.iter().map(|c| (c.from, c.to, c.open_for)).collect();
    assert_eq!(
        seen,
        [
            (
                BreakerState::Closed,
                BreakerState::Open,
                Some(Duration::from_secs(5))
            ),
            (BreakerState::Open, BreakerState::HalfOpen, None),
            (BreakerState::HalfOpen, BreakerState::Closed, None),
        ]
    );
    assert!(changes.iter().all(|c| c.name == "db"));
}

#[tokio::test(start_paused = true)]
async fn open_durations_grow_with_the_backoff_policy_and_reset_on_close() {
    let (changes, listener) = recorder();
    let breaker = CircuitBreaker::builder()
        .consecutive_failures(1)
        .open_backoff(
            RetryPolicy::exponential(Duration::from_secs(1))
                .jitter(Jitter::None)
                .max_delay(Duration::from_secs(4)),
        )
        .on_state_change(listener)
        .build();
    fail(&breaker).await.unwrap_err();
    for wait in [1, 2, 4, 4] {
        sleep(Duration::from_secs(wait)).await;
        fail(&breaker).await.unwrap_err(); // trial fails: open again, longer
    }
    sleep(Duration::from_secs(4)).await;
    succeed(&breaker).await.expect("trial");
    fail(&breaker).await.unwrap_err();
    let open_for: Vec<_> = changes
        .lock()
        .expect("changes")
        .iter()
        .filter_map(|c| c.open_for)
        .collect();
    assert_eq!(open_for, [1, 2, 4, 4, 4, 1].map(Duration::from_secs));
}

#[tokio::test(start_paused = true)]
async fn half_open_admits_exactly_k_trials_and_needs_all_to_succeed() {
    let breaker = CircuitBreaker::builder()
        .consecutive_failures(1)
        .open_for(Duration::from_secs(1))
        .half_open_trials(2)
        .build();
    fail(&breaker).await.unwrap_err();
    sleep(Duration::from_secs(1)).await;
    let gate = Arc::new(tokio::sync::Notify::new());
    let mut trials = Vec::new();
    for _ in 0..2 {
        let breaker = breaker.clone();
        let gate = gate.clone();
        trials.push(tokio::spawn(async move {
            breaker
                .call(async move {
                    gate.notified().await;
                    Ok::<_, &str>(())
                })
                .await
        }));
    }
    tokio::task::yield_now().await;
    assert_eq!(breaker.state(), BreakerState::HalfOpen);
    let ran = AtomicBool::new(false);
    let third = breaker
        .call(async {
            ran.store(true, Ordering::Relaxed);
            Ok::<_, &str>(())
        })
        .await;
    assert_eq!(
        third,
        Err(BreakerError::Open {
            retry_in: Duration::ZERO
        })
    );
    assert!(!ran.load(Ordering::Relaxed));
    gate.notify_one();
    trials.remove(0).await.expect("task").expect("trial");
    assert_eq!(
        breaker.state(),
        BreakerState::HalfOpen,
        "one of two trials done"
    );
    gate.notify_one();
    trials.remove(0).await.expect("task").expect("trial");
    assert_eq!(breaker.state(), BreakerState::Closed);
}

#[tokio::test(start_paused = true)]
async fn a_dropped_trial_frees_its_slot() {
    let breaker = CircuitBreaker::builder()
        .consecutive_failures(1)
        .open_for(Duration::from_secs(1))
        .build();
    fail(&breaker).await.unwrap_err();
    sleep(Duration::from_secs(1)).await;
    let stuck = breaker.call(std::future::pending::<Result<(), &str>>());
    assert!(
        tokio::time::timeout(Duration::from_secs(1), stuck)
            .await
            .is_err()
    );
    // The abandoned trial neither closed nor reopened the breaker.
    assert_eq!(breaker.state(), BreakerState::HalfOpen);
    succeed(&breaker).await.expect("the slot is free again");
    assert_eq!(breaker.state(), BreakerState::Closed);
}

#[tokio::test(start_paused = true)]
async fn errors_classified_as_not_failures_do_not_trip() {
    let breaker = CircuitBreaker::builder().consecutive_failures(2).build();
    for _ in 0..10 {
        let result = breaker
            .call_classified(async { Err::<(), _>(404) }, |status| *status >= 500)
            .await;
        assert_eq!(result, Err(BreakerError::Inner(404)));
    }
    assert_eq!(breaker.state(), BreakerState::Closed);
    for _ in 0..2 {
        let _ = breaker
            .call_classified(async { Err::<(), _>(503) }, |status| *status >= 500)
            .await;
    }
    assert_eq!(breaker.state(), BreakerState::Open);
}

#[tokio::test(start_paused = true)]
async fn late_outcomes_from_before_a_trip_are_ignored() {
    let breaker = CircuitBreaker::builder()
        .consecutive_failures(1)
        .open_for(Duration::from_secs(10))
        .build();
    let slow = tokio::spawn({
        let breaker = breaker.clone();
        async move {
            breaker
                .call(async {
                    sleep(Duration::from_secs(11)).await;
                    Ok::<_, &str>(())
                })
                .await
        }
    });
    tokio::task::yield_now().await;
    fail(&breaker).await.unwrap_err();
    sleep(Duration::from_secs(10)).await;
    let trial = tokio::spawn({
        let breaker = breaker.clone();
        async move {
            breaker
                .call(async {
                    sleep(Duration::from_secs(5)).await;
                    Err::<(), _>("still down")
                })
                .await
        }
    });
    // The slow call admitted while closed succeeds during half-open: it must
    // not count as the trial.
    slow.await.expect("task").expect("slow call");
    assert_eq!(breaker.state(), BreakerState::HalfOpen);
    trial.await.expect("task").unwrap_err();
    assert_eq!(breaker.state(), BreakerState::Open);
}

proptest! {
    #[test]
    fn half_open_never_admits_more_than_k_calls(
        trials in 1_u32..5,
        calls in proptest::collection::vec((0_u64..300, 1_u64..200, any::<bool>()), 1..120),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("runtime");
        let episode = Arc::new(AtomicU64::new(0));
        let per_episode: Arc<Mutex<HashMap<u64, u32>>> = Arc::default();
        let counter = episode.clone();
        let breaker = CircuitBreaker::builder()
            .consecutive_failures(2)
            .open_for(Duration::from_millis(50))
            .half_open_trials(trials)
            .on_state_change(move |change| {
                if change.to == BreakerState::HalfOpen {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
            })
            .build();
        runtime.block_on(async {
            let mut tasks = tokio::task::JoinSet::new();
            for (start, duration, ok) in calls {
                let breaker = breaker.clone();
                let episode = episode.clone();
                let per_episode = per_episode.clone();
                tasks.spawn(async move {
                    sleep(Duration::from_millis(start)).await;
                    let _ = breaker
                        .call(async {
                            // On a current-thread runtime the first poll
                            // follows admission with no other task between.
                            if breaker.state() == BreakerState::HalfOpen {
                                let episode = episode.load(Ordering::SeqCst);
                                *per_episode.lock().expect("episodes").entry(episode).or_default() += 1;
                            }
                            sleep(Duration::from_millis(duration)).await;
                            if ok { Ok(()) } else { Err("fail") }
                        })
                        .await;
                });
            }
            while tasks.join_next().await.is_some() {}
        });
        for (episode, admitted) in per_episode.lock().expect("episodes").iter() {
            prop_assert!(*admitted <= trials, "episode {episode}: {admitted} > {trials}");
        }
    }
}

/// A service that sleeps for the requested number of seconds, failing on 0.
#[derive(Clone)]
struct Sleeper;

impl tower_service::Service<u64> for Sleeper {
    type Response = u64;
    type Error = &'static str;
    type Future = std::pin::Pin<Box<dyn Future<Output = Result<u64, &'static str>> + Send>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, secs: u64) -> Self::Future {
        Box::pin(async move {
            sleep(Duration::from_secs(secs)).await;
            if secs == 0 { Err("zero") } else { Ok(secs) }
        })
    }
}

#[tokio::test(start_paused = true)]
async fn tower_layer_shares_one_breaker_and_limits_trials() {
    use tower_layer::Layer;
    use tower_service::Service;

    let breaker = CircuitBreaker::builder()
        .consecutive_failures(1)
        .open_for(Duration::from_secs(1))
        .build();
    let layer = asyncwise::CircuitBreakerLayer::new(breaker.clone());
    let mut first = layer.layer(Sleeper);
    let mut second = layer.layer(Sleeper);
    assert_eq!(first.call(0).await, Err(BreakerError::Inner("zero")));
    // The other service sees the same open breaker.
    assert!(second.call(1).await.unwrap_err().is_open());
    sleep(Duration::from_secs(1)).await;
    // One trial in flight; a second request is rejected without running.
    let trial = first.call(5);
    assert!(second.call(1).await.unwrap_err().is_open());
    // Dropping the trial's response future frees the slot.
    drop(trial);
    assert_eq!(second.call(2).await, Ok(2));
    assert_eq!(breaker.state(), BreakerState::Closed);
}

#[tokio::test(start_paused = true)]
async fn by_default_five_consecutive_failures_trip() {
    let breaker = CircuitBreaker::default();
    for _ in 0..4 {
        fail(&breaker).await.unwrap_err();
    }
    assert_eq!(breaker.state(), BreakerState::Closed);
    fail(&breaker).await.unwrap_err();
    assert_eq!(breaker.state(), BreakerState::Open);
    // Open for 30 s by default.
    assert_eq!(
        succeed(&breaker).await,
        Err(BreakerError::Open {
            retry_in: Duration::from_secs(30)
        })
    );
}

#[tokio::test(start_paused = true)]
async fn a_rate_only_breaker_ignores_runs_and_with_both_either_trips() {
    // Only a rate: 8 failures in a row are under the 10-call minimum.
    let rate_only = CircuitBreaker::builder()
        .failure_rate(0.5, Window::Calls(20), 10)
        .build();
    for _ in 0..8 {
        fail(&rate_only).await.unwrap_err();
    }
    assert_eq!(rate_only.state(), BreakerState::Closed);

    // Both: the run trips first here...
    let both = CircuitBreaker::builder()
        .consecutive_failures(3)
        .failure_rate(0.9, Window::Calls(100), 50)
        .build();
    for _ in 0..3 {
        fail(&both).await.unwrap_err();
    }
    assert_eq!(both.state(), BreakerState::Open);
    // ...and the rate there, with no two failures in a row.
    let both = CircuitBreaker::builder()
        .consecutive_failures(3)
        .failure_rate(0.5, Window::Calls(4), 4)
        .build();
    for ok in [true, false, true] {
        if ok {
            succeed(&both).await.expect("closed");
        } else {
            fail(&both).await.unwrap_err();
        }
    }
    assert_eq!(both.state(), BreakerState::Closed);
    fail(&both).await.unwrap_err(); // 2 of 4
    assert_eq!(both.state(), BreakerState::Open);
}

#[tokio::test(start_paused = true)]
async fn zero_limits_are_taken_as_one() {
    let breaker = CircuitBreaker::builder()
        .consecutive_failures(0)
        .half_open_trials(0)
        .open_for(Duration::from_secs(1))
        .build();
    fail(&breaker).await.unwrap_err();
    assert_eq!(breaker.state(), BreakerState::Open, "one failure trips");
    sleep(Duration::from_secs(1)).await;
    succeed(&breaker).await.expect("one trial");
    assert_eq!(breaker.state(), BreakerState::Closed, "one trial closes");

    let one_call = CircuitBreaker::builder()
        .failure_rate(1.0, Window::Calls(0), 1)
        .build();
    fail(&one_call).await.unwrap_err();
    assert_eq!(one_call.state(), BreakerState::Open, "a window of one call");
}

/// `Window::Calls` above 65 536 is taken as 65 536 (the window keeps one
/// flag per call). Seen from outside: after 65 536 successes, the failures
/// that follow push successes out of a 65 536-call window, so the share
/// reaches one half at the 32 768th failure; in any larger window it would
/// still be at most a third then.
#[tokio::test(start_paused = true)]
async fn a_count_window_above_65_536_calls_is_taken_as_65_536() {
    let breaker = CircuitBreaker::builder()
        .failure_rate(0.5, Window::Calls(u32::MAX), 1)
        .build();
    for _ in 0..65_536 {
        succeed(&breaker).await.expect("closed");
    }
    for _ in 0..32_767 {
        fail(&breaker).await.unwrap_err();
    }
    assert_eq!(
        breaker.state(),
        BreakerState::Closed,
        "32 767 of 65 536 failed"
    );
    fail(&breaker).await.unwrap_err();
    assert_eq!(
        breaker.state(),
        BreakerState::Open,
        "32 768 of 65 536 failed"
    );
}

#[tokio::test(start_paused = true)]
async fn a_time_window_forgets_a_call_between_nine_tenths_and_all_of_it() {
    let breaker = || {
        CircuitBreaker::builder()
            .failure_rate(1.0, Window::Time(Duration::from_secs(10)), 2)
            .build()
    };
    // Finished just after a bucket starts: still counted 9.9 s later...
    let kept = breaker();
    sleep(Duration::from_millis(1)).await;
    fail(&kept).await.unwrap_err();
    sleep(Duration::from_millis(9_900)).await;
    fail(&kept).await.unwrap_err();
    assert_eq!(kept.state(), BreakerState::Open, "2 of 2 within the window");
    // ...and forgotten once the full window has passed.
    let forgot = breaker();
    fail(&forgot).await.unwrap_err();
    sleep(Duration::from_secs(10)).await;
    fail(&forgot).await.unwrap_err();
    assert_eq!(forgot.state(), BreakerState::Closed, "1 call in the window");
    // Finished at the end of a bucket: forgotten 9 s and a bit later.
    let early = breaker();
    sleep(Duration::from_millis(999)).await;
    fail(&early).await.unwrap_err();
    sleep(Duration::from_millis(9_001)).await;
    fail(&early).await.unwrap_err();
    assert_eq!(early.state(), BreakerState::Closed, "forgotten after 0.9 d");
}

#[tokio::test(start_paused = true)]
async fn the_listener_runs_outside_the_lock() {
    let handle: Arc<std::sync::OnceLock<CircuitBreaker>> = Arc::default();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let breaker = CircuitBreaker::builder()
        .consecutive_failures(1)
        .on_state_change({
            let (handle, seen) = (handle.clone(), seen.clone());
            move |change| {
                // Would deadlock if the breaker's lock were held here.
                let now = handle.get().map(CircuitBreaker::state);
                seen.lock().expect("seen").push((change.to, now));
            }
        })
        .build();
    assert!(handle.set(breaker.clone()).is_ok());
    fail(&breaker).await.unwrap_err();
    assert_eq!(
        *seen.lock().expect("seen"),
        [(BreakerState::Open, Some(BreakerState::Open))]
    );
}

#[tokio::test(start_paused = true)]
async fn an_expired_open_breaker_reports_open_until_a_call_arrives() {
    let breaker = CircuitBreaker::builder()
        .consecutive_failures(1)
        .open_for(Duration::from_secs(2))
        .build();
    fail(&breaker).await.unwrap_err();
    sleep(Duration::from_secs(60)).await;
    assert_eq!(breaker.state(), BreakerState::Open);
    let trial = breaker.call(std::future::pending::<Result<(), &str>>());
    let mut trial = std::pin::pin!(trial);
    assert!(futures_util::poll!(trial.as_mut()).is_pending());
    assert_eq!(breaker.state(), BreakerState::HalfOpen);
}

/// Starts a call on `breaker` and drops it before it finishes.
async fn dropped(breaker: &CircuitBreaker) {
    let call = breaker.call(async {
        sleep(Duration::from_secs(1)).await;
        Ok::<_, &str>(())
    });
    assert!(
        tokio::time::timeout(Duration::from_millis(1), call)
            .await
            .is_err()
    );
}

#[tokio::test(start_paused = true)]
async fn a_call_dropped_while_closed_counts_as_neither_outcome() {
    let breaker = CircuitBreaker::builder().consecutive_failures(2).build();
    fail(&breaker).await.unwrap_err();
    dropped(&breaker).await; // not a success: the run of failures goes on
    fail(&breaker).await.unwrap_err();
    assert_eq!(breaker.state(), BreakerState::Open);

    let breaker = CircuitBreaker::builder().consecutive_failures(2).build();
    fail(&breaker).await.unwrap_err();
    dropped(&breaker).await; // not a failure either
    assert_eq!(breaker.state(), BreakerState::Closed);
}
