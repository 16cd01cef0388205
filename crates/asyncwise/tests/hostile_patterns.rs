//! Promise audit of session 9 (`PROMISES.md`): how a tracked task ended
//! (aborted by the program, cut by its owner's grace, straggler at the
//! drain deadline), then `circuit_breaker`, `batch`, `pipeline`, `backoff`
//! and `testing` under a hostile caller: panics in user closures, futures
//! dropped or polled again after a panic, zero and endless configuration,
//! time moved forward under paused time. Each test names the doc sentence
//! it checks.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asyncwise::{BoxError, RestartPolicy, Shutdown, Supervisor, TaskError, TaskGroup, TaskInfo};
use futures_util::FutureExt;
use tokio::time::{sleep, timeout};

/// Far enough to say "this never ends by itself" in paused time.
const NEVER: Duration = Duration::from_secs(365 * 86_400);

fn names(tasks: &[TaskInfo]) -> Vec<&str> {
    tasks.iter().map(|task| task.name.as_ref()).collect()
}

/// Lets aborted tasks be dropped by the scheduler.
async fn settle() {
    for _ in 0..4 {
        tokio::task::yield_now().await;
    }
}

/// Sets its flag when dropped: tells that a future was dropped.
struct SetOnDrop(Arc<AtomicBool>);
impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// How a tracked task ended unfinished: the program's own abort, its owner's
/// grace running out, or the drain deadline (item 4 of the session brief).
mod ended_by {
    use super::*;

    /// `ShutdownReport::aborted`: "aborted through their `JoinHandle`"; `cut`: a task
    /// that its group "cancelled, gave a grace period of its own ... and cut because
    /// [it] had not stopped when it ended". The two are told apart, and neither changes
    /// the exit code.
    #[tokio::test(start_paused = true)]
    async fn a_task_cut_by_its_groups_grace_is_cut_and_one_aborted_by_hand_is_aborted() {
        let shutdown = Shutdown::with_deadline(Duration::from_secs(10));
        let mut group: TaskGroup<()> = TaskGroup::new()
            .with_shutdown(&shutdown, "jobs")
            .with_grace(Duration::from_secs(1));
        group.spawn("deaf", std::future::pending()).unwrap();
        let token = group.cancellation_token();
        group
            .spawn("listens", async move { token.cancelled().await })
            .unwrap();
        let by_hand = shutdown.spawn("by-hand", std::future::pending::<()>());
        sleep(Duration::from_secs(1)).await;
        by_hand.abort();
        settle().await;
        group.cancel();
        let results = group.join_all().await;
        assert_eq!(results.len(), 2);
        let report = shutdown.drain().await;
        assert_eq!(names(&report.aborted), ["by-hand"], "{report}");
        assert_eq!(names(&report.cut), ["jobs/deaf"], "{report}");
        assert_eq!(report.cut[0].running_for, Duration::from_secs(2));
        assert!(report.stragglers.is_empty(), "{report}");
        assert_eq!(report.exit_code(), 0, "{report}");
        let text = report.to_string();
        assert!(
            text.contains("ignored their cancellation") && text.contains("jobs/deaf"),
            "{text}"
        );
    }

    /// `cut`: "A task of a group made `with_shutdown`, whose grace *is* the drain deadline,
    /// is a straggler instead (exit code 124), whether its group or the drain cut it
    /// first." The group cutting first: the shutdown is triggered but nobody drains until
    /// after the deadline, so the group's grace (the drain deadline) ends with no drain
    /// running.
    #[tokio::test(start_paused = true)]
    async fn a_with_shutdown_groups_task_cut_at_the_drain_deadline_is_a_straggler() {
        // Triggered, or its root token cancelled directly (`token`: "cancelled when the
        // shutdown is triggered"): the same.
        for direct in [false, true] {
            let shutdown = Shutdown::with_deadline(Duration::from_secs(10));
            let mut group: TaskGroup<()> = TaskGroup::new().with_shutdown(&shutdown, "jobs");
            group.spawn("deaf", std::future::pending()).unwrap();
            settle().await;
            if direct {
                shutdown.token().cancel();
            } else {
                shutdown.trigger();
            }
            // The group cuts it when its grace, the drain deadline (now + 10 s), ends.
            let results = group.join_all().await;
            assert!(matches!(results[..], [Err(TaskError::Cancelled { .. })]));
            sleep(Duration::from_secs(10)).await;
            let report = shutdown.drain().await;
            assert_eq!(
                names(&report.stragglers),
                ["jobs/deaf"],
                "direct {direct}: {report}"
            );
            assert!(
                report.aborted.is_empty() && report.cut.is_empty(),
                "{report}"
            );
            assert_eq!(report.exit_code(), 124, "{report}");
        }
    }

