//! Promise audit of session 8 (`PROMISES.md`): tracked tasks that end
//! unfinished outside the drain, `Shutdown::run` and `drain` dropped by
//! their caller, and the `Supervisor` under hostile children and callers.
//! Each test names the doc sentence it checks. All on paused time.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asyncwise::{
    BoxError, CancellationToken, Jitter, RestartPolicy, RetryPolicy, Shutdown, Supervisor,
    SupervisorError, TaskError, TaskGroup,
};
use tokio::time::{Instant, sleep, timeout};

/// Far enough to say "this never ends by itself" in paused time.
const NEVER: Duration = Duration::from_secs(365 * 86_400);

/// Sets its flag when dropped: tells that a child's future was dropped.
struct SetOnDrop(Arc<AtomicBool>);
impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

fn names(tasks: &[asyncwise::TaskInfo]) -> Vec<&str> {
    tasks.iter().map(|task| task.name.as_ref()).collect()
}

/// Lets aborted tasks be dropped by the scheduler.
async fn settle() {
    for _ in 0..4 {
        tokio::task::yield_now().await;
    }
}

mod aborted {
    use super::*;

    /// `ShutdownReport::aborted`: tracked tasks "aborted through their `JoinHandle` or
    /// `AbortHandle`" before the deadline are named, with how long they ran; "Not a failure:
    /// they do not change the exit code". (Session 7 left this open: such a task left no trace.)
    #[tokio::test(start_paused = true)]
    async fn a_task_aborted_through_its_handle_is_named_in_the_report() {
        let shutdown = Shutdown::with_deadline(Duration::from_secs(5));
        let token = shutdown.token();
        shutdown.spawn("polite", async move { token.cancelled().await });
        let by_handle = shutdown.spawn("by-handle", std::future::pending::<()>());
        let by_abort_handle = shutdown.spawn("by-abort-handle", std::future::pending::<()>());
        sleep(Duration::from_secs(2)).await;
        by_handle.abort();
        sleep(Duration::from_secs(1)).await;
        by_abort_handle.abort_handle().abort();
        settle().await;
        assert_eq!(names(&shutdown.running()), ["polite"]);
        let report = shutdown.drain().await;
        assert_eq!(names(&report.aborted), ["by-handle", "by-abort-handle"]);
        let ran: Vec<Duration> = report.aborted.iter().map(|t| t.running_for).collect();
        assert_eq!(ran, [Duration::from_secs(2), Duration::from_secs(3)]);
        assert!(report.stragglers.is_empty() && report.failures.is_empty());
        assert_eq!(report.exit_code(), 0);
        let shown = report.to_string();
        assert!(
            shown.contains("2 task(s) ended unfinished before the deadline, not cut by the drain"),
            "{shown}"
        );
        assert!(shown.contains("`by-handle`"), "{shown}");
    }

    /// The drain's own aborts are its stragglers and refused tasks, "aborted at once":
    /// neither is listed again as aborted, and a second drain lists nothing twice.
    #[tokio::test(start_paused = true)]
    async fn the_drains_own_aborts_are_not_listed_as_aborted() {
        let shutdown = Shutdown::with_deadline(Duration::from_secs(1));
        shutdown.spawn("deaf", sleep(NEVER));
        let report = shutdown.drain().await;
        shutdown.spawn("late", std::future::pending::<()>());
        settle().await;
        assert_eq!(names(&report.stragglers), ["deaf"]);
        assert!(report.aborted.is_empty(), "{report}");
        let again = shutdown.drain().await;
        assert_eq!(names(&again.refused), ["late"]);
        assert!(
            again.aborted.is_empty() && again.stragglers.is_empty(),
            "{again}"
        );
    }

