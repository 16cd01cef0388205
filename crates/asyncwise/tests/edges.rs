//! Promises held against hostile inputs (the runtime promise audit of
//! session 5): durations too large for the clock, callbacks that panic.
//! Each test names the doc
//! statement it checks; each failed on the code before its fix.
//!
//! `Duration::MAX` is how callers say "forever" (no deadline, never reopen,
//! never cut): `Instant + Duration::MAX` overflows, so every place that adds
//! a configured duration to the clock must saturate instead of panicking.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use asyncwise::{
    BatchedExt, BoxError, BreakerError, BreakerState, CancellationToken, CircuitBreaker, Jitter,
    RestartPolicy, RetryPolicy, Shutdown, Strategy, Supervisor, TaskGroup,
};
use futures_util::{FutureExt, StreamExt};
use tokio::time::{sleep, timeout};

/// Far enough to say "this never ends by itself" in paused time.
const NEVER: Duration = Duration::from_secs(365 * 86_400);

/// `batched`: "Yields a batch when it holds `max_items` items, when
/// `max_delay` has passed since its first item arrived, or when the stream
/// ends with items waiting." With `max_delay` = `Duration::MAX` the first
/// item used to panic (`Instant + Duration::MAX`).
#[tokio::test(start_paused = true)]
async fn batched_with_an_endless_delay_yields_on_size_and_at_the_end() {
    let batches: Vec<Vec<u32>> = futures_util::stream::iter(0..5)
        .batched(2, Duration::MAX)
        .collect()
        .await;
    assert_eq!(batches, [vec![0, 1], vec![2, 3], vec![4]]);
}

/// `BreakerBuilder::open_for`: "How long the breaker stays open before
/// admitting trial calls." An open duration of `Duration::MAX` (never admit
/// trials) used to panic in the call that tripped the breaker.
#[tokio::test(start_paused = true)]
async fn a_breaker_open_for_ever_rejects_and_does_not_panic() {
    let breaker = CircuitBreaker::builder()
        .consecutive_failures(1)
        .open_for(Duration::MAX)
        .build();
    let tripped = AssertUnwindSafe(breaker.call(async { Err::<(), _>("down") }))
        .catch_unwind()
        .await
        .expect("tripping the breaker must not panic");
    assert_eq!(tripped, Err(BreakerError::Inner("down")));
    assert_eq!(breaker.state(), BreakerState::Open);
    sleep(NEVER).await;
    match breaker.call(async { Ok::<_, &str>(()) }).await {
        Err(BreakerError::Open { retry_in }) => assert!(retry_in > NEVER, "{retry_in:?}"),
        other => panic!("expected a rejection, got {other:?}"),
    }
}

/// `open_backoff`: "Makes successive open durations follow `policy`." A
/// policy whose delay is `Duration::MAX` is the same "never" as above.
#[tokio::test(start_paused = true)]
async fn a_breaker_with_an_endless_open_backoff_does_not_panic() {
    let breaker = CircuitBreaker::builder()
        .consecutive_failures(1)
        .open_backoff(RetryPolicy::exponential(Duration::MAX).jitter(Jitter::None))
        .build();
    let tripped = AssertUnwindSafe(breaker.call(async { Err::<(), _>("down") }))
        .catch_unwind()
        .await;
    assert!(tripped.is_ok(), "tripping the breaker must not panic");
    assert_eq!(breaker.state(), BreakerState::Open);
}

/// `Shutdown::with_deadline`: "A shutdown whose drain gives tasks
/// `deadline` to stop." A deadline of `Duration::MAX` (wait as long as it
/// takes) used to panic in `trigger` and in `drain`.
#[tokio::test(start_paused = true)]
async fn a_shutdown_with_an_endless_deadline_drains_without_panicking() {
    let shutdown = Shutdown::with_deadline(Duration::MAX);
    let token = shutdown.token();
    shutdown.spawn("polite", async move {
        token.cancelled().await;
        sleep(Duration::from_secs(3)).await;
    });
    let trigger = {
        let shutdown = shutdown.clone();
        std::panic::catch_unwind(move || shutdown.trigger())
    };
    assert!(trigger.is_ok(), "trigger must not panic");
    let report = timeout(NEVER, AssertUnwindSafe(shutdown.drain()).catch_unwind())
        .await
        .expect("the drain ends once the task stopped")
        .expect("the drain must not panic");
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.drain_time, Duration::from_secs(3));
}

/// `TaskGroup::with_grace`: "How long cancelled tasks may keep running." A
/// grace of `Duration::MAX` used to panic inside the task that saw the
/// cancellation, so a task that finished politely was reported as panicked.
#[tokio::test(start_paused = true)]
async fn a_group_with_an_endless_grace_lets_its_tasks_finish() {
    let mut group = TaskGroup::new().with_grace(Duration::MAX);
    let token = group.cancellation_token();
    group
        .spawn("polite", async move {
            token.cancelled().await;
            sleep(Duration::from_secs(2)).await;
            7_u32
        })
        .expect("not cancelled yet");
    sleep(Duration::from_millis(1)).await;
    group.cancel();
    let joined = timeout(NEVER, group.join_next())
        .await
        .expect("the task finishes within its grace")
        .expect("one task");
    assert_eq!(joined.expect("finished, not panicked or cut"), 7);
}

