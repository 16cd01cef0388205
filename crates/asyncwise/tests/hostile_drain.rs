//! Session 14's hostile review: lost work and silent failures at the edges of a shutdown. Each
//! test tries one race or one drop that the docs speak about (a spawn racing the drain, a task
//! spawned or panicking during a drain, a deadline passing while a task is in its `Drop`, the
//! future awaiting a drain or a join dropped half-way, a supervisor's children ending while it
//! stops) and checks the sentence it quotes. Time is paused, or the order of events is forced
//! with channels; nothing waits for the wall clock to decide an outcome.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asyncwise::{
    BoxError, CancellationToken, RestartPolicy, Shutdown, SpawnError, Strategy, Supervisor,
    TaskError, TaskGroup,
};
use tokio::time::sleep;

#[path = "support/docs_setup.rs"]
mod docs_setup;
#[path = "support/supervised.rs"]
mod supervised;

use docs_setup::{cancelled_after, flag};

mod supervisor_stop {
    use super::*;
    use supervised::{Ending, ThreadBlocker, deaf_holding, escalation, stopped_by_its_child};

    /// `ChildReport::last_error`: "How its last run ended, if it ended with an error." A child
    /// whose first run failed, restarted, and whose second run fails while the supervisor is
    /// shutting down (it reacts to its token with an error): the report must carry the second
    /// run's error, not the first's.
    #[tokio::test(start_paused = true)]
    async fn a_child_failing_while_the_supervisor_stops_reports_that_failure() {
        let report = stopped_by_its_child("db", true, Ending::Fails("second run failed"))
            .run()
            .await
            .expect("shut down, not escalated");
        assert!(report.shut_down);
        let child = &report.children[0];
        assert_eq!(child.restarts, 1);
        let error = child.last_error.as_ref().expect("the last run failed");
        assert!(error.to_string().contains("second run failed"), "{error}");
    }

    /// The same for a run that succeeds while the supervisor stops: its last run did not end
    /// with an error, so the report has none (not the first run's).
    #[tokio::test(start_paused = true)]
    async fn a_child_returning_ok_while_the_supervisor_stops_has_no_last_error() {
        let report = stopped_by_its_child("db", true, Ending::Ok)
            .run()
            .await
            .expect("shut down");
        let child = &report.children[0];
        assert_eq!(child.restarts, 1);
        assert!(
            child.last_error.is_none(),
            "the last run returned Ok: {:?}",
            child.last_error
        );
    }

    /// A child that panics while the supervisor stops: the panic is its last run's error.
    #[tokio::test(start_paused = true)]
    async fn a_child_panicking_while_the_supervisor_stops_reports_the_panic() {
        let report = stopped_by_its_child("worker", false, Ending::Panics("cleanup exploded"))
            .run()
            .await
            .expect("shut down");
        match &report.children[0].last_error {
            Some(TaskError::Panicked { message, .. }) => assert_eq!(message, "cleanup exploded"),
            other => panic!("the panic is lost: {other:?}"),
        }
    }

    /// `Strategy::OneForAll`: siblings "are stopped ... and all restart together". A sibling
    /// that panics while it is stopped for the group restart has ended its run with that panic:
    /// when the supervisor is stopped before the group restarts, the report shows it.
    #[tokio::test(start_paused = true)]
    async fn a_sibling_panicking_while_stopped_for_a_group_restart_reports_the_panic() {
        let report = Supervisor::new(cancelled_after(Duration::from_millis(500)))
            .strategy(Strategy::OneForAll)
            .restart_policy(
                asyncwise::RetryPolicy::exponential(Duration::from_secs(1))
                    .jitter(asyncwise::Jitter::None),
            )
            .child("cache", RestartPolicy::Permanent, |ctx| async move {
                ctx.token().cancelled().await;
                panic!("cache cleanup exploded");
                #[allow(unreachable_code)]
                Ok::<(), BoxError>(())
            })
            .child("db", RestartPolicy::Transient, |_| async move {
                Err::<(), BoxError>("lost connection".into())
            })
            .run()
            .await
            .expect("shut down");
        assert!(report.shut_down);
        let cache = &report.children[0];
        assert_eq!(cache.restarts, 0, "stopped before the group restarted");
        match &cache.last_error {
            Some(TaskError::Panicked { message, .. }) => {
                assert_eq!(message, "cache cleanup exploded");
            }
            other => panic!("the sibling's panic is lost: {other:?}"),
        }
        let db = &report.children[1];
        assert!(db.last_error.is_some());
    }

    /// `Supervisor::run`: "those still running after the shutdown grace period are aborted";
    /// `SupervisorReport::aborted`: "Children that did not stop within the shutdown grace period
    /// and were aborted". When `run` returns, an aborted child has stopped: its future (and what
    /// it owns) is gone, not merely scheduled for an abort.
    #[tokio::test(start_paused = true)]
    async fn a_deaf_child_is_gone_when_run_returns() {
        let dropped = flag();
        let report = Supervisor::new(cancelled_after(Duration::from_secs(1)))
            .shutdown_grace(Duration::from_secs(2))
            .child("deaf", RestartPolicy::Permanent, deaf_holding(&dropped))
            .run()
            .await
            .expect("shut down");
        assert_eq!(report.aborted, ["deaf"]);
        assert!(report.not_stopped.is_empty(), "{report}");
        assert!(
            dropped.load(Ordering::SeqCst),
            "the aborted child still holds its resources after `run` returned"
        );
    }

