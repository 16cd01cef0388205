//! Promises held against hostile inputs (the runtime promise audit of
//! session 5): durations too large for the clock, callbacks that panic,
//! configuration changed after the first poll. Each test names the doc
//! statement it checks; each failed on the code before its fix.
//!
//! `Duration::MAX` is how callers say "forever" (no deadline, never reopen,
//! never cut): `Instant + Duration::MAX` overflows, so every place that adds
//! a configured duration to the clock must saturate instead of panicking.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asyncwise::{
    BatchConfig, BatchedExt, Batcher, BoxError, BreakerError, BreakerState, CancellationToken,
    CircuitBreaker, FlushError, Jitter, PipelineExt, RestartPolicy, RetryPolicy, Shutdown,
    StageErrorKind, Strategy, Supervisor, TaskGroup,
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

/// `BatchWorker`'s drop: "A worker dropped before it finished ...
/// dead-letters what it had accepted." A dead-letter callback that always
/// panics ended `run` (documented) and the worker, dropped while that panic
/// unwound, called it again for the items still queued: a panic during a
/// panic, which aborts the whole process. Now the drop catches the
/// callback's panic while unwinding; the worker's task ends with the first
/// panic and every accepted item was offered to the callback.
#[tokio::test(start_paused = true)]
async fn a_dead_letter_callback_that_panics_does_not_abort_the_process() {
    let config = BatchConfig::new(1, Duration::ZERO)
        .capacity(8)
        .retry(RetryPolicy::default().max_attempts(1));
    let (batcher, worker) = Batcher::new(config, |_| async { Err::<(), _>("store down") });
    let offered = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&offered);
    let worker = worker.dead_letter(move |batch, _error| {
        seen.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend(batch.iter().copied());
        panic!("dead-letter sink is broken");
    });
    for n in 0..4 {
        batcher.send(n).await.expect("open");
    }
    let ended = tokio::spawn(worker.run()).await;
    let error = ended.expect_err("the panicking callback ends the worker");
    assert!(error.is_panic());
    let mut offered = offered
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    offered.sort_unstable();
    assert_eq!(offered, [0, 1, 2, 3]);
}

/// `BatchWorker`'s drop outside of a panic: "A dead-letter callback that
/// panics here still gets every other batch; its first panic then unwinds
/// out of the drop." A worker dropped mid-flush holds two batches (the one
/// in flight and the queue); before, the callback's panic on the first one
/// lost the second.
#[tokio::test(start_paused = true)]
async fn a_dropped_worker_offers_every_batch_before_the_callback_panic_unwinds() {
    let config = BatchConfig::new(1, Duration::ZERO).capacity(8);
    let (batcher, worker) = Batcher::new(config, |_| std::future::pending::<Result<(), String>>());
    let offered = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&offered);
    let worker = worker.dead_letter(move |batch, error| {
        seen.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((batch.to_vec(), error.attempts()));
        panic!("dead-letter sink is broken");
    });
    for n in 0..3 {
        batcher.send(n).await.expect("open");
    }
    let mut run = Box::pin(worker.run());
    // Item 0 is in flight (its flush never ends), 1 and 2 are queued.
    assert!(futures_util::poll!(run.as_mut()).is_pending());
    let dropped = std::panic::catch_unwind(AssertUnwindSafe(move || drop(run)));
    assert!(
        dropped.is_err(),
        "the callback's panic unwinds out of the drop"
    );
    let offered = offered
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    assert_eq!(offered, [(vec![0], 1), (vec![1, 2], 0)]);
}

/// `FlushError::Panicked`: "The flush future panicked; a panic is not
/// retried. The worker caught it and goes on with the next batch." A flush
/// *function* that panics while building its future (before any `async`
/// block) used to end the worker; it is now the same as a panicking flush.
#[tokio::test(start_paused = true)]
async fn a_flush_function_that_panics_before_its_future_is_dead_lettered() {
    let config = BatchConfig::new(2, Duration::from_millis(5));
    let (batcher, worker) = Batcher::new(config, |batch: asyncwise::Batch<u32>| {
        assert!(!batch.contains(&13), "unlucky batch");
        async { Ok::<(), String>(()) }
    });
    let dead = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&dead);
    let worker = worker.dead_letter(move |batch, error| {
        sink.lock().expect("sink").push((batch.to_vec(), error));
    });
    let worker = tokio::spawn(worker.run());
    for n in [1, 13, 2, 3] {
        batcher.send(n).await.expect("open");
    }
    drop(batcher);
    let report = worker.await.expect("the worker goes on after the panic");
    assert_eq!(report.items_flushed, 2);
    assert_eq!(report.items_dead_lettered, 2);
    let dead = dead.lock().expect("sink");
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].0, [1, 13]);
    assert!(
        matches!(&dead[0].1, FlushError::Panicked { message, attempts: 1 } if message == "unlucky batch"),
        "{:?}",
        dead[0].1
    );
}

/// `item_timeout`: "Gives up on an item after `limit` ... and treats it as
/// a `StageErrorKind::TimedOut` error"; "Items started before this call
/// keep" their own terms. An item started under a 1 s timeout that timed
/// out after the timeout was changed to 5 s used to be reported as "timed
/// out after 5s".
#[tokio::test(start_paused = true)]
async fn a_timed_out_item_reports_the_timeout_it_ran_under() {
    let (tx, rx) = tokio::sync::mpsc::channel::<u32>(4);
    // Boxed so that the stage is `Unpin` and can be reconfigured after it
    // was polled.
    let input = Box::pin(futures_util::stream::unfold(rx, |mut rx| async {
        rx.recv().await.map(|n| (n, rx))
    }));
    let mut stage = input
        .map_concurrent(4, |_| std::future::pending::<Result<(), String>>())
        .item_timeout(Duration::from_secs(1));
    tx.send(0).await.expect("open");
    // Item 0 starts under the 1 s timeout; then the timeout changes.
    assert!(futures_util::poll!(stage.next()).is_pending());
    assert_eq!(stage.held(), 1);
    let mut stage = stage.item_timeout(Duration::from_secs(5));
    let error = timeout(NEVER, stage.next())
        .await
        .expect("item 0 times out")
        .expect("an item")
        .expect_err("timed out");
    assert_eq!(error.index, 0);
    assert_eq!(error.kind, StageErrorKind::TimedOut(Duration::from_secs(1)));
}