/// `Supervisor::shutdown_grace` with `Strategy::OneForAll`: siblings
/// "still running after the shutdown grace period are aborted". A grace of
/// `Duration::MAX` used to panic in the supervisor when a child failed and
/// its siblings were stopped for the group restart.
#[tokio::test(start_paused = true)]
async fn a_supervisor_with_an_endless_grace_restarts_its_group() {
    let token = CancellationToken::new();
    let stop = token.clone();
    let db_runs = Arc::new(AtomicU32::new(0));
    let runs = Arc::clone(&db_runs);
    let supervisor = Supervisor::new(token)
        .strategy(Strategy::OneForAll)
        .shutdown_grace(Duration::MAX)
        .restart_policy(RetryPolicy::exponential(Duration::from_millis(10)).jitter(Jitter::None))
        .child("cache", RestartPolicy::Permanent, |ctx| async move {
            ctx.token().cancelled().await;
            Ok::<_, BoxError>(())
        })
        .child("db", RestartPolicy::Transient, move |ctx| {
            let runs = Arc::clone(&runs);
            let stop = stop.clone();
            async move {
                runs.fetch_add(1, Ordering::SeqCst);
                if ctx.restarts() == 0 {
                    return Err::<(), BoxError>("lost connection".into());
                }
                stop.cancel();
                Ok(())
            }
        });
    let report = timeout(NEVER, AssertUnwindSafe(supervisor.run()).catch_unwind())
        .await
        .expect("the supervisor stops when its token is cancelled")
        .expect("the supervisor must not panic")
        .expect("no escalation");
    assert!(report.shut_down);
    assert_eq!(db_runs.load(Ordering::SeqCst), 2);
    assert_eq!(report.children[0].restarts, 1, "{report}");
}

/// `Supervisor::restart_policy`: a restart "waits for the next delay of the
/// child's own `RetryPolicy::delays`". A delay of `Duration::MAX` means the
/// child is never restarted; it used to panic the supervisor.
#[tokio::test(start_paused = true)]
async fn a_supervisor_with_an_endless_restart_delay_waits_instead_of_panicking() {
    let token = CancellationToken::new();
    let stop = token.clone();
    let runs = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&runs);
    let supervisor = Supervisor::new(token)
        .restart_policy(RetryPolicy::exponential(Duration::MAX).jitter(Jitter::None))
        .child("flaky", RestartPolicy::Permanent, move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
            async { Err::<(), BoxError>("fails".into()) }
        });
    let running = tokio::spawn(AssertUnwindSafe(supervisor.run()).catch_unwind());
    sleep(NEVER).await;
    assert_eq!(runs.load(Ordering::SeqCst), 1, "never restarted");
    stop.cancel();
    let report = running
        .await
        .expect("supervisor task")
        .expect("the supervisor must not panic")
        .expect("no escalation");
    assert!(report.shut_down);
}

/// `CircuitBreaker`: "half-open admits exactly K trials" and the breaker
/// closes again once they succeed. A state-change listener that panics on
/// the open -> half-open change used to leave that first trial's slot taken
/// for ever (the permit did not exist yet when the panic unwound), so every
/// later call was rejected with `retry_in` zero and the breaker never
/// closed.
#[tokio::test(start_paused = true)]
async fn a_listener_that_panics_on_half_open_does_not_wedge_the_breaker() {
    let panicked_once = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&panicked_once);
    let breaker = CircuitBreaker::builder()
        .consecutive_failures(1)
        .open_for(Duration::from_secs(1))
        .on_state_change(move |change| {
            if change.to == BreakerState::HalfOpen && !flag.swap(true, Ordering::SeqCst) {
                panic!("listener bug");
            }
        })
        .build();
    let _ = breaker.call(async { Err::<(), _>("down") }).await;
    sleep(Duration::from_secs(1)).await;
    let ran = Arc::new(AtomicBool::new(false));
    let ran_in_call = Arc::clone(&ran);
    let first_trial = AssertUnwindSafe(breaker.call(async move {
        ran_in_call.store(true, Ordering::SeqCst);
        Ok::<_, &str>(())
    }))
    .catch_unwind()
    .await;
    assert!(
        first_trial.is_err(),
        "the listener's panic reaches the caller"
    );
    assert!(!ran.load(Ordering::SeqCst), "the operation was not run");
    assert_eq!(breaker.state(), BreakerState::HalfOpen);
    assert_eq!(
        breaker.call(async { Ok::<_, &str>(1) }).await,
        Ok(1),
        "the trial slot of the call that unwound is free again"
    );
    assert_eq!(breaker.state(), BreakerState::Closed);
}