    /// `TaskGroup::with_shutdown`: "each task is tracked by the shutdown as `name/task`";
    /// `Supervisor::run`: "dropping the future aborts all children at once". A tracked
    /// group dropped with zero grace and a tracked supervisor dropped without a shutdown:
    /// their tasks are named in the shutdown's report as aborted, by path.
    #[tokio::test(start_paused = true)]
    async fn tasks_of_a_dropped_group_or_supervisor_are_named_as_aborted() {
        let shutdown = Shutdown::with_deadline(Duration::from_secs(5));
        let mut group = TaskGroup::<()>::new()
            .with_shutdown(&shutdown, "import")
            .with_grace(Duration::ZERO);
        group.spawn("parse", std::future::pending()).unwrap();
        let child_dropped = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&child_dropped);
        let supervisor = Supervisor::new(shutdown.child_token())
            .name("workers")
            .with_shutdown(&shutdown)
            .child("poller", RestartPolicy::Permanent, move |_| {
                let guard = SetOnDrop(Arc::clone(&flag));
                async move {
                    let _guard = guard;
                    std::future::pending::<Result<(), BoxError>>().await
                }
            });
        let running = tokio::spawn(supervisor.run());
        sleep(Duration::from_secs(1)).await;
        drop(group);
        running.abort();
        settle().await;
        assert!(child_dropped.load(Ordering::SeqCst));
        let report = shutdown.drain().await;
        let mut aborted = names(&report.aborted);
        aborted.sort_unstable();
        assert_eq!(aborted, ["import/parse", "workers/poller"], "{report}");
        assert!(report.stragglers.is_empty(), "{report}");
    }
    /// `ShutdownReport::aborted` during a drain: a tracked group with zero grace cuts its task
    /// as soon as it sees the shutdown, before the deadline: the task is named as aborted (by
    /// its group), not as a straggler, and the drain does not wait for the deadline.
    #[tokio::test(start_paused = true)]
    async fn a_task_its_zero_grace_group_cuts_during_the_drain_is_named_as_aborted() {
        let shutdown = Shutdown::with_deadline(Duration::from_secs(5));
        let mut group = TaskGroup::<()>::new()
            .with_shutdown(&shutdown, "import")
            .with_grace(Duration::ZERO);
        group.spawn("parse", std::future::pending()).unwrap();
        sleep(Duration::from_secs(1)).await;
        let report = shutdown.drain().await;
        assert_eq!(report.drain_time, Duration::ZERO);
        assert!(report.stragglers.is_empty(), "{report}");
        assert_eq!(names(&report.aborted), ["import/parse"], "{report}");
        assert_eq!(report.exit_code(), 0);
        let joined = group.join_next().await.unwrap();
        assert!(joined.unwrap_err().is_cancelled());
    }
}

mod dropped_by_the_caller {
    use super::*;

    /// `Shutdown::run`, "Cancel safety": dropped before the shutdown began (a `timeout`), it
    /// "triggers the shutdown", and a drain on a clone reports the tracked tasks, `main`'s
    /// failure "among the failures (under the name `main`)".
    #[tokio::test(start_paused = true)]
    async fn a_run_dropped_before_the_trigger_triggers_the_shutdown_and_keeps_mains_failure() {
        let shutdown = Shutdown::with_deadline(Duration::from_secs(10)).exit_on_force(false);
        let observer = shutdown.clone();
        let worker_stopped = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&worker_stopped);
        let run = shutdown.run(|shutdown| async move {
            let token = shutdown.child_token();
            shutdown.spawn("worker", async move {
                token.cancelled().await;
                stopped.store(true, Ordering::SeqCst);
            });
            shutdown.triggered().await;
            sleep(Duration::from_secs(1)).await;
            Err::<(), BoxError>("flush failed".into())
        });
        assert!(timeout(Duration::from_secs(5), run).await.is_err());
        assert!(
            observer.is_triggered(),
            "the dropped run left the service running"
        );
        let report = observer.drain().await;
        assert!(worker_stopped.load(Ordering::SeqCst));
        let failed: Vec<String> = report.failures.iter().map(ToString::to_string).collect();
        assert_eq!(failed.len(), 1, "{report}");
        assert!(
            failed[0].contains("`main` failed: flush failed"),
            "{report}"
        );
        assert_eq!(report.drain_time, Duration::from_secs(1));
        assert_eq!(report.exit_code(), 1);
    }

    /// `Shutdown::run` dropped during its drain, after the deadline cut a straggler and
    /// while it waits for the aborted task: the next drain reports `main`'s failure (main
    /// returned `Err` at once) and "the stragglers the dropped drain had already cut".
    #[tokio::test(start_paused = true)]
    async fn a_run_dropped_during_its_drain_loses_neither_mains_failure_nor_the_stragglers() {
        let shutdown = Shutdown::with_deadline(Duration::from_secs(2)).exit_on_force(false);
        let observer = shutdown.clone();
        let run = shutdown.run(|shutdown| async move {
            shutdown.spawn("deaf", sleep(NEVER));
            Err::<(), BoxError>("config missing".into())
        });
        // At 2 s the drain cuts `deaf` first (the inner future is polled first), then waits.
        assert!(timeout(Duration::from_secs(2), run).await.is_err());
        settle().await;
        let report = observer.drain().await;
        assert_eq!(names(&report.stragglers), ["deaf"], "{report}");
        assert!(report.aborted.is_empty(), "{report}");
        let failed: Vec<&str> = report
            .failures
            .iter()
            .map(|f| f.task.name.as_ref())
            .collect();
        assert_eq!(failed, ["main"], "{report}");
        assert_eq!(report.exit_code(), 1);
    }

    /// `Shutdown::drain`: "A drain whose future is dropped before it returned reports
    /// nothing: the next drain reports everything (also the stragglers a dropped drain had
    /// already cut at the deadline)". Dropped in the instant after the cut.
    #[tokio::test(start_paused = true)]
    async fn a_drain_dropped_after_the_deadline_keeps_its_stragglers_for_the_next() {
        let shutdown = Shutdown::with_deadline(Duration::from_secs(3));
        shutdown.spawn("deaf", sleep(NEVER));
        let start = Instant::now();
        assert!(
            timeout(Duration::from_secs(3), shutdown.drain())
                .await
                .is_err()
        );
        settle().await;
        assert!(shutdown.running().is_empty());
        let report = shutdown.drain().await;
        assert_eq!(start.elapsed(), Duration::from_secs(3));
        assert_eq!(names(&report.stragglers), ["deaf"], "{report}");
        assert_eq!(report.stragglers[0].running_for, Duration::from_secs(3));
        assert_eq!(report.exit_code(), 124);
    }
}