    /// `Shutdown::trigger`: "the drain deadline counts from now", after a group made
    /// `with_shutdown` was cancelled an hour before (by hand, or by a fail-fast failure): a task that needs 5 s of its
    /// 10 s after the trigger stops in time, and the group's deaf task, cut 10 s after its
    /// group's cancellation (long before any drain), is `cut`, not a straggler. Before
    /// session 9 the group's cancellation fixed the shutdown's drain deadline: the drain an
    /// hour later cut everything at once (exit code 124).
    #[tokio::test(start_paused = true)]
    async fn cancelling_a_with_shutdown_group_does_not_fix_the_drain_deadline() {
        // Cancelled by hand, or by a failing task of a fail-fast group (the common way).
        for fail_fast in [false, true] {
            let shutdown = Shutdown::with_deadline(Duration::from_secs(10));
            let mut group: TaskGroup<Result<(), String>> = TaskGroup::new()
                .with_policy(asyncwise::ErrorPolicy::FailFast)
                .with_shutdown(&shutdown, "jobs");
            group.spawn("deaf", std::future::pending()).unwrap();
            let token = shutdown.token();
            shutdown.spawn("worker", async move {
                token.cancelled().await;
                sleep(Duration::from_secs(5)).await;
            });
            settle().await;
            if fail_fast {
                group
                    .spawn("fails", async { Err("bad".to_owned()) })
                    .unwrap();
            } else {
                group.cancel();
            }
            let _ = group.join_all().await;
            sleep(Duration::from_secs(3600)).await;
            let report = shutdown.drain().await;
            assert!(
                report.stragglers.is_empty(),
                "fail-fast {fail_fast}: {report}"
            );
            assert_eq!(report.drain_time, Duration::from_secs(5), "{report}");
            assert_eq!(names(&report.cut), ["jobs/deaf"], "{report}");
            let expected = if fail_fast { 1 } else { 0 };
            assert_eq!(report.exit_code(), expected, "{report}");
        }
    }

    /// The same with the drain running: the group's grace and the drain's deadline end at
    /// the same instant and the task is a straggler. (On this paused current-thread runtime
    /// the drain runs first every time; the order where the group cuts first, which listed
    /// the task as `aborted` with exit code 0 before session 9, is the test above.)
    #[tokio::test(start_paused = true)]
    async fn a_with_shutdown_groups_deaf_task_is_a_straggler_whoever_cuts_first() {
        for round in 0..20 {
            let shutdown = Shutdown::with_deadline(Duration::from_secs(5));
            let mut group: TaskGroup<()> = TaskGroup::new().with_shutdown(&shutdown, "jobs");
            group.spawn("deaf", std::future::pending()).unwrap();
            let token = group.cancellation_token();
            group
                .spawn("listens", async move { token.cancelled().await })
                .unwrap();
            // Started (a task cut before its first poll is an abort: it never ran).
            settle().await;
            sleep(Duration::from_millis(round)).await;
            let report = shutdown.drain().await;
            assert_eq!(
                names(&report.stragglers),
                ["jobs/deaf"],
                "round {round}: {report}"
            );
            assert!(
                report.aborted.is_empty() && report.cut.is_empty(),
                "{report}"
            );
            assert_eq!(report.exit_code(), 124);
            drop(group);
        }
    }

    /// `aborted`: "aborted by the group or supervisor that owned them without a grace
    /// period"; a supervisor with a zero shutdown grace aborts a deaf child: `aborted`, not
    /// `cut` (it was given no time to ignore).
    #[tokio::test(start_paused = true)]
    async fn a_supervisor_without_grace_aborts_and_one_with_grace_cuts() {
        for (grace, expect_cut) in [(Duration::ZERO, false), (Duration::from_secs(1), true)] {
            let shutdown = Shutdown::with_deadline(Duration::from_secs(10));
            let stop = tokio_util::sync::CancellationToken::new();
            let supervisor = Supervisor::new(stop.clone())
                .name("workers")
                .shutdown_grace(grace)
                .with_shutdown(&shutdown)
                .child("deaf", RestartPolicy::Permanent, |_| async {
                    std::future::pending::<Result<(), BoxError>>().await
                });
            let supervised = tokio::spawn(supervisor.run());
            sleep(Duration::from_secs(1)).await;
            stop.cancel();
            let supervisor_report = supervised.await.unwrap().unwrap();
            assert_eq!(supervisor_report.aborted, ["deaf"]);
            settle().await;
            let report = shutdown.drain().await;
            let (cut, aborted) = if expect_cut {
                (vec!["workers/deaf"], vec![])
            } else {
                (vec![], vec!["workers/deaf"])
            };
            assert_eq!(names(&report.cut), cut, "grace {grace:?}: {report}");
            assert_eq!(names(&report.aborted), aborted, "grace {grace:?}: {report}");
            assert_eq!(report.exit_code(), 0);
        }
    }