/// `Shutdown`: "the drain is airtight (after the deadline nothing tracked
/// runs or starts)"; `ShutdownReport::refused`: "Tracked tasks spawned
/// after the deadline had passed: aborted at once, never polled." Checked
/// for `Shutdown::spawn_blocking` on the multi-thread runtime with a warm
/// blocking pool: the closure went to an idle pool thread before the abort
/// reached it, and ran in 13 838 of 20 000 rounds.
#[test]
fn a_blocking_closure_spawned_after_the_deadline_never_runs() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let ran = Arc::new(AtomicU32::new(0));
    runtime.block_on(async {
        let shutdown = Shutdown::with_deadline(Duration::from_millis(1));
        shutdown.spawn("stuck", std::future::pending::<()>());
        let report = shutdown.drain().await;
        assert_eq!(report.stragglers.len(), 1);
        for _ in 0..500 {
            let flag = Arc::clone(&ran);
            let handle = shutdown.spawn_blocking("too-late", move || {
                flag.fetch_add(1, Ordering::SeqCst);
            });
            assert!(handle.await.expect_err("refused").is_cancelled());
        }
        assert!(shutdown.running().is_empty());
    });
    assert_eq!(
        ran.load(Ordering::SeqCst),
        0,
        "closures ran after the deadline"
    );
}

/// `spawn_blocking`: "Spawned after the deadline it never runs and is listed
/// as refused", at the very instant the deadline passes (the case the docs
/// left open): closures spawned in a tight loop from another thread while a
/// drain cuts at the deadline. A closure listed as refused ("aborted at
/// once, never polled") must not have run, and none starts after the drain
/// returned ("no tracked task is running any more").
#[test]
fn a_blocking_closure_spawned_as_the_deadline_passes_is_never_both_refused_and_run() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut breaches = Vec::new();
    let mut refused_total = 0;
    for round in 0..60 {
        let shutdown = Shutdown::with_deadline(Duration::from_millis(2));
        let ran = Arc::new(Mutex::new(std::collections::HashSet::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let spawner = {
            let shutdown = shutdown.clone();
            let ran = Arc::clone(&ran);
            let stop = Arc::clone(&stop);
            let handle = runtime.handle().clone();
            std::thread::spawn(move || {
                let _runtime = handle.enter();
                let mut n = 0_u32;
                while !stop.load(Ordering::SeqCst) && n < 20_000 {
                    let ran = Arc::clone(&ran);
                    drop(shutdown.spawn_blocking(format!("racer-{n}"), move || {
                        ran.lock().expect("ran").insert(n);
                    }));
                    n += 1;
                }
            })
        };
        let (report, ran_by_the_drain) = runtime.block_on(async {
            shutdown.spawn("stuck", std::future::pending::<()>());
            let report = shutdown.drain().await;
            (report, ran.lock().expect("ran").len())
        });
        stop.store(true, Ordering::SeqCst);
        spawner.join().expect("spawner");
        // Time for a closure that escaped the drain to run.
        std::thread::sleep(Duration::from_millis(5));
        assert!(report.not_stopped.is_empty(), "{report}");
        let ran = ran.lock().expect("ran");
        assert_eq!(ran.len(), ran_by_the_drain, "closures ran after the drain");
        refused_total += report.refused.len();
        for task in &report.refused {
            let n: u32 = task.name["racer-".len()..].parse().expect("racer name");
            if ran.contains(&n) {
                breaches.push((round, n));
            }
        }
    }
    assert!(
        refused_total > 0,
        "no closure was spawned after the deadline"
    );
    assert!(
        breaches.is_empty(),
        "refused closures that ran (round, closure): {breaches:?}"
    );
}

/// `spawn_blocking`: "A closure that has not started when the deadline
/// passes never starts": a closure queued behind a busy blocking pool (one
/// thread) is a straggler at the deadline, listed as not stopped while it
/// waits for a thread, and does not run when the thread frees up.
#[test]
fn a_blocking_closure_still_queued_at_the_deadline_never_starts() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .max_blocking_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let ran = Arc::new(AtomicBool::new(false));
    let (release, released) = std::sync::mpsc::channel::<()>();
    let (hog_started, hog_has_started) = tokio::sync::oneshot::channel::<()>();
    let shutdown = Shutdown::with_deadline(Duration::from_millis(20));
    let report = runtime.block_on(async {
        let hog = tokio::task::spawn_blocking(move || {
            let _ = hog_started.send(());
            let _ = released.recv();
        });
        hog_has_started
            .await
            .expect("the hog holds the only thread");
        let flag = Arc::clone(&ran);
        let queued = shutdown.spawn_blocking("queued", move || flag.store(true, Ordering::SeqCst));
        let report = shutdown.drain().await;
        release.send(()).expect("the hog waits");
        hog.await.expect("hog");
        assert!(queued.await.expect_err("cut").is_cancelled());
        report
    });
    let names = |tasks: &[asyncwise::TaskInfo]| -> Vec<String> {
        tasks.iter().map(|t| t.name.to_string()).collect()
    };
    assert_eq!(names(&report.stragglers), ["queued"]);
    assert_eq!(names(&report.not_stopped), ["queued"]);
    // The pool thread is free and has taken the queued closure by now.
    runtime.block_on(async {
        let gone = async {
            while !shutdown.running().is_empty() {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        };
        timeout(Duration::from_secs(10), gone)
            .await
            .expect("the queued closure was taken and dropped");
    });
    assert!(!ran.load(Ordering::SeqCst), "a cut closure started");
}

/// `Batcher`: "every accepted item ends up either flushed or handed to the
/// dead-letter callback", with the worker run as a `Shutdown` task whose
/// flush never returns ("Retries are not cancelled by shutdown"): the drain
/// deadline cuts the worker, the report names it, and its drop
/// dead-letters the batch in flight (one attempt) and the queued items.
#[tokio::test(start_paused = true)]
async fn a_batcher_whose_flush_hangs_is_cut_at_the_deadline_and_loses_nothing() {
    let shutdown = Shutdown::with_deadline(Duration::from_secs(1));
    let config = BatchConfig::new(1, Duration::ZERO)
        .capacity(8)
        .cancel_on(shutdown.child_token());
    let (batcher, worker) = Batcher::new(config, |_| std::future::pending::<Result<(), String>>());
    let dead = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&dead);
    let worker = worker.dead_letter(move |batch, error| {
        sink.lock()
            .expect("sink")
            .push((batch.to_vec(), error.attempts()));
    });
    shutdown.spawn("batcher", async move {
        worker.run().await;
    });
    for n in 0..3 {
        batcher.send(n).await.expect("open");
    }
    sleep(Duration::from_millis(10)).await;
    let report = timeout(NEVER, shutdown.drain())
        .await
        .expect("the deadline ends the drain");
    let stragglers: Vec<_> = report.stragglers.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(stragglers, ["batcher"]);
    assert!(report.not_stopped.is_empty(), "{report}");
    assert_eq!(*dead.lock().expect("sink"), [(vec![0], 1), (vec![1, 2], 0)]);
    assert!(batcher.send(3).await.is_err(), "closed after the shutdown");
}