mod supervisor {
    use super::*;

    /// Start times of a child's runs, from the test's start.
    fn recorder() -> (Arc<Mutex<Vec<Duration>>>, Instant) {
        (Arc::default(), Instant::now())
    }

    /// A child that panics on every start: "its future's `Err` counts as a failure, and so
    /// does a panic"; "a restart waits for the next delay of the child's own
    /// `RetryPolicy::delays`"; "If more than `max_restarts` restarts ... fall within `window`,
    /// the supervisor ... returns `SupervisorError::Escalated`". Runs at 0, 100, 300, 700 ms
    /// (never sooner), the fourth restart escalates with the panic as last error.
    #[tokio::test(start_paused = true)]
    async fn a_child_that_panics_on_every_start_is_restarted_at_the_backoff_pace_then_escalates() {
        let (starts, origin) = recorder();
        let seen = Arc::clone(&starts);
        let error = Supervisor::new(CancellationToken::new())
            .restart_policy(
                RetryPolicy::exponential(Duration::from_millis(100)).jitter(Jitter::None),
            )
            .restart_intensity(3, Duration::from_secs(10))
            .child("crasher", RestartPolicy::Permanent, move |_| {
                seen.lock().unwrap().push(origin.elapsed());
                async { panic!("bad config") as Result<(), BoxError> }
            })
            .run()
            .await
            .unwrap_err();
        let ms: Vec<u128> = starts
            .lock()
            .unwrap()
            .iter()
            .map(Duration::as_millis)
            .collect();
        assert_eq!(ms, [0, 100, 300, 700]);
        assert_eq!(origin.elapsed(), Duration::from_millis(700));
        match error {
            SupervisorError::Escalated {
                child,
                last_error: Some(TaskError::Panicked { message, .. }),
                ..
            } => {
                assert_eq!(child, "crasher");
                assert_eq!(message, "bad config");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    /// The same storm with no restart limit (`restart_intensity(usize::MAX, ..)`): the
    /// backoff alone paces it. In one minute the child runs exactly as often as the delays
    /// of its policy allow (10 ms doubling up to 1 s), not in a hot loop.
    #[tokio::test(start_paused = true)]
    async fn an_unlimited_restart_storm_is_paced_by_the_backoff() {
        let policy = RetryPolicy::exponential(Duration::from_millis(10))
            .max_delay(Duration::from_secs(1))
            .jitter(Jitter::None);
        let token = CancellationToken::new();
        let runs = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&runs);
        let running = tokio::spawn(
            Supervisor::new(token.clone())
                .restart_policy(policy.clone())
                .restart_intensity(usize::MAX, Duration::from_secs(1))
                .child("crasher", RestartPolicy::Permanent, move |_| {
                    counter.fetch_add(1, Ordering::SeqCst);
                    async { panic!("again") as Result<(), BoxError> }
                })
                .run(),
        );
        let minute = Duration::from_secs(60);
        sleep(minute).await;
        token.cancel();
        let report = running.await.unwrap().unwrap();
        let mut delays = policy.delays();
        let mut at = Duration::ZERO;
        let mut expected = 1;
        loop {
            at += delays.next_delay();
            if at > minute {
                break;
            }
            expected += 1;
        }
        assert_eq!(runs.load(Ordering::SeqCst), expected);
        assert_eq!(report.children[0].restarts as usize, expected - 1);
        assert!(matches!(
            report.children[0].last_error,
            Some(TaskError::Panicked { .. })
        ));
    }

    /// A child that ignores its cancellation at shutdown: "those still running after the
    /// shutdown grace period are aborted" and the report names them; tracked, the
    /// shutdown's report names it too (as cut by its supervisor at the end of its grace,
    /// within the drain deadline: `cut`, not `aborted`, which is for the program's own
    /// aborts, nor a straggler).
    #[tokio::test(start_paused = true)]
    async fn a_deaf_child_is_aborted_after_the_grace_and_named_in_both_reports() {
        let shutdown = Shutdown::with_deadline(Duration::from_secs(10));
        let supervisor = Supervisor::new(shutdown.child_token())
            .name("workers")
            .shutdown_grace(Duration::from_secs(1))
            .with_shutdown(&shutdown)
            .child("listens", RestartPolicy::Permanent, |ctx| async move {
                ctx.token().cancelled().await;
                Ok::<_, BoxError>(())
            })
            .child("deaf", RestartPolicy::Permanent, |_| async {
                std::future::pending::<Result<(), BoxError>>().await
            });
        let supervised = shutdown.spawn("supervisor", supervisor.run());
        sleep(Duration::from_secs(1)).await;
        let report = shutdown.drain().await;
        let supervisor_report = supervised.await.unwrap().unwrap();
        assert!(supervisor_report.shut_down);
        assert_eq!(supervisor_report.aborted, ["deaf"]);
        assert_eq!(report.drain_time, Duration::from_secs(1));
        assert!(report.stragglers.is_empty(), "{report}");
        assert!(report.aborted.is_empty(), "{report}");
        assert_eq!(names(&report.cut), ["workers/deaf"], "{report}");
        assert_eq!(report.cut[0].running_for, Duration::from_secs(2));
        assert_eq!(
            report.exit_code(),
            0,
            "its owner's policy dealt with it in time"
        );
    }

    /// Shutdown requested while a tracked child waits for its restart delay (an hour): the
    /// supervisor "stops when its token is cancelled" at once, the child is not restarted
    /// (its restart is not counted), the drain finds nothing running and its report keeps
    /// the child's failure.
    #[tokio::test(start_paused = true)]
    async fn a_shutdown_during_a_restart_delay_ends_the_drain_at_once() {
        let shutdown = Shutdown::with_deadline(Duration::from_secs(10));
        let runs = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&runs);
        let supervisor = Supervisor::new(shutdown.child_token())
            .name("workers")
            .with_shutdown(&shutdown)
            .restart_policy(
                RetryPolicy::exponential(Duration::from_secs(3600)).jitter(Jitter::None),
            )
            .child("fails", RestartPolicy::Permanent, move |_| {
                counter.fetch_add(1, Ordering::SeqCst);
                async { Err::<(), BoxError>("down".into()) }
            });
        let supervised = shutdown.spawn("supervisor", supervisor.run());
        sleep(Duration::from_secs(5)).await;
        let report = shutdown.drain().await;
        assert_eq!(report.drain_time, Duration::ZERO);
        assert!(
            report.stragglers.is_empty() && report.aborted.is_empty(),
            "{report}"
        );
        let failed: Vec<&str> = report
            .failures
            .iter()
            .map(|f| f.task.name.as_ref())
            .collect();
        assert_eq!(failed, ["workers/fails"]);
        let supervisor_report = supervised.await.unwrap().unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(supervisor_report.children[0].restarts, 0);
        assert!(supervisor_report.children[0].last_error.is_some());
    }

    /// An escalation with a sibling that ignores its token: "every child has been stopped by
    /// then, and the error names those that had to be aborted" — the error comes after the
    /// grace period and names the sibling, whose future has been dropped; tracked, the
    /// shutdown's report names it as cut at the end of the grace. (The error named no one
    /// before session 8; the shutdown listed it as `aborted` until session 9.)
    #[tokio::test(start_paused = true)]
    async fn an_escalation_stops_a_deaf_sibling_before_it_returns() {
        let shutdown = Shutdown::with_deadline(Duration::from_secs(10));
        let dropped = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&dropped);
        let start = Instant::now();
        let error = Supervisor::new(shutdown.child_token())
            .name("workers")
            .with_shutdown(&shutdown)
            .shutdown_grace(Duration::from_secs(2))
            .restart_intensity(0, Duration::from_secs(10))
            .child("deaf", RestartPolicy::Permanent, move |_| {
                let guard = SetOnDrop(Arc::clone(&flag));
                async move {
                    let _guard = guard;
                    std::future::pending::<Result<(), BoxError>>().await
                }
            })
            .child("broken", RestartPolicy::Permanent, |_| async {
                Err::<(), BoxError>("down".into())
            })
            .run()
            .await
            .unwrap_err();
        match &error {
            SupervisorError::Escalated { child, aborted, .. } => {
                assert_eq!(child, "broken");
                assert_eq!(aborted, &["deaf"], "the error names the aborted sibling");
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        settle().await;
        assert!(dropped.load(Ordering::SeqCst));
        assert!(shutdown.running().is_empty());
        let report = shutdown.drain().await;
        assert_eq!(names(&report.cut), ["workers/deaf"], "{report}");
        assert!(report.aborted.is_empty(), "{report}");
    }
}

mod retry {
    use asyncwise::{RetryError, retry};

    use super::*;

    /// `RetryPolicy::max_elapsed`: "No attempt starts later than `budget` after the first one
    /// started". A delay that fits the budget on paper (10.4 ms of 10.5 ms) but that Tokio's
    /// millisecond timer ends at 11 ms: the second attempt must not start.
    #[tokio::test(start_paused = true)]
    async fn no_attempt_starts_after_the_budget_even_when_the_timer_wakes_late() {
        let policy = RetryPolicy::exponential(Duration::from_micros(10_400))
            .jitter(Jitter::None)
            .max_attempts(5)
            .max_elapsed(Duration::from_micros(10_500));
        let origin = Instant::now();
        let mut starts = Vec::new();
        let result = retry(policy, || {
            starts.push(origin.elapsed());
            async { Err::<(), _>("down") }
        })
        .await;
        assert!(
            starts.iter().all(|at| *at <= Duration::from_micros(10_500)),
            "attempts started at {starts:?}"
        );
        assert_eq!(
            result,
            Err(RetryError::Exhausted {
                error: "down",
                attempts: 1
            })
        );
    }

    /// `retry_after`: "the next delay is exactly `d` ... (it may exceed `max_delay`; the time
    /// budget still applies)", with `d = Duration::MAX` (a hostile server): no panic; with a
    /// budget it gives up at once, without one it waits until `cancel_on`'s token stops it.
    #[tokio::test(start_paused = true)]
    async fn an_endless_retry_after_hint_waits_or_gives_up_without_panicking() {
        let start = Instant::now();
        let budgeted = RetryPolicy::default().max_elapsed(Duration::from_secs(60));
        let result = retry(budgeted, || async { Err::<(), _>("busy") })
            .retry_after(|_| Some(Duration::MAX))
            .await;
        assert_eq!(result.unwrap_err().attempts(), 1);
        assert_eq!(start.elapsed(), Duration::ZERO, "it gives up at once");

        let token = CancellationToken::new();
        let stop = token.clone();
        tokio::spawn(async move {
            sleep(Duration::from_secs(3600)).await;
            stop.cancel();
        });
        let result = retry(RetryPolicy::default(), || async { Err::<(), _>("busy") })
            .retry_after(|_| Some(Duration::MAX))
            .cancel_on(token)
            .await;
        assert!(matches!(
            result,
            Err(RetryError::Cancelled {
                last_error: Some("busy"),
                attempts: 1
            })
        ));
        assert_eq!(start.elapsed(), Duration::from_secs(3600));
    }

    /// `max_delay`: "Upper bound of every delay computed from the schedule"; `floor`: "The
    /// smallest delay the schedule produces"; `Jitter`: `None`, `Full` and `Equal` never
    /// above the attempt's ceiling `d`; `factor`: any growth. With `Duration::MAX` as
    /// the bound and a factor of 1e300, every jitter mode draws delays within
    /// `[floor, max_delay]` for a thousand attempts, without panicking.
    #[test]
    fn an_endless_max_delay_with_a_huge_factor_stays_within_bounds() {
        for jitter in [
            Jitter::None,
            Jitter::Full,
            Jitter::Equal,
            Jitter::Decorrelated,
        ] {
            let policy = RetryPolicy::exponential(Duration::from_secs(1))
                .factor(1e300)
                .max_delay(Duration::MAX)
                .jitter(jitter)
                .seed(9);
            let floor = policy.get_floor();
            for (attempt, delay) in policy.delays().take(1_000).enumerate() {
                assert!(delay >= floor, "{jitter:?} attempt {attempt}: {delay:?}");
                // Decorrelated jitter does not follow the attempt's ceiling, only the bound.
                let bound = match jitter {
                    Jitter::Decorrelated => policy.get_max_delay(),
                    _ => policy.ceiling(u32::try_from(attempt).unwrap()),
                };
                assert!(delay <= bound, "{jitter:?} attempt {attempt}: {delay:?}");
            }
            // A floor of `Duration::MAX` is capped at the bound: every delay is the bound.
            let pinned = RetryPolicy::exponential(Duration::from_millis(1))
                .max_delay(Duration::from_secs(7))
                .floor(Duration::MAX)
                .jitter(jitter);
            assert!(
                pinned
                    .delays()
                    .take(50)
                    .all(|d| d == Duration::from_secs(7))
            );
        }
    }
}

mod batch {
    use asyncwise::{BatchConfig, Batcher};

    use super::*;

    /// `Batcher::send`, "Cancel safety": a send dropped while it waits for room (a `timeout`)
    /// did not accept its item: the item is neither flushed nor dead-lettered, and the
    /// dropped send holds no room, so the next send goes through once the worker runs.
    #[tokio::test(start_paused = true)]
    async fn a_send_dropped_while_waiting_for_room_accepts_nothing_and_holds_no_room() {
        let flushed = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&flushed);
        let dead = Arc::new(AtomicUsize::new(0));
        let dead_count = Arc::clone(&dead);
        let (batcher, worker) = Batcher::new(
            BatchConfig::new(1, Duration::ZERO).capacity(1),
            move |batch: asyncwise::Batch<u32>| {
                sink.lock().unwrap().extend(batch.iter().copied());
                async { Ok::<_, String>(()) }
            },
        );
        let worker = worker.dead_letter(move |batch, _| {
            dead_count.fetch_add(batch.len(), Ordering::SeqCst);
        });
        batcher.send(1).await.unwrap();
        assert!(
            timeout(Duration::from_secs(1), batcher.send(2))
                .await
                .is_err()
        );
        let running = tokio::spawn(worker.run());
        timeout(Duration::from_secs(1), batcher.send(3))
            .await
            .expect("room for the next send")
            .unwrap();
        drop(batcher);
        let report = running.await.unwrap();
        assert_eq!(*flushed.lock().unwrap(), [1, 3]);
        assert_eq!(dead.load(Ordering::SeqCst), 0);
        assert_eq!(report.items_flushed, 2);
    }
}

mod pipeline {
    use asyncwise::{PipelineExt, StageError, StageErrorKind};
    use futures_util::StreamExt;

    use super::*;

    /// `ordered`: "Yields results in input order"; `OnError::Stop` (the default): "Yield the
    /// error, then end the stream". An item that fails while an earlier one still runs: the
    /// earlier item's value comes out first, then the error, then the end.
    #[tokio::test(start_paused = true)]
    async fn an_ordered_stage_stops_after_the_earlier_items_came_out() {
        let start = Instant::now();
        let out: Vec<_> = futures_util::stream::iter(0..4_u64)
            .map_concurrent(3, |n| async move {
                match n {
                    0 => {
                        sleep(Duration::from_secs(10)).await;
                        Ok(n)
                    }
                    1 => Err("broken"),
                    _ => Ok(n),
                }
            })
            .ordered()
            .collect()
            .await;
        assert_eq!(
            out,
            [
                Ok(0),
                Err(Box::new(StageError {
                    index: 1,
                    kind: StageErrorKind::Failed("broken")
                }))
            ]
        );
        assert_eq!(start.elapsed(), Duration::from_secs(10));
    }
}