    /// `Strategy::OneForAll`: the others are stopped, "after the shutdown grace period they
    /// are aborted": a deaf sibling of a tracked supervisor, aborted for a group restart, is
    /// `cut` (it ignored its token for the whole grace), not `aborted`.
    #[tokio::test(start_paused = true)]
    async fn a_deaf_sibling_aborted_for_a_group_restart_is_cut() {
        let shutdown = Shutdown::with_deadline(Duration::from_secs(10));
        let stop = tokio_util::sync::CancellationToken::new();
        let failed_once = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&failed_once);
        let supervisor = Supervisor::new(stop.clone())
            .name("workers")
            .strategy(asyncwise::Strategy::OneForAll)
            .shutdown_grace(Duration::from_secs(1))
            .with_shutdown(&shutdown)
            .child("deaf", RestartPolicy::Permanent, |_| async {
                std::future::pending::<Result<(), BoxError>>().await
            })
            .child("flaky", RestartPolicy::Permanent, move |ctx| {
                let first = !flag.swap(true, Ordering::SeqCst);
                async move {
                    if first {
                        return Err::<(), BoxError>("once".into());
                    }
                    ctx.token().cancelled().await;
                    Ok(())
                }
            });
        let supervised = tokio::spawn(supervisor.run());
        // The failure at once, the deaf sibling aborted a grace (1 s) later, both restarted.
        sleep(Duration::from_secs(5)).await;
        let report = shutdown.drain().await;
        assert_eq!(names(&report.cut), ["workers/deaf"], "{report}");
        assert!(report.aborted.is_empty(), "{report}");
        stop.cancel();
        let _ = supervised.await;
    }

    /// `testing::DrainTest::run`: "`DrainTimeout` when a tracked task was still running at
    /// the deadline" — a deaf task in a group made `with_shutdown`. Before session 9 this
    /// held only when the drain cut the task before its group did (see above).
    #[tokio::test(start_paused = true)]
    async fn a_drain_test_catches_a_deaf_task_in_a_with_shutdown_group() {
        for _ in 0..10 {
            let error = asyncwise::testing::DrainTest::trigger_after(Duration::from_secs(1))
                .within(Duration::from_secs(2))
                .run(|shutdown| async move {
                    let mut group: TaskGroup<()> =
                        TaskGroup::new().with_shutdown(&shutdown, "jobs");
                    group.spawn("deaf", std::future::pending()).unwrap();
                    // The service keeps its group until the end, as a real one would.
                    shutdown.triggered().await;
                    let _ = group.join_all().await;
                })
                .await
                .expect_err("a deaf task must fail the drain test");
            assert_eq!(error.stragglers(), ["jobs/deaf"], "{error}");
        }
    }
}

/// `testing::DrainTest::run`: tasks "cut in time by their group or supervisor at the end of
/// a grace period of its own" are in the report's `cut`, not an error.
#[tokio::test(start_paused = true)]
async fn a_drain_test_passes_with_a_task_its_group_cut_in_time_and_names_it() {
    let report = asyncwise::testing::DrainTest::trigger_after(Duration::from_secs(1))
        .within(Duration::from_secs(2))
        .run(|shutdown| async move {
            let mut group: TaskGroup<()> = TaskGroup::new()
                .with_shutdown(&shutdown, "jobs")
                .with_grace(Duration::from_millis(100));
            group.spawn("deaf", std::future::pending()).unwrap();
            shutdown.triggered().await;
            let _ = group.join_all().await;
        })
        .await
        .expect("cut within the deadline");
    assert_eq!(names(&report.cut), ["jobs/deaf"], "{report}");
    assert!(report.stragglers.is_empty());
}

/// The analyzer's rule names in what the runtime reports (item 5 of the brief): taken from
/// real reports, not from constants.
mod rule_names {
    use super::*;
    use asyncwise::testing::cancel_at_each_await;

    /// `CancelSafetyError::RULES`: "named in the error's message so that a failure reads
    /// like the static finding": the message of a real failure starts with rule names, and
    /// each is a rule of `asyncwise-lint`.
    #[tokio::test(start_paused = true)]
    async fn a_cancel_safety_failure_names_rules_of_the_analyzer() {
        let error = cancel_at_each_await(
            || {
                let gauge = Arc::new(AtomicUsize::new(0));
                let future = {
                    let gauge = Arc::clone(&gauge);
                    async move {
                        gauge.fetch_add(1, Ordering::SeqCst);
                        tokio::task::yield_now().await;
                        gauge.fetch_sub(1, Ordering::SeqCst);
                    }
                };
                (gauge, future)
            },
            |gauge, _stage| match gauge.load(Ordering::SeqCst) {
                0 => Ok(()),
                n => Err(format!("gauge left at {n}")),
            },
        )
        .await
        .expect_err("the gauge is left up when dropped at its await");
        let text = error.to_string();
        let (rules, _) = text.split_once(": ").expect("rules, then the message");
        let rules: Vec<&str> = rules.split('/').collect();
        assert!(!rules.is_empty());
        for rule in rules {
            assert!(
                asyncwise_lint::rules::find(rule).is_some(),
                "`{rule}` in {text:?} is not a rule of the analyzer"
            );
        }
    }
}