/// `Shutdown::drain`: "Tasks spawned during the drain (for example a final
/// flush) are waited for too."
#[tokio::test(start_paused = true)]
async fn a_task_spawned_during_the_drain_is_waited_for() {
    let shutdown = Shutdown::with_deadline(Duration::from_secs(10));
    let finished = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&finished);
    let spawner = shutdown.clone();
    let token = shutdown.token();
    shutdown.spawn("server", async move {
        token.cancelled().await;
        spawner.spawn("final-flush", async move {
            sleep(Duration::from_secs(2)).await;
            flag.store(true, Ordering::SeqCst);
        });
    });
    let report = shutdown.drain().await;
    assert!(report.is_clean(), "{report}");
    assert!(finished.load(Ordering::SeqCst));
    assert_eq!(report.drain_time, Duration::from_secs(2));
}

/// `SupervisorReport::shut_down`: "`false` if every child ended without
/// being restarted" — trivially so for a supervisor with no children,
/// which returns at once instead of waiting for its token.
#[tokio::test(start_paused = true)]
async fn a_supervisor_without_children_returns_at_once() {
    let report = timeout(
        Duration::from_secs(1),
        Supervisor::new(CancellationToken::new()).run(),
    )
    .await
    .expect("nothing to wait for")
    .expect("no escalation");
    assert!(!report.shut_down);
    assert!(report.children.is_empty());
}

/// `CircuitBreaker::call`: "A call dropped before it finished counts as
/// neither success nor failure (and frees its trial slot)." An operation
/// that panics is such a call: the panic reaches the caller, nothing is
/// counted, and a half-open trial's slot is free again.
#[tokio::test(start_paused = true)]
async fn a_panicking_operation_counts_as_a_dropped_call() {
    let breaker = CircuitBreaker::builder()
        .consecutive_failures(1)
        .open_for(Duration::from_secs(1))
        .build();
    let panicked = AssertUnwindSafe(breaker.call(async {
        panic!("client bug");
        #[allow(unreachable_code)]
        Ok::<(), &str>(())
    }))
    .catch_unwind()
    .await;
    assert!(panicked.is_err());
    assert_eq!(
        breaker.state(),
        BreakerState::Closed,
        "not counted as a failure"
    );
    let _ = breaker.call(async { Err::<(), _>("down") }).await;
    sleep(Duration::from_secs(1)).await;
    let trial = AssertUnwindSafe(breaker.call(async {
        panic!("client bug");
        #[allow(unreachable_code)]
        Ok::<(), &str>(())
    }))
    .catch_unwind()
    .await;
    assert!(trial.is_err());
    assert_eq!(breaker.state(), BreakerState::HalfOpen);
    assert_eq!(breaker.call(async { Ok::<_, &str>(2) }).await, Ok(2));
    assert_eq!(breaker.state(), BreakerState::Closed);
}

/// `Batcher::send`: "[`BatcherClosed`] with the item when ... its worker
/// finished or was dropped", also for a send that waits for room.
#[tokio::test(start_paused = true)]
async fn a_send_waiting_for_room_gets_its_item_back_when_the_worker_is_dropped() {
    let config = BatchConfig::new(1, Duration::ZERO).capacity(1);
    let (batcher, worker) = Batcher::new(config, |_| async { Ok::<(), String>(()) });
    batcher.send(1).await.expect("room for one");
    let waiting = tokio::spawn({
        let batcher = batcher.clone();
        async move { batcher.send(2).await }
    });
    sleep(Duration::from_millis(1)).await;
    assert!(!waiting.is_finished(), "the queue is full");
    drop(worker);
    let handed_back = timeout(NEVER, waiting)
        .await
        .expect("the send ends")
        .expect("send task");
    assert_eq!(handed_back.expect_err("closed").0, 2);
}

/// `BatchConfig::cancel_on`: "When `token` is cancelled the batcher stops
/// accepting items at once ... the worker flushes everything it accepted,
/// and finishes" — also when the token fired before anything started.
#[tokio::test(start_paused = true)]
async fn a_batcher_whose_token_fired_before_it_started_accepts_nothing_and_ends() {
    let token = CancellationToken::new();
    token.cancel();
    let config = BatchConfig::new(10, Duration::from_secs(1)).cancel_on(token);
    let (batcher, worker) = Batcher::new(config, |_| async { Ok::<(), String>(()) });
    assert_eq!(batcher.send(1).await.expect_err("closed").0, 1);
    assert!(batcher.is_closed());
    let report = timeout(Duration::from_secs(1), worker.run())
        .await
        .expect("the worker ends at once");
    assert_eq!(report.items_flushed + report.items_dead_lettered, 0);
}

/// `Shutdown`: the deadline "counts from the first of: `trigger`, ...", and
/// the drain enforces it: a drain that starts after the deadline has
/// already passed aborts what is still running at once (a tracked task
/// spawned between the deadline and the drain did run: nothing closes the
/// registry before a drain). A second drain returns at once; its report
/// holds only what happened since the first.
#[tokio::test(start_paused = true)]
async fn a_drain_started_after_the_deadline_cuts_at_once_and_a_second_drain_adds_nothing() {
    let shutdown = Shutdown::with_deadline(Duration::from_secs(5));
    shutdown.trigger();
    sleep(Duration::from_secs(10)).await;
    let late_ran = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&late_ran);
    shutdown.spawn("late", async move {
        flag.store(true, Ordering::SeqCst);
        std::future::pending::<()>().await;
    });
    shutdown.spawn("failing", async { Err::<(), _>("broken") });
    tokio::task::yield_now().await;
    assert!(late_ran.load(Ordering::SeqCst));
    let report = shutdown.drain().await;
    assert_eq!(report.drain_time, Duration::ZERO);
    let stragglers: Vec<_> = report.stragglers.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(stragglers, ["late"]);
    assert_eq!(report.failures.len(), 1);
    let again = timeout(Duration::from_secs(1), shutdown.drain())
        .await
        .expect("a second drain returns at once");
    assert!(again.stragglers.is_empty());
    assert!(again.failures.is_empty(), "each failure is in one report");
}