    /// `SupervisorReport::not_stopped`: "Aborted children that had still not stopped
    /// `Shutdown::ABORT_SETTLE` after their abort, when `run` returned: they block their thread
    /// ... Each is also in `aborted`"; `Supervisor::run`: "A child that blocks its thread is left
    /// behind then, still running: the report names it". A child stuck in sync code when the
    /// grace ends, beside a deaf child that an abort does stop: only the stuck one is named
    /// apart, and the report's text says it was left behind. Multi-thread, real time: the stuck
    /// child holds a worker thread until the test releases it after `run` returned (the grace is
    /// 10 ms, the settle wait one second; nothing is asserted about how long either took).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_child_blocking_its_thread_when_aborted_is_named_as_not_stopped() {
        let dropped = flag();
        let blocker = ThreadBlocker::new();
        let token = CancellationToken::new();
        let supervisor = Supervisor::new(token.clone())
            .shutdown_grace(Duration::from_millis(10))
            .child("deaf", RestartPolicy::Permanent, deaf_holding(&dropped))
            .child("stuck", RestartPolicy::Permanent, blocker.child())
            .run();
        let cancel_once_stuck = async {
            blocker.started.notified().await;
            token.cancel();
        };
        let (report, ()) = tokio::join!(supervisor, cancel_once_stuck);
        let report = report.expect("shut down");
        assert_eq!(report.aborted, ["deaf", "stuck"], "{report}");
        assert_eq!(report.not_stopped, ["stuck"], "{report}");
        assert!(dropped.load(Ordering::SeqCst), "the deaf child did stop");
        let text = report.to_string();
        assert!(
            text.contains("child `stuck` did not stop in time and was aborted, but had not stopped 1s later (it blocks its thread) and was left behind"),
            "{text}"
        );
        assert!(
            text.contains("child `deaf` did not stop in time and was aborted\n")
                || text.ends_with("child `deaf` did not stop in time and was aborted"),
            "{text}"
        );
        blocker.release();
    }

    /// `SupervisorError::Escalated`: "every child has been stopped by then", for a sibling that
    /// ignores its token.
    #[tokio::test(start_paused = true)]
    async fn an_escalation_returns_after_the_deaf_sibling_is_gone() {
        let dropped = flag();
        let result = Supervisor::new(CancellationToken::new())
            .restart_intensity(0, Duration::from_secs(60))
            .shutdown_grace(Duration::from_secs(1))
            .child("deaf", RestartPolicy::Permanent, deaf_holding(&dropped))
            .child("crashy", RestartPolicy::Permanent, |_| async {
                Err::<(), BoxError>("crash".into())
            })
            .run()
            .await;
        assert_eq!(escalation(result).aborted, ["deaf"]);
        assert!(
            dropped.load(Ordering::SeqCst),
            "the aborted sibling still runs after the escalation returned"
        );
    }

    /// `Supervisor::run`, "Cancel safety": "dropping the future aborts all children at once";
    /// `ShutdownReport::aborted`: tracked tasks ended by "a supervisor's `run` dropped" are
    /// named there. A tracked supervisor (`with_shutdown`) whose `db` child fails after 1 s and
    /// is restarted 1 s later, beside a `cache` child that runs until its token, stopped by its
    /// own token at 4.5 s (db in its third run): its `run` dropped at each await (with the crate's harness). Each time,
    /// nothing of it runs on, and a drain names every run that was cut in `aborted` and every
    /// failed run in `failures`: as many failures as `db` started runs before the drop, and
    /// `aborted` holds exactly the children whose run was in flight; when `run` completed,
    /// nothing is aborted.
    #[tokio::test(start_paused = true)]
    async fn a_tracked_supervisor_dropped_at_any_await_names_what_it_cut() {
        use asyncwise::testing::cancel_at_each_await;
        type Stage = (Option<usize>, Shutdown, Arc<AtomicUsize>);
        let stages: Arc<Mutex<Vec<Stage>>> = Arc::default();
        let recorded = Arc::clone(&stages);
        let report = cancel_at_each_await(
            || {
                let shutdown = Shutdown::with_deadline(Duration::from_secs(10));
                let db_runs = Arc::new(AtomicUsize::new(0));
                let counted = Arc::clone(&db_runs);
                let run = Supervisor::new(cancelled_after(Duration::from_millis(4_500)))
                    .name("workers")
                    .restart_policy(
                        asyncwise::RetryPolicy::exponential(Duration::from_secs(1))
                            .jitter(asyncwise::Jitter::None)
                            .max_delay(Duration::from_secs(1)),
                    )
                    .with_shutdown(&shutdown)
                    .child("cache", RestartPolicy::Permanent, |ctx| async move {
                        ctx.token().cancelled().await;
                        Ok::<(), BoxError>(())
                    })
                    .child("db", RestartPolicy::Permanent, move |ctx| {
                        counted.fetch_add(1, Ordering::SeqCst);
                        async move {
                            tokio::select! {
                                // Unbiased, the harness would see the run's suspensions vary.
                                biased;
                                () = sleep(Duration::from_secs(1)) => Err::<(), BoxError>("db lost".into()),
                                () = ctx.token().cancelled() => Ok(()),
                            }
                        }
                    })
                    .run();
                ((shutdown, db_runs), run)
            },
            |(shutdown, db_runs), stage| {
                recorded.lock().unwrap().push((
                    stage.suspension(),
                    shutdown.clone(),
                    Arc::clone(db_runs),
                ));
                Ok::<(), String>(())
            },
        )
        .await
        .unwrap_or_else(|error| panic!("{error}"));
        assert!(report.suspensions >= 3, "{report:?}");
        let stages = std::mem::take(&mut *stages.lock().unwrap());
        for (suspension, shutdown, db_runs) in stages {
            let drained = shutdown.drain().await;
            assert!(
                drained.stragglers.is_empty(),
                "at {suspension:?}: {drained}"
            );
            let mut aborted: Vec<_> = drained.aborted.iter().map(|t| t.name.to_string()).collect();
            aborted.sort_unstable();
            let failed = drained.failures.len();
            let runs = db_runs.load(Ordering::SeqCst);
            match suspension {
                None => {
                    assert!(aborted.is_empty(), "completed: {drained}");
                    assert_eq!(failed, runs - 1, "completed: {drained}");
                }
                Some(0) => assert!(drained.is_clean() && aborted.is_empty() && runs == 0),
                Some(_) => {
                    // `cache` was running; `db` was, unless the drop came in a restart delay.
                    assert!(aborted.contains(&"workers/cache".to_owned()), "{drained}");
                    let db_cut = aborted.contains(&"workers/db".to_owned());
                    assert_eq!(
                        failed + usize::from(db_cut),
                        runs,
                        "at {suspension:?}: every db run failed or was cut: {drained}"
                    );
                }
            }
        }
    }

    /// `ChildReport::last_error`: `None` for a run that "was aborted ... whatever an earlier run
    /// did"; a tracked supervisor whose grace outlasts the drain deadline: the drain aborts its
    /// deaf child (a straggler), and the supervisor's report does not turn that abort into a
    /// panic of the child.
    #[tokio::test(start_paused = true)]
    async fn a_child_aborted_by_the_drain_while_the_supervisor_stops_has_no_error() {
        let shutdown = Shutdown::with_deadline(Duration::from_secs(2));
        let supervisor = Supervisor::new(shutdown.child_token())
            .name("workers")
            .shutdown_grace(Duration::from_secs(60))
            .with_shutdown(&shutdown)
            .child("deaf", RestartPolicy::Permanent, |ctx| async move {
                if ctx.restarts() == 0 {
                    return Err::<(), BoxError>("first run failed".into());
                }
                std::future::pending::<Result<(), BoxError>>().await
            });
        let supervisor = tokio::spawn(supervisor.run());
        sleep(Duration::from_secs(10)).await; // restarted, now deaf
        let report = shutdown.drain().await;
        let names: Vec<_> = report.stragglers.iter().map(|t| t.name.as_ref()).collect();
        assert_eq!(names, ["workers/deaf"], "{report}");
        let supervised = supervisor.await.expect("joined").expect("shut down");
        let child = &supervised.children[0];
        assert_eq!(child.restarts, 1);
        assert!(
            child.last_error.is_none(),
            "an abort is no error of the run: {:?}",
            child.last_error
        );
    }

    /// A child that panics on every run, at the restart limit: `restart_intensity(2, ..)`
    /// escalates on the third restart ("more than `max_restarts` restarts"), after exactly
    /// three runs, with the last panic as the error and two restarts counted.
    #[tokio::test(start_paused = true)]
    async fn a_child_panicking_on_every_run_escalates_after_its_limit_with_the_last_panic() {
        let runs = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&runs);
        let result = Supervisor::new(CancellationToken::new())
            .restart_intensity(2, Duration::from_secs(3600))
            .child("crashy", RestartPolicy::Permanent, move |ctx| {
                counter.fetch_add(1, Ordering::SeqCst);
                async move {
                    panic!("crash {}", ctx.restarts());
                    #[allow(unreachable_code)]
                    Ok::<(), BoxError>(())
                }
            })
            .run()
            .await;
        let escalated = escalation(result);
        assert_eq!(escalated.child, "crashy");
        assert_eq!(escalated.max_restarts, 2);
        match escalated.last_error {
            Some(TaskError::Panicked { message, .. }) => assert_eq!(message, "crash 2"),
            other => panic!("expected the last panic: {other:?}"),
        }
        assert!(escalated.aborted.is_empty());
        assert_eq!(runs.load(Ordering::SeqCst), 3);
    }
}