mod circuit_breaker {
    use super::*;
    use asyncwise::{BreakerError, BreakerState, CircuitBreaker, Window};

    /// `failure_rate`: opens when "the share of failures among them is at least
    /// `threshold`": exactly 56 % of 25 calls and exactly 7 % of 100 trip a breaker set to
    /// 0.56 and 0.07 (they did not: `threshold * calls` rounded above the count of failures).
    #[tokio::test(start_paused = true)]
    async fn a_failure_share_exactly_at_the_threshold_trips() {
        for (threshold, calls, failures) in [(0.56, 25_u32, 14_u32), (0.07, 100, 7), (0.5, 4, 2)] {
            let breaker = CircuitBreaker::builder()
                .failure_rate(threshold, Window::Calls(calls), calls)
                .build();
            for _ in 0..calls - failures {
                let _ = breaker.call(async { Ok::<_, &str>(()) }).await;
            }
            for n in 0..failures {
                assert_eq!(
                    breaker.state(),
                    BreakerState::Closed,
                    "{threshold}: failure {n}"
                );
                let _ = breaker.call(async { Err::<(), _>("down") }).await;
            }
            assert_eq!(
                breaker.state(),
                BreakerState::Open,
                "{failures} of {calls} is {threshold}"
            );
        }
    }

    /// `failure_rate`: "A `Window::Calls(n)` with `n` below `min_calls` ... never trips the
    /// breaker": 50 failures in a row with a 10-call window and 20 minimum calls.
    #[tokio::test(start_paused = true)]
    async fn a_count_window_smaller_than_min_calls_never_trips() {
        let breaker = CircuitBreaker::builder()
            .failure_rate(0.5, Window::Calls(10), 20)
            .build();
        for _ in 0..50 {
            let _ = breaker.call(async { Err::<(), _>("down") }).await;
        }
        assert_eq!(breaker.state(), BreakerState::Closed);
    }

    /// `call`: "A call dropped before it finished counts as neither success nor failure (and
    /// frees its trial slot); so does an operation that panics": also a classifier of
    /// `call_classified` that panics — the panic reaches the caller, the trial slot is free
    /// and nothing was counted.
    #[tokio::test(start_paused = true)]
    async fn a_classifier_that_panics_counts_as_neither_and_frees_the_trial_slot() {
        let breaker = CircuitBreaker::builder()
            .consecutive_failures(1)
            .open_for(Duration::from_secs(1))
            .build();
        let _ = breaker.call(async { Err::<(), _>("down") }).await;
        sleep(Duration::from_secs(1)).await;
        let panicked = std::panic::AssertUnwindSafe(
            breaker.call_classified(async { Err::<(), _>("down") }, |_: &&str| -> bool {
                panic!("classifier bug")
            }),
        )
        .catch_unwind()
        .await;
        assert!(
            panicked.is_err(),
            "the classifier's panic reaches the caller"
        );
        assert_eq!(
            breaker.state(),
            BreakerState::HalfOpen,
            "not counted as a failure"
        );
        // The trial slot is free: the next call is admitted and closes the breaker.
        assert_eq!(breaker.call(async { Ok::<_, &str>(3) }).await, Ok(3));
        assert_eq!(breaker.state(), BreakerState::Closed);
    }

    /// `half_open_trials`: "How many trial calls half-open admits", with racing callers on a
    /// multi-thread runtime: of 16 concurrent calls exactly 3 run, the others are rejected
    /// with `retry_in` zero.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn racing_callers_in_half_open_run_exactly_k_trials() {
        let breaker = CircuitBreaker::builder()
            .consecutive_failures(1)
            .open_for(Duration::ZERO)
            .half_open_trials(3)
            .build();
        let _ = breaker.call(async { Err::<(), _>("down") }).await;
        let release = Arc::new(tokio::sync::Notify::new());
        let ran = Arc::new(AtomicUsize::new(0));
        let mut calls = Vec::new();
        for _ in 0..16 {
            let (breaker, release, ran) = (breaker.clone(), release.clone(), ran.clone());
            calls.push(tokio::spawn(async move {
                breaker
                    .call(async {
                        ran.fetch_add(1, Ordering::SeqCst);
                        release.notified().await;
                        Ok::<_, &str>(())
                    })
                    .await
            }));
        }
        // Wait until three have been admitted and the rest rejected.
        let mut rejected = 0;
        let mut pending = Vec::new();
        for call in calls {
            if call.is_finished() {
                match call.await.unwrap() {
                    Err(BreakerError::Open { retry_in }) => {
                        assert_eq!(retry_in, Duration::ZERO);
                        rejected += 1;
                    }
                    other => panic!("{other:?}"),
                }
            } else {
                pending.push(call);
            }
        }
        while ran.load(Ordering::SeqCst) + rejected < 16 {
            let mut still = Vec::new();
            for call in pending {
                if call.is_finished() {
                    match call.await.unwrap() {
                        Err(BreakerError::Open { retry_in }) => {
                            assert_eq!(retry_in, Duration::ZERO);
                            rejected += 1;
                        }
                        other => panic!("{other:?}"),
                    }
                } else {
                    still.push(call);
                }
            }
            pending = still;
            tokio::task::yield_now().await;
        }
        assert_eq!(ran.load(Ordering::SeqCst), 3);
        assert_eq!(rejected, 13);
        for _ in 0..3 {
            release.notify_one();
        }
        for call in pending {
            assert_eq!(call.await.unwrap(), Ok(()));
        }
        assert_eq!(breaker.state(), BreakerState::Closed);
    }
}