/// `ErrorPolicy::FailFast`: "The first failure or panic cancels the group":
/// the panic case, for the lean task form (a plain group: no parent, no
/// grace) and for the full one (a group with a grace), and for a task
/// spawned through a `Spawner`.
#[tokio::test(start_paused = true)]
async fn a_panic_cancels_a_fail_fast_group_like_a_failure() {
    for (graceful, through_spawner) in [(false, false), (true, false), (false, true)] {
        let mut group = TaskGroup::<u32>::new().with_policy(asyncwise::ErrorPolicy::FailFast);
        if graceful {
            group = group.with_grace(Duration::from_secs(1));
        }
        group
            .spawn("deaf", async {
                sleep(NEVER).await;
                1
            })
            .expect("spawned");
        let boom = async {
            sleep(Duration::from_millis(10)).await;
            panic!("boom")
        };
        if through_spawner {
            group.spawner().spawn("boom", boom).expect("spawned");
        } else {
            group.spawn("boom", boom).expect("spawned");
        }
        let started = tokio::time::Instant::now();
        let mut outcomes = Vec::new();
        while let Some(joined) = timeout(NEVER, group.join_next_named())
            .await
            .expect("the group ends")
        {
            outcomes.push((
                joined.name.into_owned(),
                joined.result.map_err(|e| e.to_string()),
            ));
        }
        outcomes.sort();
        let grace = if graceful {
            Duration::from_secs(1)
        } else {
            Duration::ZERO
        };
        assert_eq!(
            started.elapsed(),
            Duration::from_millis(10) + grace,
            "{graceful} {through_spawner}: {outcomes:?}"
        );
        assert_eq!(outcomes.len(), 2);
        assert!(
            outcomes[0].1.as_ref().is_err_and(|e| e.contains("boom")),
            "{outcomes:?}"
        );
        assert!(
            outcomes[1].1.as_ref().is_err_and(|e| e.contains("cancel")),
            "{outcomes:?}"
        );
        assert!(group.is_cancelled());
    }
}

/// `Supervisor::child`: "its future's `Err` counts as a failure, and so
/// does a panic" — also a panic of the factory itself, before it returns a
/// future: a run that panicked at once, restarted by its policy, not a
/// panic of the supervisor.
#[tokio::test(start_paused = true)]
async fn a_factory_that_panics_is_a_run_that_panicked() {
    let calls = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&calls);
    let supervisor = Supervisor::new(CancellationToken::new())
        .restart_policy(RetryPolicy::exponential(Duration::from_millis(10)).jitter(Jitter::None))
        .child("flaky-factory", RestartPolicy::Transient, move |_ctx| {
            assert!(counted.fetch_add(1, Ordering::SeqCst) > 0, "factory bug");
            async { Ok::<(), BoxError>(()) }
        })
        .child(
            "broken-factory",
            RestartPolicy::Temporary,
            |_ctx| -> std::future::Ready<Result<(), BoxError>> { panic!("never builds") },
        );
    let report = timeout(NEVER, AssertUnwindSafe(supervisor.run()).catch_unwind())
        .await
        .expect("every child ends")
        .expect("the supervisor must not panic")
        .expect("no escalation");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(report.children[0].restarts, 1);
    assert!(report.children[0].last_error.is_none());
    assert!(
        matches!(&report.children[1].last_error, Some(asyncwise::TaskError::Panicked { message, .. }) if message == "never builds"),
        "{report}"
    );
}

/// `TaskGroup::spawn_wait`, cancel safety: "Dropping the returned future
/// while it waits for a slot gives up its place in the queue; nothing is
/// spawned." Checked for the group's and a `Spawner`'s `spawn_wait`: the
/// task's future is dropped unpolled and the slot goes to the next comer.
#[tokio::test(start_paused = true)]
async fn a_dropped_spawn_wait_spawns_nothing_and_keeps_no_slot() {
    for through_spawner in [false, true] {
        let mut group = TaskGroup::<u32>::bounded(1);
        group
            .spawn("holder", async {
                sleep(Duration::from_secs(1)).await;
                1
            })
            .expect("spawned");
        let polled = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&polled);
        let task = async move {
            flag.store(true, Ordering::SeqCst);
            2
        };
        let gave_up = if through_spawner {
            let spawner = group.spawner();
            timeout(
                Duration::from_millis(10),
                spawner.spawn_wait("waiter", task),
            )
            .await
        } else {
            timeout(Duration::from_millis(10), group.spawn_wait("waiter", task)).await
        };
        assert!(gave_up.is_err(), "it was still waiting for the slot");
        let mut outputs = Vec::new();
        while let Some(joined) = group.join_next().await {
            outputs.push(joined.expect("finished"));
        }
        assert_eq!(outputs, [1], "only the holder ran");
        assert!(!polled.load(Ordering::SeqCst));
        assert_eq!(group.available_slots(), Some(1));
        group
            .try_spawn("next", async { 3 })
            .expect("the slot is free");
        assert_eq!(group.join_next().await.map(Result::ok), Some(Some(3)));
    }
}

/// `Shutdown::trigger`: "the drain deadline counts from now" — from the
/// *first* trigger: a second one neither restarts nor extends it.
#[tokio::test(start_paused = true)]
async fn a_second_trigger_does_not_move_the_deadline() {
    let shutdown = Shutdown::with_deadline(Duration::from_secs(5));
    shutdown.spawn("deaf", std::future::pending::<()>());
    let first = tokio::time::Instant::now();
    shutdown.trigger();
    sleep(Duration::from_secs(3)).await;
    shutdown.trigger();
    let report = shutdown.drain().await;
    assert_eq!(first.elapsed(), Duration::from_secs(5));
    assert_eq!(report.stragglers.len(), 1);
}