mod group_drain {
    use super::*;

    /// `TaskGroup::with_shutdown`: each task's "failure or panic is recorded in the report". A
    /// task that panics while the shutdown drains (it reacts to the cancellation by panicking
    /// in its grace): in the report's failures under its path, exit code 1.
    #[tokio::test(start_paused = true)]
    async fn a_group_task_panicking_during_the_drain_is_a_failure_of_the_report() {
        let shutdown = Shutdown::with_deadline(Duration::from_secs(10));
        let mut group = TaskGroup::<()>::new().with_shutdown(&shutdown, "jobs");
        let token = group.cancellation_token();
        group
            .spawn("flush", async move {
                token.cancelled().await;
                sleep(Duration::from_secs(1)).await;
                panic!("flush exploded");
            })
            .expect("spawned");
        tokio::task::yield_now().await;
        let report = shutdown.drain().await;
        assert_eq!(report.failures.len(), 1, "{report}");
        assert_eq!(report.failures[0].task.name, "jobs/flush");
        assert!(matches!(
            &report.failures[0].error,
            TaskError::Panicked { message, .. } if message == "flush exploded"
        ));
        assert!(report.stragglers.is_empty(), "{report}");
        assert_eq!(report.exit_code(), 1);
        assert_eq!(report.drain_time, Duration::from_secs(1));
        // The group hands the panic out too.
        let joined = group.join_next_named().await.expect("one task");
        assert!(matches!(joined.result, Err(TaskError::Panicked { .. })));
    }