mod batch {
    use super::*;
    use asyncwise::{BatchConfig, BatchedExt, Batcher, FlushError, RetryPolicy};
    use futures_util::StreamExt;

    type Dead = Arc<Mutex<Vec<(Vec<u32>, String)>>>;

    /// `dead_letter`: "A callback that panics ends the worker (its `run` unwinds); the items
    /// it still held are then offered to the callback once more by its drop, as
    /// `FlushError::Cancelled`": the panic reaches the worker's `JoinHandle`, and every item
    /// sent is flushed, handed to the callback, or offered again.
    #[tokio::test(start_paused = true)]
    async fn a_dead_letter_callback_that_panics_surfaces_and_loses_no_item() {
        let config = BatchConfig::new(2, Duration::from_millis(10))
            .capacity(16)
            .retry(RetryPolicy::default().max_attempts(1));
        let (batcher, worker) = Batcher::new(config, |batch: asyncwise::Batch<u32>| {
            let fails = batch.contains(&0);
            async move { if fails { Err("store down") } else { Ok(()) } }
        });
        let dead: Dead = Arc::default();
        let seen = Arc::clone(&dead);
        let panicked_once = AtomicBool::new(false);
        let worker = worker.dead_letter(move |batch, error| {
            seen.lock()
                .unwrap()
                .push((batch.to_vec(), error.to_string()));
            if !panicked_once.swap(true, Ordering::SeqCst) {
                panic!("dead-letter sink bug");
            }
        });
        // Queued before the worker runs: the first batch [0, 1] fails and its callback
        // panics while [2, 3], [4, 5] and [6] wait in the queue.
        for n in 0..7 {
            batcher.send(n).await.unwrap();
        }
        let joined = tokio::spawn(worker.run()).await;
        let panic = joined.expect_err("the callback's panic ends the worker");
        assert!(panic.is_panic());
        let dead = dead.lock().unwrap().clone();
        let mut offered: Vec<u32> = dead.iter().flat_map(|(items, _)| items.clone()).collect();
        offered.sort_unstable();
        assert_eq!(offered, (0..7).collect::<Vec<_>>(), "{dead:?}");
        assert!(dead[0].1.starts_with("flush failed"), "{dead:?}");
        assert!(
            dead[1..].iter().all(|(_, e)| e.contains("dropped")),
            "{dead:?}"
        );
        assert!(batcher.send(9).await.is_err(), "the batcher is closed");
    }