/// `Supervisor::restart_intensity`: "Escalate when more than
/// `max_restarts` restarts happen within `window`": with zero, the first
/// restart escalates, and the child is not run again.
#[tokio::test(start_paused = true)]
async fn a_restart_intensity_of_zero_escalates_on_the_first_restart() {
    let runs = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&runs);
    let result = timeout(
        NEVER,
        Supervisor::new(CancellationToken::new())
            .restart_intensity(0, Duration::from_secs(60))
            .child("fails", RestartPolicy::Permanent, move |_| {
                counted.fetch_add(1, Ordering::SeqCst);
                async { Err::<(), BoxError>("down".into()) }
            })
            .run(),
    )
    .await
    .expect("the supervisor ends");
    assert!(
        matches!(
            result,
            Err(asyncwise::SupervisorError::Escalated {
                max_restarts: 0,
                ..
            })
        ),
        "{result:?}"
    );
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

/// A service whose readiness fails and whose calls fail.
#[derive(Clone)]
struct Broken;

impl tower_service::Service<()> for Broken {
    type Response = ();
    type Error = &'static str;
    type Future = std::future::Ready<Result<(), &'static str>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), &'static str>> {
        std::task::Poll::Ready(Err("pool closed"))
    }

    fn call(&mut self, (): ()) -> Self::Future {
        std::future::ready(Err("call failed"))
    }
}

/// `CircuitBreakerLayer`: "Every error of the inner service's calls counts
/// as a failure"; an error from `poll_ready` is passed on without being
/// counted (no call was admitted; before, the doc said "every error of the
/// inner service").
#[tokio::test(start_paused = true)]
async fn a_readiness_error_is_passed_on_and_not_counted() {
    use tower_layer::Layer;
    use tower_service::Service;

    let breaker = CircuitBreaker::builder().consecutive_failures(1).build();
    let mut service = asyncwise::CircuitBreakerLayer::new(breaker.clone()).layer(Broken);
    let ready = std::future::poll_fn(|cx| service.poll_ready(cx)).await;
    assert_eq!(ready, Err(BreakerError::Inner("pool closed")));
    assert_eq!(breaker.state(), BreakerState::Closed);
    assert_eq!(
        service.call(()).await,
        Err(BreakerError::Inner("call failed"))
    );
    assert_eq!(breaker.state(), BreakerState::Open);
}

/// `Supervisor`: "When its token is cancelled, children see it" and the
/// supervisor stops — promptly also while a child waits for its restart
/// delay (an hour here), not after it.
#[tokio::test(start_paused = true)]
async fn a_supervisor_stops_at_once_during_a_restart_delay() {
    let token = CancellationToken::new();
    let stop = token.clone();
    let running = tokio::spawn(
        Supervisor::new(token)
            .restart_policy(
                RetryPolicy::exponential(Duration::from_secs(3600)).jitter(Jitter::None),
            )
            .child("fails", RestartPolicy::Permanent, |_| async {
                Err::<(), BoxError>("down".into())
            })
            .run(),
    );
    sleep(Duration::from_secs(1)).await;
    let cancelled = tokio::time::Instant::now();
    stop.cancel();
    let report = running
        .await
        .expect("supervisor task")
        .expect("no escalation");
    assert_eq!(cancelled.elapsed(), Duration::ZERO);
    assert!(report.shut_down);
    assert_eq!(report.children[0].restarts, 0);
}

proptest::proptest! {
    /// `ordered`: "On a stage already polled, the order applies to the
    /// items taken from this call on; items started before it come out as
    /// they finish"; `item_timeout`: "Items started before this call ...
    /// keep running" under their own terms. Reconfigured after a random
    /// number of outputs (the ee57a3a bug was a hang there): every item
    /// comes out or is dead-lettered exactly once, the stream ends, the
    /// stage never holds more than its limit, and items taken after
    /// `ordered()` come out in input order.
    #[test]
    fn reconfiguring_a_polled_stage_loses_nothing_and_orders_what_follows(
        limit in 1_usize..6,
        work_ms in proptest::collection::vec(0_u64..40, 1..30),
        switch_after in 0_usize..30,
        fail_every in 0_u64..5,
        timeout_ms in proptest::option::of(5_u64..45),
    ) {
        let items = work_ms.len() as u64;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .expect("runtime");
        let (outputs, dead, boundary, max_held) = runtime.block_on(async move {
            let dead = Arc::new(Mutex::new(Vec::new()));
            let sink = Arc::clone(&dead);
            let mut stage = futures_util::stream::iter(0..items)
                .map_concurrent(limit, move |n| {
                    let work = Duration::from_millis(work_ms[n as usize]);
                    async move {
                        sleep(work).await;
                        if fail_every > 0 && n % fail_every == 0 { Err(n) } else { Ok(n) }
                    }
                })
                .on_error(asyncwise::OnError::dead_letter(move |err| {
                    sink.lock().expect("sink").push(err.index);
                }));
            let mut outputs = Vec::new();
            let mut max_held = 0;
            let mut boundary = None;
            loop {
                if boundary.is_none() && outputs.len() >= switch_after {
                    let taken = outputs.len() + dead.lock().expect("sink").len() + stage.held();
                    boundary = Some(taken as u64);
                    stage = stage.ordered();
                    if let Some(ms) = timeout_ms {
                        stage = stage.item_timeout(Duration::from_millis(ms));
                    }
                }
                let next = timeout(NEVER, stage.next()).await.expect("the stage never hangs");
                max_held = max_held.max(stage.held());
                match next {
                    Some(result) => outputs.push(result.expect("errors are dead-lettered")),
                    None => break,
                }
            }
            let dead = dead.lock().expect("sink").clone();
            (outputs, dead, boundary.unwrap_or(items), max_held)
        });
        proptest::prop_assert!(max_held <= limit);
        let mut seen: Vec<u64> = outputs.iter().chain(dead.iter()).copied().collect();
        seen.sort_unstable();
        proptest::prop_assert_eq!(seen, (0..items).collect::<Vec<_>>());
        let after: Vec<u64> = outputs.iter().copied().filter(|n| *n >= boundary).collect();
        proptest::prop_assert!(after.windows(2).all(|w| w[0] < w[1]), "{:?} (boundary {})", outputs, boundary);
    }
}