    /// `Shutdown::drain`: "Tasks spawned during the drain (for example a final flush) are waited
    /// for too"; `TaskGroup::with_shutdown`: the group "is cancelled when the shutdown is
    /// triggered" and a cancelled group's spawns fail with `SpawnError::Cancelled`. A task that,
    /// during the drain, spawns a flush into its own (cancelled) group gets `Cancelled` and the
    /// future back unpolled; spawned with `Shutdown::spawn` instead, the flush is waited for.
    #[tokio::test(start_paused = true)]
    async fn a_task_spawning_during_the_drain_into_its_group_is_refused_and_into_the_shutdown_waited_for()
     {
        let shutdown = Shutdown::with_deadline(Duration::from_secs(10));
        let mut group = TaskGroup::new().with_shutdown(&shutdown, "jobs");
        let spawner = group.spawner();
        let token = group.cancellation_token();
        let tracker = shutdown.clone();
        let flushed = flag();
        let flushed_in_task = Arc::clone(&flushed);
        let polled_in_group = flag();
        let polled = Arc::clone(&polled_in_group);
        group
            .spawn("owner", async move {
                token.cancelled().await;
                let refused = spawner.spawn("late", async move {
                    polled.store(true, Ordering::SeqCst);
                });
                assert_eq!(refused, Err(SpawnError::Cancelled));
                tracker.spawn("final-flush", async move {
                    sleep(Duration::from_secs(3)).await;
                    flushed_in_task.store(true, Ordering::SeqCst);
                });
            })
            .expect("spawned");
        tokio::task::yield_now().await;
        let report = shutdown.drain().await;
        assert!(report.is_clean(), "{report}");
        assert!(flushed.load(Ordering::SeqCst), "the drain waited for it");
        assert_eq!(report.drain_time, Duration::from_secs(3));
        assert!(!polled_in_group.load(Ordering::SeqCst));
        assert!(group.join_next().await.expect("owner").is_ok());
    }

    /// `TaskGroup::shutdown`, cancel safety: "dropped half-way, it has cancelled the group and
    /// discarded the results it joined; calling it again waits for the rest within the same
    /// grace period (it is not restarted), and a join gets the results not yet discarded." With
    /// a task that panics in its grace after the first call was dropped: the join gets the
    /// panic, named.
    #[tokio::test(start_paused = true)]
    async fn a_dropped_group_shutdown_leaves_a_later_panic_to_the_next_join() {
        let mut group = TaskGroup::<()>::new().with_grace(Duration::from_secs(10));
        let token = group.cancellation_token();
        group.spawn("quick", async {}).expect("spawned");
        let second = group.cancellation_token();
        group
            .spawn("panics-late", async move {
                second.cancelled().await;
                sleep(Duration::from_secs(5)).await;
                panic!("late panic");
            })
            .expect("spawned");
        drop(token);
        tokio::task::yield_now().await;
        let start = tokio::time::Instant::now();
        let first = tokio::time::timeout(Duration::from_secs(2), group.shutdown()).await;
        assert!(first.is_err(), "the first call was cut half-way");
        assert!(group.is_cancelled());
        // "quick" was joined (and discarded) by the dropped call; the panicking task is still
        // owned by the group.
        assert_eq!(group.len(), 1);
        let joined = group.join_next_named().await.expect("the panicking task");
        assert_eq!(joined.name, "panics-late");
        assert!(
            matches!(&joined.result, Err(TaskError::Panicked { message, .. }) if message == "late panic")
        );
        assert_eq!(start.elapsed(), Duration::from_secs(5));
        group.shutdown().await;
        assert!(group.is_empty());
    }
}

mod drain_races {
    use super::*;

    /// `Shutdown::drain`: "A second drain returns at once; its report holds only what happened
    /// since the first". A task refused after the first drain is in the second report, and one
    /// refused before the first is not repeated there.
    #[tokio::test(start_paused = true)]
    async fn a_second_drain_lists_only_the_tasks_refused_since_the_first() {
        let shutdown = Shutdown::with_deadline(Duration::from_secs(1));
        shutdown.trigger();
        sleep(Duration::from_secs(2)).await;
        // Past the deadline, but no drain has closed the registry yet: this one still starts.
        let early = shutdown.drain().await;
        assert!(early.refused.is_empty(), "{early}");
        drop(shutdown.spawn("first-late", async {}));
        tokio::task::yield_now().await;
        let first = shutdown.drain().await;
        let names = |tasks: &[asyncwise::TaskInfo]| {
            tasks
                .iter()
                .map(|task| task.name.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&first.refused), ["first-late"]);
        drop(shutdown.spawn("second-late", async {}));
        tokio::task::yield_now().await;
        let second = shutdown.drain().await;
        assert_eq!(
            names(&second.refused),
            ["second-late"],
            "the second report repeats what the first held"
        );
        let third = shutdown.drain().await;
        assert!(third.refused.is_empty(), "{third}");
    }