    /// `cancel_on`: "every later send fails and hands the item back, and so does a send
    /// waiting for room"; "the worker flushes everything it accepted": the token fires
    /// while a flush is in flight, the queue is full and a sender waits.
    #[tokio::test(start_paused = true)]
    async fn a_shutdown_during_a_flush_with_a_full_queue_flushes_all_and_returns_the_waiting_item()
    {
        let token = tokio_util::sync::CancellationToken::new();
        let flushed = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&flushed);
        let config = BatchConfig::new(2, Duration::from_secs(1))
            .capacity(2)
            .cancel_on(token.clone());
        let (batcher, worker) = Batcher::new(config, move |batch: asyncwise::Batch<u32>| {
            let sink = Arc::clone(&sink);
            async move {
                sleep(Duration::from_secs(5)).await;
                sink.lock().unwrap().extend(batch.iter().copied());
                Ok::<_, String>(())
            }
        });
        let worker = tokio::spawn(worker.run());
        for n in 0..4 {
            batcher.send(n).await.unwrap();
        }
        // [0, 1] is being flushed, [2, 3] fill the queue: this send waits for room.
        let waiting = {
            let batcher = batcher.clone();
            tokio::spawn(async move { batcher.send(99).await })
        };
        sleep(Duration::from_secs(1)).await;
        assert!(!waiting.is_finished());
        token.cancel();
        let handed_back = waiting
            .await
            .unwrap()
            .expect_err("not accepted after the token");
        assert_eq!(handed_back.0, 99);
        let report = worker.await.unwrap();
        assert_eq!(report.items_flushed, 4);
        assert_eq!(*flushed.lock().unwrap(), [0, 1, 2, 3]);
    }

    /// `BatchConfig::new`: flush "`max_delay` after the worker took the first item of the
    /// batch"; with `Duration::ZERO` no item waits for company and none is lost.
    #[tokio::test(start_paused = true)]
    async fn a_zero_delay_flushes_what_is_there_and_loses_nothing() {
        let flushed = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&flushed);
        let (batcher, worker) = Batcher::new(
            BatchConfig::new(100, Duration::ZERO),
            move |batch: asyncwise::Batch<u32>| {
                sink.lock().unwrap().push(batch.to_vec());
                async { Ok::<_, String>(()) }
            },
        );
        let worker = tokio::spawn(worker.run());
        for n in 0..5 {
            batcher.send(n).await.unwrap();
            sleep(Duration::from_millis(1)).await;
        }
        drop(batcher);
        let report = worker.await.unwrap();
        assert_eq!(report.items_flushed, 5);
        let all: Vec<u32> = flushed.lock().unwrap().concat();
        assert_eq!(all, [0, 1, 2, 3, 4]);
    }

    /// `FlushError::Panicked`: "a panic is not retried"; the flush future panicking after
    /// an await, under a policy of many attempts: one attempt, dead-lettered as panicked.
    #[tokio::test(start_paused = true)]
    async fn a_flush_future_that_panics_later_is_not_retried() {
        let attempts = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&attempts);
        let config = BatchConfig::new(1, Duration::ZERO)
            .retry(RetryPolicy::exponential(Duration::from_millis(1)).max_attempts(10));
        let (batcher, worker) = Batcher::new(config, move |_: asyncwise::Batch<u32>| {
            counter.fetch_add(1, Ordering::SeqCst);
            async {
                tokio::task::yield_now().await;
                panic!("flush bug");
                #[allow(unreachable_code)]
                Ok::<_, String>(())
            }
        });
        let errors = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&errors);
        let worker = worker.dead_letter(move |batch, error| {
            seen.lock().unwrap().push((batch.to_vec(), error));
        });
        batcher.send(1).await.unwrap();
        drop(batcher);
        let report = worker.run().await;
        assert_eq!(attempts.load(Ordering::SeqCst), 1);
        assert_eq!(report.items_dead_lettered, 1);
        assert_eq!(report.flush_retries, 0);
        let errors = errors.lock().unwrap();
        assert!(
            matches!(&errors[..], [(items, FlushError::Panicked { message, attempts: 1 })]
                if items == &[1] && message == "flush bug"),
            "{errors:?}"
        );
    }

    /// A panic of the stream under `batched` reaches its consumer (never swallowed).
    #[tokio::test(start_paused = true)]
    async fn a_panicking_stream_under_batched_reaches_the_consumer() {
        let stream = futures_util::stream::iter(0..3).map(|n| {
            assert!(n < 2, "upstream bug");
            n
        });
        let outcome = tokio::spawn(async move {
            stream
                .batched(10, Duration::from_secs(1))
                .collect::<Vec<_>>()
                .await
        })
        .await;
        let panic = outcome.expect_err("the upstream panic surfaces");
        assert!(panic.is_panic());
    }
}

mod pipeline {
    use super::*;
    use asyncwise::{OnError, PipelineExt, StageErrorKind};
    use futures_util::StreamExt;

    /// A panic of an item's future or of `f` reaches the consumer's poll (it is not turned
    /// into a skipped item); a consumer that catches it and polls again gets the end of the
    /// stream, never a hang (the panicked item still counted against the limit, so the
    /// stage waited for ever before session 9), ordered or not.
    #[tokio::test(start_paused = true)]
    async fn a_stage_panic_surfaces_and_a_later_poll_ends_the_stream() {
        for ordered in [false, true] {
            for in_f in [false, true] {
                let stage = futures_util::stream::iter(0..5_u32).map_concurrent(1, move |n| {
                    assert!(!(in_f && n == 1), "bug in f");
                    async move {
                        tokio::task::yield_now().await;
                        assert!(n != 1, "bug in the item");
                        Ok::<_, String>(n)
                    }
                });
                let stage = if ordered { stage.ordered() } else { stage };
                let mut stage = std::pin::pin!(stage);
                assert_eq!(stage.next().await.map(|r| r.unwrap()), Some(0));
                let caught = std::panic::AssertUnwindSafe(stage.next())
                    .catch_unwind()
                    .await;
                assert!(caught.is_err(), "the panic reaches the consumer");
                let after = timeout(NEVER, stage.next()).await;
                assert!(
                    matches!(after, Ok(None)),
                    "ordered {ordered}, in f {in_f}: a poll after the panic must end the stream"
                );
                assert_eq!(stage.held(), 0);
            }
        }
    }