/// Dropped after their runtime is gone (a service's `main` returning
/// while a group, a supervisor future or a batch worker is still held
/// outside it): `TaskGroup`'s "Dropping the group cancels it" and the
/// worker's "dead-letters what it had accepted" hold without a runtime,
/// and nothing panics.
#[test]
fn groups_supervisors_and_workers_dropped_after_their_runtime_do_not_panic() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dead = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&dead);
    let (graceful, plain, supervisor, worker, token) = runtime.block_on(async move {
        let mut graceful = TaskGroup::<()>::new().with_grace(Duration::from_secs(5));
        graceful
            .spawn("waits", std::future::pending())
            .expect("spawned");
        let _spawner = graceful.spawner();
        let mut plain = TaskGroup::<()>::new();
        plain
            .spawn("waits", std::future::pending())
            .expect("spawned");
        let token = CancellationToken::new();
        let mut supervisor = Box::pin(
            Supervisor::new(token.clone())
                .child("child", RestartPolicy::Permanent, |ctx| async move {
                    ctx.token().cancelled().await;
                    Ok::<(), BoxError>(())
                })
                .run(),
        );
        assert!(futures_util::poll!(supervisor.as_mut()).is_pending());
        let (batcher, worker) =
            Batcher::new(BatchConfig::new(10, Duration::from_secs(1)), |_| async {
                Ok::<(), String>(())
            });
        let worker = worker.dead_letter(move |batch, _| {
            sink.lock().expect("sink").extend(batch.iter().copied());
        });
        batcher.send(7_u32).await.expect("open");
        tokio::task::yield_now().await;
        (graceful, plain, supervisor, worker, token)
    });
    drop(runtime);
    let dropped = std::panic::catch_unwind(AssertUnwindSafe(move || {
        token.cancel();
        drop(graceful);
        drop(plain);
        drop(supervisor);
        drop(worker);
    }));
    assert!(dropped.is_ok(), "dropping after the runtime panicked");
    assert_eq!(*dead.lock().expect("sink"), [7]);
}

/// `with_grace` and `with_shutdown` both set the grace: the later call
/// decides ("configuration" order, now in their docs). A group tied to a
/// 10 s shutdown and then given a 1 s grace cuts a deaf task after 1 s;
/// the other order gives it the drain deadline.
#[tokio::test(start_paused = true)]
async fn the_later_of_with_grace_and_with_shutdown_sets_the_grace() {
    for grace_last in [true, false] {
        let shutdown = Shutdown::with_deadline(Duration::from_secs(10));
        let mut group = if grace_last {
            TaskGroup::<()>::new()
                .with_shutdown(&shutdown, "jobs")
                .with_grace(Duration::from_secs(1))
        } else {
            TaskGroup::<()>::new()
                .with_grace(Duration::from_secs(1))
                .with_shutdown(&shutdown, "jobs")
        };
        group
            .spawn("deaf", std::future::pending())
            .expect("spawned");
        tokio::task::yield_now().await;
        let triggered = tokio::time::Instant::now();
        shutdown.trigger();
        let joined = timeout(NEVER, group.join_next())
            .await
            .expect("cut")
            .expect("one task");
        assert!(joined.expect_err("cut").is_cancelled());
        let expected = if grace_last { 1 } else { 10 };
        assert_eq!(
            triggered.elapsed(),
            Duration::from_secs(expected),
            "grace last: {grace_last}"
        );
        let report = shutdown.drain().await;
        // Either way the group cut its task itself. With its own grace that is a `cut`
        // (before the deadline); with the drain's deadline as its grace the task was still
        // running at the deadline: a straggler (session 9; before, it was listed nowhere
        // but `aborted`, exit code 0).
        let names = |tasks: &[asyncwise::TaskInfo]| {
            tasks.iter().map(|t| t.name.to_string()).collect::<Vec<_>>()
        };
        if grace_last {
            assert_eq!(names(&report.cut), ["jobs/deaf"], "{report}");
            assert!(report.stragglers.is_empty(), "{report}");
        } else {
            assert_eq!(names(&report.stragglers), ["jobs/deaf"], "{report}");
            assert!(report.cut.is_empty(), "{report}");
        }
        assert!(report.aborted.is_empty(), "{report}");
    }
}

// ---- Session 7: shutdown and task groups under a hostile caller ----

mod hostile {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use asyncwise::{BoxError, Shutdown, SpawnError, TaskError, TaskGroup};
    use tokio::time::{Instant, sleep, timeout};

    use super::NEVER;

    struct SetOnDrop(Arc<AtomicBool>);
    impl Drop for SetOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    struct PanicsOnDrop;
    impl Drop for PanicsOnDrop {
        fn drop(&mut self) {
            panic!("drop exploded");
        }
    }

    /// `TaskGroup::shutdown`: "Cancels the group and waits until every task has stopped
    /// (within the grace period)", its future dropped half-way and called again: the grace
    /// is not restarted (5 s from the cancel in all), and a join after the dropped call still
    /// gets every result the dropped call had not yet discarded.
    #[tokio::test(start_paused = true)]
    async fn a_group_shutdown_dropped_half_way_then_called_again_keeps_the_grace() {
        let mut group = TaskGroup::new().with_grace(Duration::from_secs(5));
        let token = group.cancellation_token();
        group
            .spawn("flush", async move {
                token.cancelled().await;
                sleep(Duration::from_secs(2)).await;
                "flushed"
            })
            .unwrap();
        group
            .spawn("deaf", async {
                sleep(NEVER).await;
                "finished"
            })
            .unwrap();
        tokio::task::yield_now().await;
        let start = Instant::now();
        assert!(
            timeout(Duration::from_secs(1), group.shutdown())
                .await
                .is_err()
        );
        assert!(group.is_cancelled());
        // The dropped shutdown discarded nothing yet: both results are still to be joined.
        let mut results = Vec::new();
        while let Some(joined) = group.join_next_named().await {
            results.push((
                joined.name.into_owned(),
                joined.result.map_err(|e| e.is_cancelled()),
            ));
        }
        results.sort();
        assert_eq!(
            results,
            [
                ("deaf".to_owned(), Err(true)),
                ("flush".to_owned(), Ok("flushed"))
            ]
        );
        assert_eq!(start.elapsed(), Duration::from_secs(5));
        group.shutdown().await;
        assert_eq!(start.elapsed(), Duration::from_secs(5));
    }