    /// `ShutdownReport::stragglers`: "Tasks still running when the deadline passed". A task that
    /// was aborted through its handle before the deadline and is still in its `Drop` when the
    /// deadline passes (its drop blocks on a slow cleanup) is still running then: a straggler,
    /// not in `aborted`; the drain then waits for it (it ends within `ABORT_SETTLE`), so it is
    /// not in `not_stopped`. The order is forced with channels: the drop signals that it has
    /// begun, a second, deaf task's drop signals the deadline (the drain aborts it then), and
    /// only then does the first drop finish. Real time only bounds the test.
    #[test]
    fn a_task_in_its_drop_at_the_deadline_is_a_straggler_the_drain_waits_for() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(3)
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let shutdown = Shutdown::with_deadline(Duration::from_millis(20));
            let (entered_tx, entered_rx) = std::sync::mpsc::channel::<()>();
            let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
            let release_rx = Mutex::new(release_rx);
            let (deadline_tx, deadline_rx) = std::sync::mpsc::channel::<()>();
            struct SlowDrop {
                entered: std::sync::mpsc::Sender<()>,
                release: Mutex<std::sync::mpsc::Receiver<()>>,
            }
            impl Drop for SlowDrop {
                fn drop(&mut self) {
                    let _ = self.entered.send(());
                    let release = self.release.lock().expect("release");
                    let _ = release.recv();
                }
            }
            struct OnDrop(std::sync::mpsc::Sender<()>);
            impl Drop for OnDrop {
                fn drop(&mut self) {
                    let _ = self.0.send(());
                }
            }
            let slow = SlowDrop {
                entered: entered_tx,
                release: release_rx,
            };
            let handle = shutdown.spawn("slow-drop", async move {
                let _slow = slow;
                std::future::pending::<()>().await
            });
            let deaf_guard = OnDrop(deadline_tx);
            shutdown.spawn("deaf", async move {
                let _guard = deaf_guard;
                std::future::pending::<()>().await
            });
            // Let both tasks start, then abort the first: its drop begins on a worker.
            tokio::task::yield_now().await;
            while shutdown.running().len() < 2 {
                tokio::task::yield_now().await;
            }
            handle.abort();
            tokio::task::spawn_blocking(move || entered_rx.recv())
                .await
                .expect("joined")
                .expect("the drop began");
            let drain = tokio::spawn({
                let shutdown = shutdown.clone();
                async move { shutdown.drain().await }
            });
            // The deaf task is aborted at the deadline: then release the slow drop.
            tokio::task::spawn_blocking(move || {
                deadline_rx.recv().expect("the deadline passed");
                release_tx.send(()).expect("released");
            })
            .await
            .expect("joined");
            let report = drain.await.expect("drained");
            let stragglers: Vec<_> = report.stragglers.iter().map(|t| t.name.as_ref()).collect();
            assert_eq!(stragglers, ["slow-drop", "deaf"], "{report}");
            assert!(report.not_stopped.is_empty(), "{report}");
            assert!(report.aborted.is_empty(), "{report}");
            assert_eq!(report.exit_code(), 124);
            // "When the drain returns, no tracked task is running any more, except the ones
            // listed in `not_stopped`": the drop has finished.
            assert!(shutdown.running().is_empty(), "{:?}", shutdown.running());
        });
    }

    /// `TaskGroup::spawn_blocking`: "Cancellation cannot stop a closure that runs: when the task
    /// is cut, the group stops waiting for it and the closure finishes in the background." In a
    /// group made `with_shutdown`, the drain cuts the task at the deadline (a straggler); the
    /// closure is not a tracked task of its own, so it is not in `not_stopped` and the drain does
    /// not wait for it (unlike `Shutdown::spawn_blocking`'s, which is). Forced order: the
    /// closure waits for a message the test sends only after the drain returned. Real time
    /// (paused time does not advance while a blocking closure runs): the 20 ms deadline only
    /// bounds how long the test takes.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_tracked_groups_blocking_closure_outlives_the_drain_unlisted() {
        let shutdown = Shutdown::with_deadline(Duration::from_millis(20));
        let mut group = TaskGroup::new().with_shutdown(&shutdown, "jobs");
        let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let (finished_tx, finished_rx) = std::sync::mpsc::channel::<()>();
        group
            .spawn_blocking("checksum", move || {
                started_tx.send(()).expect("started");
                release_rx.recv().expect("released");
                finished_tx.send(()).expect("finished");
            })
            .expect("spawned");
        tokio::task::spawn_blocking(move || started_rx.recv())
            .await
            .expect("joined")
            .expect("the closure runs");
        let report = shutdown.drain().await;
        let names: Vec<_> = report.stragglers.iter().map(|t| t.name.as_ref()).collect();
        assert_eq!(names, ["jobs/checksum"], "{report}");
        assert!(report.not_stopped.is_empty(), "{report}");
        assert!(shutdown.running().is_empty());
        assert!(
            finished_rx.try_recv().is_err(),
            "the closure still runs after the drain"
        );
        release_tx.send(()).expect("release");
        tokio::task::spawn_blocking(move || finished_rx.recv())
            .await
            .expect("joined")
            .expect("the closure finishes in the background");
        assert!(group.join_next().await.expect("one task").is_err());
    }

    /// `Shutdown` docs: "When the deadline passes, at one instant: the registry is closed (a
    /// tracked task spawned later is aborted at once and never polled, and is listed as
    /// refused), no new poll of a tracked task begins". Spawners on other threads racing the
    /// drain of a `with_shutdown` group and `Shutdown::spawn`: every spawn that returned `Ok`
    /// is accounted for (ran to its end, or is a straggler or refused), none is polled after
    /// the drain returned, and a group spawn after the trigger is `Cancelled`.
    #[test]
    fn spawns_racing_the_drain_are_all_accounted_for() {
        for round in 0..20 {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(race_round(round));
        }
    }

    async fn race_round(round: usize) {
        let shutdown = Shutdown::with_deadline(Duration::from_millis(5));
        let group = TaskGroup::<()>::new().with_shutdown(&shutdown, "g");
        let mut group = group;
        let spawner = group.spawner();
        let drained = Arc::new(AtomicBool::new(false));
        let polled_late = Arc::new(AtomicUsize::new(0));
        let finished = Arc::new(Mutex::new(HashSet::new()));
        let mut spawners = Vec::new();
        for thread in 0..2 {
            let shutdown = shutdown.clone();
            let spawner = spawner.clone();
            let drained = Arc::clone(&drained);
            let polled_late = Arc::clone(&polled_late);
            let finished = Arc::clone(&finished);
            spawners.push(tokio::spawn(async move {
                let mut accepted = Vec::new();
                for n in 0..400 {
                    let (drained, polled_late, finished) = (
                        Arc::clone(&drained),
                        Arc::clone(&polled_late),
                        Arc::clone(&finished),
                    );
                    let name = if thread == 0 {
                        format!("g/t{n}")
                    } else {
                        format!("s{n}")
                    };
                    let path = name.clone();
                    // Half the tasks end at once, half never do (stragglers unless refused).
                    let task = async move {
                        if drained.load(Ordering::SeqCst) {
                            polled_late.fetch_add(1, Ordering::SeqCst);
                        }
                        if n % 2 == 0 {
                            std::future::pending::<()>().await;
                        }
                        finished.lock().expect("finished").insert(path);
                    };
                    if thread == 0 {
                        match spawner.spawn(format!("t{n}"), task) {
                            Ok(_) => accepted.push(name),
                            Err(SpawnError::Cancelled) => {}
                            Err(other) => panic!("unexpected {other:?}"),
                        }
                    } else {
                        drop(shutdown.spawn(name.clone(), task));
                        accepted.push(name);
                    }
                    tokio::task::yield_now().await;
                }
                accepted
            }));
        }
        tokio::task::yield_now().await;
        let report = shutdown.drain().await;
        drained.store(true, Ordering::SeqCst);
        let mut accepted = Vec::new();
        for spawner in spawners {
            accepted.extend(spawner.await.expect("spawner"));
        }
        // Spawns after the first drain are refused; a second drain reports them.
        let late = shutdown.drain().await;
        group.join_all().await;
        let mut seen: HashSet<String> = finished.lock().expect("finished").clone();
        for list in [
            &report.stragglers,
            &report.refused,
            &report.aborted,
            &report.cut,
            &late.stragglers,
            &late.refused,
            &late.aborted,
            &late.cut,
        ] {
            seen.extend(list.iter().map(|task| task.name.to_string()));
        }
        let lost: Vec<_> = accepted
            .iter()
            .filter(|name| !seen.contains(*name))
            .collect();
        assert!(report.not_stopped.is_empty(), "round {round}: {report}");
        assert_eq!(
            polled_late.load(Ordering::SeqCst),
            0,
            "round {round}: a tracked task was polled after the drain returned"
        );
        assert!(
            lost.is_empty(),
            "round {round}: accepted but neither finished nor reported: {lost:?}\n{report}\n{late}"
        );
        assert!(shutdown.running().is_empty(), "round {round}");
    }
}