    /// The same for a panic of the upstream stream: it reaches the consumer, and the next
    /// poll ends the stage (the item still running is dropped, not polled on).
    #[tokio::test(start_paused = true)]
    async fn a_panicking_upstream_surfaces_and_a_later_poll_ends_the_stream() {
        let dropped = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&dropped);
        let upstream = futures_util::stream::iter(0..3_u32).map(|n| {
            assert!(n < 1, "upstream bug");
            n
        });
        let mut stage = std::pin::pin!(upstream.map_concurrent(2, move |n| {
            let guard = SetOnDrop(Arc::clone(&flag));
            async move {
                let _guard = guard;
                sleep(Duration::from_secs(1)).await;
                Ok::<_, String>(n)
            }
        }));
        let caught = std::panic::AssertUnwindSafe(stage.next())
            .catch_unwind()
            .await;
        assert!(caught.is_err(), "the upstream panic reaches the consumer");
        assert!(matches!(timeout(NEVER, stage.next()).await, Ok(None)));
        assert!(
            dropped.load(Ordering::SeqCst),
            "item 0 was dropped with the stage's end"
        );
    }

    /// `OnError::DeadLetter`: a sink that panics is a panic of the consumer's poll; polling
    /// again ends the stream.
    #[tokio::test(start_paused = true)]
    async fn a_dead_letter_sink_that_panics_surfaces() {
        let mut stage = std::pin::pin!(
            futures_util::stream::iter(0..4_u32)
                .map_concurrent(
                    2,
                    |n| async move { if n == 1 { Err("bad") } else { Ok(n) } }
                )
                .ordered()
                .on_error(OnError::dead_letter(|_| panic!("sink bug")))
        );
        assert_eq!(stage.next().await.map(|r| r.unwrap()), Some(0));
        let caught = std::panic::AssertUnwindSafe(stage.next())
            .catch_unwind()
            .await;
        assert!(caught.is_err());
        assert!(matches!(timeout(NEVER, stage.next()).await, Ok(None)));
    }

    /// `item_timeout` with `Duration::MAX` never fires and does not panic; with
    /// `Duration::ZERO` an item that is ready at its first poll is a value, one that is not
    /// is `TimedOut(0)`.
    #[tokio::test(start_paused = true)]
    async fn endless_and_zero_item_timeouts() {
        let out: Vec<_> = futures_util::stream::iter(0..3_u64)
            .map_concurrent(2, |n| async move {
                sleep(Duration::from_secs(3600 * n)).await;
                Ok::<_, String>(n)
            })
            .item_timeout(Duration::MAX)
            .ordered()
            .collect()
            .await;
        assert_eq!(out, [Ok(0), Ok(1), Ok(2)]);
        let out: Vec<_> = futures_util::stream::iter(0..2_u64)
            .map_concurrent(2, |n| async move {
                if n == 1 {
                    tokio::task::yield_now().await;
                }
                Ok::<_, String>(n)
            })
            .item_timeout(Duration::ZERO)
            .ordered()
            .on_error(OnError::Skip)
            .collect()
            .await;
        assert_eq!(out, [Ok(0)]);
        let mut stage = std::pin::pin!(
            futures_util::stream::iter([1_u64])
                .map_concurrent(1, |_| std::future::pending::<Result<(), String>>())
                .item_timeout(Duration::ZERO)
        );
        let err = stage.next().await.unwrap().unwrap_err();
        assert_eq!(err.kind, StageErrorKind::TimedOut(Duration::ZERO));
    }

    /// `PipelineExt` docs: dropping the stage drops the items it holds: their futures are
    /// dropped with it, nothing keeps running detached.
    #[tokio::test(start_paused = true)]
    async fn dropping_the_stage_drops_the_items_in_flight() {
        let dropped: Vec<Arc<AtomicBool>> =
            (0..3).map(|_| Arc::new(AtomicBool::new(false))).collect();
        let flags = dropped.clone();
        let mut stage = Box::pin(futures_util::stream::iter(0..3_usize).map_concurrent(
            3,
            move |n| {
                let guard = SetOnDrop(Arc::clone(&flags[n]));
                async move {
                    let _guard = guard;
                    sleep(Duration::from_secs(n as u64 * 10)).await;
                    Ok::<_, String>(n)
                }
            },
        ));
        assert_eq!(stage.next().await.map(|r| r.unwrap()), Some(0));
        assert_eq!(stage.held(), 2);
        drop(stage);
        assert!(dropped.iter().all(|flag| flag.load(Ordering::SeqCst)));
    }
}

mod backoff {
    use asyncwise::Backoff;
    use std::time::Duration;