    /// `TaskGroup::join_all`, its future dropped after it had joined one task: no result is
    /// lost, the next `join_all` returns it.
    #[tokio::test(start_paused = true)]
    async fn a_join_all_dropped_half_way_loses_no_result() {
        let two_tasks = || {
            let mut group = TaskGroup::new();
            group.spawn("fast", async { 1 }).unwrap();
            group
                .spawn("slow", async {
                    sleep(Duration::from_secs(10)).await;
                    2
                })
                .unwrap();
            group
        };
        // The result it had taken is still owned by the group, for any join to take.
        let mut group = two_tasks();
        assert!(
            timeout(Duration::from_secs(1), group.join_all())
                .await
                .is_err()
        );
        assert_eq!(group.len(), 2);
        assert_eq!(group.try_join_next().unwrap().unwrap(), 1);
        assert_eq!(group.join_next().await.unwrap().unwrap(), 2);
        assert!(group.is_empty());
        // And the next `join_all` returns it.
        let mut group = two_tasks();
        assert!(
            timeout(Duration::from_secs(1), group.join_all())
                .await
                .is_err()
        );
        let mut outputs: Vec<i32> = group
            .join_all()
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        outputs.sort_unstable();
        assert_eq!(outputs, [1, 2]);
    }

    /// `TaskGroup::try_join_all`, dropped after it had joined a success: no value lost.
    #[tokio::test(start_paused = true)]
    async fn a_try_join_all_dropped_half_way_loses_no_value() {
        let mut group = TaskGroup::new();
        group.spawn("fast", async { Ok::<_, BoxError>(1) }).unwrap();
        group
            .spawn("slow", async {
                sleep(Duration::from_secs(10)).await;
                Ok(2)
            })
            .unwrap();
        assert!(
            timeout(Duration::from_secs(1), group.try_join_all())
                .await
                .is_err()
        );
        let mut values = group.try_join_all().await.unwrap();
        values.sort_unstable();
        assert_eq!(values, [1, 2]);
    }

    /// `Shutdown::drain` dropped half-way and started again: nothing is lost and the deadline
    /// is not moved. The failure recorded before is in the report, the deaf task is cut at the
    /// first drain's deadline (10 s from its start), not 10 s after the second drain began.
    #[tokio::test(start_paused = true)]
    async fn a_drain_dropped_half_way_then_started_again_loses_nothing_and_keeps_the_deadline() {
        let shutdown = Shutdown::with_deadline(Duration::from_secs(10));
        let token = shutdown.token();
        shutdown.spawn("fails", async move {
            token.cancelled().await;
            sleep(Duration::from_secs(1)).await;
            Err::<(), BoxError>("disk full".into())
        });
        shutdown.spawn("deaf", sleep(NEVER));
        let start = Instant::now();
        assert!(
            timeout(Duration::from_secs(3), shutdown.drain())
                .await
                .is_err()
        );
        let report = shutdown.drain().await;
        assert_eq!(start.elapsed(), Duration::from_secs(10));
        let failed: Vec<&str> = report
            .failures
            .iter()
            .map(|f| f.task.name.as_ref())
            .collect();
        assert_eq!(failed, ["fails"]);
        let stragglers: Vec<&str> = report.stragglers.iter().map(|t| t.name.as_ref()).collect();
        assert_eq!(stragglers, ["deaf"]);
        assert_eq!(report.exit_code(), 1);
    }

    /// A task of a group that spawns into its own group while the group is cancelled (in its
    /// grace period, through a `Spawner`) is refused, and the refused future is dropped
    /// without being polled; the spawning task itself finishes within the grace.
    #[tokio::test(start_paused = true)]
    async fn a_task_spawning_into_its_cancelled_group_is_refused() {
        let mut group =
            TaskGroup::<Result<(), SpawnError>>::new().with_grace(Duration::from_secs(5));
        let spawner = group.spawner();
        let token = group.cancellation_token();
        let polled = Arc::new(AtomicBool::new(false));
        let dropped = Arc::new(AtomicBool::new(false));
        let (seen_polled, seen_dropped) = (Arc::clone(&polled), Arc::clone(&dropped));
        group
            .spawn("respawns", async move {
                token.cancelled().await;
                let guard = SetOnDrop(seen_dropped);
                spawner
                    .spawn("final", async move {
                        let _guard = guard;
                        seen_polled.store(true, Ordering::SeqCst);
                        Ok(())
                    })
                    .map(|_| ())
            })
            .unwrap();
        tokio::task::yield_now().await;
        group.cancel();
        let results = group.join_all().await;
        assert_eq!(results.len(), 1);
        assert!(
            matches!(results[0], Ok(Err(SpawnError::Cancelled))),
            "{results:?}"
        );
        assert!(dropped.load(Ordering::SeqCst));
        assert!(!polled.load(Ordering::SeqCst));
    }

    /// The same during a `Shutdown`'s drain: a task of a group tied to the shutdown that spawns
    /// into its own group once the drain has begun is refused (the group is cancelled with the
    /// shutdown), its future never polled, and the drain ends clean at once. (The refusal is the
    /// task's output here: returned as an `Err`, it would be a failure in the report.)
    #[tokio::test(start_paused = true)]
    async fn a_task_spawning_into_its_group_during_the_drain_is_refused() {
        let shutdown = Shutdown::with_deadline(Duration::from_secs(5));
        let mut group = TaskGroup::<Option<SpawnError>>::new().with_shutdown(&shutdown, "jobs");
        let spawner = group.spawner();
        let token = group.cancellation_token();
        let polled = Arc::new(AtomicBool::new(false));
        let seen_polled = Arc::clone(&polled);
        group
            .spawn("respawns", async move {
                token.cancelled().await;
                spawner
                    .spawn("final", async move {
                        seen_polled.store(true, Ordering::SeqCst);
                        None
                    })
                    .err()
            })
            .unwrap();
        tokio::task::yield_now().await;
        let report = shutdown.drain().await;
        assert!(report.is_clean(), "{report}");
        assert_eq!(report.drain_time, Duration::ZERO);
        let results = group.join_all().await;
        assert!(
            matches!(results[..], [Ok(Some(SpawnError::Cancelled))]),
            "{results:?}"
        );
        assert!(!polled.load(Ordering::SeqCst));
    }

    /// A task whose `Drop` panics when the group cuts it (zero grace, and at the end of a
    /// grace) or aborts it reports the panic with its name: "reports a panic (while polled or
    /// while dropped) as `TaskError::Panicked` with its name".
    #[tokio::test(start_paused = true)]
    async fn a_task_that_panics_in_drop_when_cut_reports_the_panic_by_name() {
        for grace in [Duration::ZERO, Duration::from_secs(1)] {
            let mut group = TaskGroup::<()>::new().with_grace(grace);
            group
                .spawn("bad-drop", async {
                    let _guard = PanicsOnDrop;
                    sleep(NEVER).await;
                })
                .unwrap();
            tokio::task::yield_now().await;
            group.cancel();
            let joined = group.join_next_named().await.unwrap();
            assert_eq!(joined.name, "bad-drop", "grace {grace:?}");
            match joined.result {
                Err(TaskError::Panicked { name, message }) => {
                    assert_eq!(
                        (name.as_ref(), message.as_str()),
                        ("bad-drop", "drop exploded")
                    );
                }
                other => panic!("grace {grace:?}: {other:?}"),
            }
        }
    }