mod own_signals {
    use super::*;
    use asyncwise::{Signal, Trigger};

    /// `Shutdown::signal`: while a `run` listens "the first starts the shutdown
    /// (`Trigger::Signal`), and one during the drain forces the exit"; `run`'s "Forced exit":
    /// with `exit_on_force(false)` "it returns the report instead", whose stragglers are the
    /// tasks "still running when ... a second signal arrived", exit code 128 + its number.
    #[tokio::test(start_paused = true)]
    async fn a_second_signal_during_the_drain_forces_the_exit() {
        let report = Shutdown::with_deadline(Duration::from_secs(60))
            .exit_on_force(false)
            .run(|shutdown| async move {
                shutdown.spawn("deaf", std::future::pending::<()>());
                let operator = shutdown.clone();
                shutdown.spawn("operator", async move {
                    sleep(Duration::from_secs(1)).await;
                    operator.signal(Signal::Interrupt);
                    sleep(Duration::from_secs(5)).await;
                    operator.signal(Signal::Terminate);
                });
                shutdown.triggered().await;
                Ok::<_, BoxError>(())
            })
            .await
            .expect("signal handlers");
        assert_eq!(report.trigger, Trigger::Signal(Signal::Interrupt));
        assert_eq!(report.forced_by, Some(Signal::Terminate));
        assert_eq!(report.drain_time, Duration::from_secs(5));
        let stragglers: Vec<_> = report.stragglers.iter().map(|t| t.name.as_ref()).collect();
        assert_eq!(stragglers, ["deaf"], "{report}");
        assert_eq!(report.exit_code(), 143, "SIGTERM: 128 + 15");
        assert!(report.to_string().contains("forced by a second SIGTERM"));
    }

    /// `Shutdown::signal` keeps what it queues bounded: a burst of signals sent at once (a
    /// supervisor repeating its stop request) still starts the shutdown with the first and
    /// forces with a later one, like two signals would.
    #[tokio::test(start_paused = true)]
    async fn a_burst_of_signals_triggers_then_forces() {
        let report = Shutdown::with_deadline(Duration::from_secs(60))
            .exit_on_force(false)
            .run(|shutdown| async move {
                shutdown.spawn("deaf", std::future::pending::<()>());
                for _ in 0..1_000 {
                    shutdown.signal(Signal::Terminate);
                }
                shutdown.triggered().await;
                Ok::<_, BoxError>(())
            })
            .await
            .expect("signal handlers");
        assert_eq!(report.trigger, Trigger::Signal(Signal::Terminate));
        assert_eq!(report.forced_by, Some(Signal::Terminate), "{report}");
        // forced at once: `main` may not have seen the trigger yet, the deaf task never will
        assert!(
            report.stragglers.iter().any(|t| t.name.as_ref() == "deaf"),
            "{report}"
        );
        assert_eq!(report.exit_code(), 143);
    }