    /// `BackoffSchedule::reset`: "Starts the exponent from 0 again (the jitter generator
    /// continues)": with a constant ceiling the draws after a reset are the ones a schedule
    /// without the reset would have made.
    #[test]
    fn reset_keeps_the_generator_going() {
        let backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(1));
        let straight: Vec<Duration> = backoff.schedule(7).take(6).collect();
        let mut with_reset = backoff.schedule(7);
        let mut drawn: Vec<Duration> = (&mut with_reset).take(3).collect();
        with_reset.reset();
        assert_eq!(with_reset.attempt(), 0);
        drawn.extend((&mut with_reset).take(3));
        assert_eq!(drawn, straight);
        // And it does not start the generator again: a fresh schedule would repeat.
        assert_ne!(drawn[3..], straight[..3]);
    }

    /// `ceiling`: "`min(max, initial * 2^attempt)`", and "Delays have nanosecond precision":
    /// the ceiling is that product to the nanosecond, for initial delays that are not round.
    #[test]
    fn the_ceiling_is_the_doubling_to_the_nanosecond() {
        let max = Duration::from_secs(86_400);
        let mut wrong = Vec::new();
        for initial_ns in [
            1_u64,
            3,
            7,
            999,
            123_456_789,
            333_333_333,
            1_000_000_007,
            2_718_281_828,
        ] {
            let initial = Duration::from_nanos(initial_ns);
            let backoff = Backoff::new(initial, max);
            for attempt in 0..20_u32 {
                let exact = initial
                    .checked_mul(1 << attempt)
                    .map_or(max, |product| product.min(max));
                if backoff.ceiling(attempt) != exact {
                    wrong.push((initial_ns, attempt, backoff.ceiling(attempt), exact));
                }
            }
        }
        assert!(
            wrong.is_empty(),
            "{} wrong, e.g. {:?}",
            wrong.len(),
            &wrong[..wrong.len().min(5)]
        );
    }

    /// "an endless `Iterator`" whose delays stay within `min(max, initial * 2^n)`, for
    /// endless and zero configurations alike.
    #[test]
    fn endless_and_zero_backoffs_stay_in_bounds_for_ever() {
        for (initial, max) in [
            (Duration::ZERO, Duration::ZERO),
            (Duration::ZERO, Duration::MAX),
            (Duration::from_nanos(1), Duration::MAX),
            (Duration::MAX, Duration::MAX),
            (Duration::MAX, Duration::ZERO),
        ] {
            let backoff = Backoff::new(initial, max);
            for (n, delay) in backoff.schedule(3).take(200).enumerate() {
                let ceiling = backoff.ceiling(n as u32);
                assert!(
                    delay <= ceiling,
                    "{initial:?}/{max:?} #{n}: {delay:?} > {ceiling:?}"
                );
                assert!(ceiling <= max.max(initial));
            }
        }
    }
}

mod spawn {
    use super::*;
    use std::cell::Cell;

    /// An error type that is `Send` but not `Sync`.
    struct NotSync(Cell<u8>);
    impl std::fmt::Display for NotSync {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "code {}", self.0.get())
        }
    }

    /// `TaskOutput`: "`Result<T, E>` is a failure when it is `Err` (`E` only needs
    /// `Display`: it does not have to be `Sync` ...). Every other implementation is always a
    /// success" — as a group and a shutdown read them: the `Err` output is handed back as
    /// the task's value and recorded as a named failure with its message in the shutdown's
    /// report (exit code 1); `None` is a success, and a group hands an `ExitCode` back as
    /// its value (a failure since session 10: `tests/hostile_review.rs`).
    #[tokio::test(start_paused = true)]
    async fn task_outputs_are_read_as_documented() {
        let shutdown = Shutdown::new();
        let mut group: TaskGroup<Result<(), NotSync>> =
            TaskGroup::new().with_shutdown(&shutdown, "jobs");
        group
            .spawn("fails", async { Err(NotSync(Cell::new(7))) })
            .unwrap();
        // The group hands the output back as it is; the failure is recorded (below).
        match &group.join_all().await[..] {
            [Ok(Err(error))] => assert_eq!(error.to_string(), "code 7"),
            other => panic!("{:?}", other.iter().map(|r| r.is_ok()).collect::<Vec<_>>()),
        }
        let mut options: TaskGroup<Option<u8>> = TaskGroup::new();
        options.spawn("none", async { None }).unwrap();
        assert!(matches!(options.join_all().await[..], [Ok(None)]));
        let mut codes: TaskGroup<std::process::ExitCode> = TaskGroup::new();
        codes
            .spawn("exit", async { std::process::ExitCode::FAILURE })
            .unwrap();
        assert!(matches!(codes.join_all().await[..], [Ok(_)]));
        let report = shutdown.drain().await;
        match &report.failures[..] {
            [failure] => {
                assert_eq!(failure.task.name, "jobs/fails");
                assert!(
                    matches!(&failure.error, TaskError::Failed { source, .. } if source.to_string() == "code 7"),
                    "{report}"
                );
            }
            other => panic!("{report}: {} failures", other.len()),
        }
        assert_eq!(report.exit_code(), 1);
    }
}