    /// A tracked task whose `Drop` panics when the drain aborts it at the deadline: it is a
    /// straggler, and its panic is not lost either.
    #[tokio::test(start_paused = true)]
    async fn a_straggler_that_panics_in_drop_when_aborted_is_in_the_report() {
        let shutdown = Shutdown::with_deadline(Duration::from_secs(1));
        shutdown.spawn("bad-drop", async {
            let _guard = PanicsOnDrop;
            sleep(NEVER).await;
        });
        tokio::task::yield_now().await;
        let report = shutdown.drain().await;
        let stragglers: Vec<&str> = report.stragglers.iter().map(|t| t.name.as_ref()).collect();
        assert_eq!(stragglers, ["bad-drop"]);
        assert!(report.not_stopped.is_empty());
        let failed: Vec<String> = report.failures.iter().map(|f| f.to_string()).collect();
        assert_eq!(failed.len(), 1, "{report}");
        assert!(failed[0].contains("drop exploded"), "{report}");
    }

    /// `Shutdown::with_deadline(Duration::ZERO)`: tasks get no time: every task still running
    /// when the drain starts is a straggler, even one that would stop at once on the token,
    /// and its code after the token never runs.
    #[tokio::test(start_paused = true)]
    async fn a_zero_deadline_cuts_every_running_task_at_once() {
        let shutdown = Shutdown::with_deadline(Duration::ZERO);
        let token = shutdown.token();
        let cleaned = Arc::new(AtomicBool::new(false));
        let seen = Arc::clone(&cleaned);
        shutdown.spawn("polite", async move {
            token.cancelled().await;
            seen.store(true, Ordering::SeqCst);
        });
        shutdown.spawn("done", async {});
        tokio::task::yield_now().await;
        let report = shutdown.drain().await;
        let stragglers: Vec<&str> = report.stragglers.iter().map(|t| t.name.as_ref()).collect();
        assert_eq!(stragglers, ["polite"]);
        assert_eq!(report.drain_time, Duration::ZERO);
        tokio::task::yield_now().await;
        assert!(!cleaned.load(Ordering::SeqCst));
    }

    /// Reuse after `TaskGroup::shutdown`: unlike a `JoinSet`, the group stays cancelled; a
    /// later spawn is refused with the future dropped unpolled, and the group stays empty.
    #[tokio::test(start_paused = true)]
    async fn a_group_after_shutdown_refuses_new_tasks() {
        let mut group = TaskGroup::<()>::new();
        group.spawn("first", std::future::pending()).unwrap();
        group.shutdown().await;
        let dropped = Arc::new(AtomicBool::new(false));
        let guard = SetOnDrop(Arc::clone(&dropped));
        let again = group.spawn("again", async move {
            let _guard = guard;
        });
        assert_eq!(again, Err(SpawnError::Cancelled));
        assert!(dropped.load(Ordering::SeqCst));
        assert!(group.is_empty());
        assert!(group.join_next().await.is_none());
    }

    /// The runtime shutting down under a group (`Runtime::shutdown_timeout`): its tasks are
    /// dropped by Tokio; joined afterwards (on another runtime) each is reported as cancelled
    /// under its own name, none is lost or reported as a success: for a plain group, a group
    /// with a grace period, and tasks spawned through a `Spawner`.
    #[test]
    fn tasks_of_a_group_whose_runtime_shut_down_are_reported_cancelled_by_name() {
        for grace in [Duration::ZERO, Duration::from_secs(5)] {
            let first = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let mut group = first.block_on(async {
                let mut group = TaskGroup::<u32>::new().with_grace(grace);
                group.spawn("waits", std::future::pending()).unwrap();
                group
                    .spawn("sleeps", async {
                        sleep(NEVER).await;
                        1
                    })
                    .unwrap();
                group
                    .spawner()
                    .spawn("spawned", std::future::pending())
                    .unwrap();
                tokio::task::yield_now().await;
                group
            });
            first.shutdown_timeout(Duration::ZERO);
            let second = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let mut names: Vec<(String, bool)> = second.block_on(async {
                let mut names = Vec::new();
                while let Some(joined) = group.join_next_named().await {
                    let cancelled = joined.result.as_ref().is_err_and(TaskError::is_cancelled);
                    names.push((joined.name.into_owned(), cancelled));
                }
                names
            });
            names.sort();
            assert_eq!(
                names,
                [
                    ("sleeps".to_owned(), true),
                    ("spawned".to_owned(), true),
                    ("waits".to_owned(), true)
                ],
                "grace {grace:?}"
            );
        }
    }

    /// `Shutdown::spawn`: "A task that ends unfinished by other means than the drain (aborted
    /// through its handle, or dropped because its runtime shut down) is named in the next
    /// report's `aborted` list". Session 7 documented the opposite limit (no trace at all);
    /// session 8 names them: the task aborted through its handle first, then the one its
    /// runtime dropped, and the report stays clean (an abort is not a failure).
    #[test]
    fn tracked_tasks_whose_runtime_shut_down_are_named_as_aborted_in_a_later_report() {
        let first = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let shutdown = first.block_on(async {
            let shutdown = Shutdown::with_deadline(Duration::from_secs(1));
            shutdown.spawn("waits", std::future::pending::<()>());
            let aborted = shutdown.spawn("aborted", std::future::pending::<()>());
            tokio::task::yield_now().await;
            aborted.abort();
            tokio::task::yield_now().await;
            assert_eq!(shutdown.running().len(), 1);
            shutdown
        });
        first.shutdown_timeout(Duration::ZERO);
        assert!(shutdown.running().is_empty());
        let second = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap();
        let report = second.block_on(shutdown.drain());
        let aborted: Vec<&str> = report.aborted.iter().map(|t| t.name.as_ref()).collect();
        assert_eq!(aborted, ["aborted", "waits"], "{report}");
        assert!(report.is_clean(), "{report}");
    }
}