    /// `run`: "unless the shutdown was not started by a signal: then the first signal during
    /// the drain is taken as the request to stop that is already being served, and the second
    /// one forces." A drain started by `main` returning, with a flush that needs 3 s: one
    /// signal at 1 s does not cut it; with a deaf task, the second signal forces.
    #[tokio::test(start_paused = true)]
    async fn after_a_shutdown_begun_by_code_only_the_second_signal_forces() {
        let report = Shutdown::with_deadline(Duration::from_secs(60))
            .exit_on_force(false)
            .run(|shutdown| async move {
                let token = shutdown.child_token();
                shutdown.spawn("flush", async move {
                    token.cancelled().await;
                    sleep(Duration::from_secs(3)).await;
                });
                let operator = shutdown.clone();
                shutdown.spawn("operator", async move {
                    operator.triggered().await;
                    sleep(Duration::from_secs(1)).await;
                    operator.signal(Signal::Interrupt);
                });
                Ok::<_, BoxError>(())
            })
            .await
            .expect("signal handlers");
        assert_eq!(report.trigger, Trigger::MainReturned);
        assert_eq!(report.forced_by, None, "{report}");
        assert_eq!(report.drain_time, Duration::from_secs(3));
        assert!(report.is_clean(), "{report}");

        let report = Shutdown::with_deadline(Duration::from_secs(60))
            .exit_on_force(false)
            .run(|shutdown| async move {
                shutdown.spawn("deaf", std::future::pending::<()>());
                let operator = shutdown.clone();
                shutdown.spawn("operator", async move {
                    operator.triggered().await;
                    for signal in [Signal::Interrupt, Signal::Interrupt] {
                        sleep(Duration::from_secs(1)).await;
                        operator.signal(signal);
                    }
                });
                Ok::<_, BoxError>(())
            })
            .await
            .expect("signal handlers");
        assert_eq!(report.forced_by, Some(Signal::Interrupt), "{report}");
        assert_eq!(report.drain_time, Duration::from_secs(2));
        assert_eq!(report.exit_code(), 130);
    }

    /// `Shutdown::signal`: "When no `run` listens (none was started, or it has returned), it is
    /// the same as `trigger`: it never forces anything."
    #[tokio::test(start_paused = true)]
    async fn a_signal_with_no_run_listening_only_triggers() {
        let shutdown = Shutdown::with_deadline(Duration::from_secs(5));
        shutdown.signal(Signal::Terminate);
        assert!(shutdown.is_triggered());
        let token = shutdown.token();
        shutdown.spawn("polite", async move { token.cancelled().await });
        shutdown.signal(Signal::Terminate);
        let report = shutdown.drain().await;
        assert_eq!(report.forced_by, None);
        assert!(report.is_clean(), "{report}");

        // After `run` returned: nothing listens any more.
        let shutdown = Shutdown::new().exit_on_force(false);
        let after = shutdown.clone();
        let report = shutdown
            .run(|_| async { Ok::<_, BoxError>(()) })
            .await
            .expect("signal handlers");
        assert!(report.is_clean(), "{report}");
        after.signal(Signal::Interrupt);
        assert!(after.is_triggered());
        assert!(after.drain().await.forced_by.is_none());
    }
}

mod run_dropped {
    use super::*;
    use asyncwise::ShutdownReport;
    use asyncwise::testing::cancel_at_each_await;

    /// `Shutdown::run`, "Cancel safety": "If the future of `run` is dropped before it returns
    /// ..., the shutdown is triggered (if it was not yet)" — also a `run` future dropped before
    /// it was ever polled (built, then lost in a `select!` that another branch won first).
    /// `main` is never called then, and a drain on a clone is clean.
    #[tokio::test(start_paused = true)]
    async fn a_run_dropped_before_its_first_poll_triggers_the_shutdown() {
        let shutdown = Shutdown::with_deadline(Duration::from_secs(5)).exit_on_force(false);
        let observer = shutdown.clone();
        let called = flag();
        let main_called = Arc::clone(&called);
        let run = shutdown.run(move |_| {
            main_called.store(true, Ordering::SeqCst);
            async { Ok::<_, BoxError>(()) }
        });
        assert!(
            !observer.is_triggered(),
            "building `run`'s future triggered the shutdown"
        );
        drop(run);
        assert!(
            observer.is_triggered(),
            "the dropped run left the service running"
        );
        assert!(!called.load(Ordering::SeqCst), "main was called");
        let report = observer.drain().await;
        assert!(report.is_clean(), "{report}");
    }

    /// The same promise at every await of `run`, with the crate's own harness: `main` spawns a
    /// deaf task and fails after 1 s; the deadline is 2 s. Wherever `run` is dropped, the
    /// shutdown is triggered, and what `run` would have reported (its own report when it
    /// completes, otherwise a later drain of a clone) names `main`'s failure and the deaf
    /// straggler exactly once each; when `run` was dropped before its first poll, nothing ran
    /// and the drain is clean.
    #[tokio::test(start_paused = true)]
    async fn a_run_dropped_at_any_await_loses_neither_mains_failure_nor_its_straggler() {
        type Stage = (Option<usize>, Shutdown, Arc<Mutex<Option<ShutdownReport>>>);
        let stages: Arc<Mutex<Vec<Stage>>> = Arc::default();
        let recorded = Arc::clone(&stages);
        let report = cancel_at_each_await(
            || {
                let shutdown = Shutdown::with_deadline(Duration::from_secs(2)).exit_on_force(false);
                let observer = shutdown.clone();
                let returned: Arc<Mutex<Option<ShutdownReport>>> = Arc::default();
                let keep = Arc::clone(&returned);
                // Built here, so that the harness's first stage drops it unpolled.
                let run = shutdown.run(|shutdown| async move {
                    shutdown.spawn("deaf", std::future::pending::<()>());
                    sleep(Duration::from_secs(1)).await;
                    Err::<(), BoxError>("config missing".into())
                });
                let future = async move {
                    let report = run.await.expect("signal handlers");
                    *keep.lock().unwrap() = Some(report);
                };
                ((observer, returned), future)
            },
            |(observer, returned), stage| {
                if !observer.is_triggered() {
                    return Err("the shutdown was not triggered");
                }
                recorded.lock().unwrap().push((
                    stage.suspension(),
                    observer.clone(),
                    Arc::clone(returned),
                ));
                Ok(())
            },
        )
        .await
        .unwrap_or_else(|error| panic!("{error}"));
        assert!(report.suspensions >= 2, "{report:?}");
        let stages = std::mem::take(&mut *stages.lock().unwrap());
        assert_eq!(stages.len(), report.checks);
        for (suspension, observer, returned) in stages {
            let returned = returned.lock().unwrap().take();
            let completed = returned.is_some();
            let report = match returned {
                Some(report) => report,
                None => observer.drain().await,
            };
            if suspension == Some(0) {
                assert!(report.is_clean(), "dropped unpolled: {report}");
                continue;
            }
            let mut failures: Vec<String> = report
                .failures
                .iter()
                .map(|failure| failure.to_string())
                .collect();
            if let Some(error) = &report.main_error {
                failures.push(error.to_string());
            }
            assert_eq!(failures.len(), 1, "at {suspension:?}: {report}");
            assert!(
                failures[0].contains("config missing"),
                "at {suspension:?}: {report}"
            );
            let stragglers: Vec<_> = report.stragglers.iter().map(|t| t.name.as_ref()).collect();
            assert_eq!(stragglers, ["deaf"], "at {suspension:?}: {report}");
            assert_eq!(report.exit_code(), 1, "at {suspension:?}: {report}");
            assert!(completed || observer.running().is_empty());
        }
    }
}

mod run_main_panics {
    use super::*;

    /// `Shutdown::run` "runs `main` as a tracked task named `"main"`", whose panic is `run`'s
    /// `main_error` (exit code 1) — also when `main` itself, the function that builds the
    /// future, panics after spawning a task (a configuration `unwrap` after the first spawn),
    /// as a supervisor's factory that panics is a run that panicked. The task it spawned must
    /// be drained and reported, not left running while the panic unwinds out of `run`.
    #[tokio::test(start_paused = true)]
    async fn a_main_that_panics_before_returning_its_future_is_mains_panic_and_is_drained() {
        let stopped = flag();
        let worker_stopped = Arc::clone(&stopped);
        let outcome = futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(
            Shutdown::with_deadline(Duration::from_secs(5))
                .exit_on_force(false)
                .run(move |shutdown: Shutdown| {
                    let token = shutdown.child_token();
                    shutdown.spawn("worker", async move {
                        token.cancelled().await;
                        sleep(Duration::from_secs(1)).await;
                        worker_stopped.store(true, Ordering::SeqCst);
                    });
                    // A configuration value that is missing (`black_box`: not a literal unwrap).
                    let port = std::hint::black_box(None::<u16>).expect("PORT is not set");
                    async move {
                        let _ = port;
                        Ok::<_, BoxError>(())
                    }
                }),
        ))
        .await;
        let report = outcome
            .expect("the panic of `main` unwound out of `run`")
            .expect("signal handlers");
        assert!(stopped.load(Ordering::SeqCst), "the worker was not drained");
        match &report.main_error {
            Some(TaskError::Panicked { name, message }) => {
                assert_eq!(name, "main");
                assert_eq!(message, "PORT is not set");
            }
            other => panic!("expected main's panic: {other:?}\n{report}"),
        }
        assert_eq!(report.trigger, asyncwise::Trigger::MainReturned, "{report}");
        assert!(report.stragglers.is_empty(), "{report}");
        assert_eq!(report.drain_time, Duration::from_secs(1));
        assert_eq!(report.exit_code(), 1);
    }
}

mod blocking_failures {
    use super::*;

    /// `Shutdown::spawn_blocking`: "Like `spawn` for its name, location and failures": a tracked
    /// blocking closure that returns `Err` and one that panics are both failures of the report,
    /// by name (exit code 1), and the panic still reaches the handle.
    #[tokio::test]
    async fn a_blocking_closures_error_and_panic_are_failures_of_the_report() {
        let shutdown = Shutdown::with_deadline(Duration::from_secs(5));
        let failing = shutdown.spawn_blocking("parse", || Err::<u8, String>("bad row".into()));
        let panicking = shutdown.spawn_blocking("hash", || -> u8 { panic!("hash exploded") });
        assert_eq!(failing.await.expect("joined"), Err("bad row".to_owned()));
        assert!(panicking.await.expect_err("panicked").is_panic());
        let report = shutdown.drain().await;
        let mut failures: Vec<String> = report
            .failures
            .iter()
            .map(|failure| format!("{}: {}", failure.task.name, failure.error))
            .collect();
        failures.sort();
        assert_eq!(
            failures,
            [
                "hash: task `hash` panicked: hash exploded",
                "parse: task `parse` failed: bad row"
            ],
            "{report}"
        );
        assert_eq!(report.exit_code(), 1);
    }
}
