//! Promise audit of session 10 (`PROMISES.md`): the gaps session 9 left open
//! (a stream that is always ready under `batched`, which of a group and the
//! drain cuts a deaf task first on a multi-thread runtime, `ExitCode` as a
//! task's output), then a hostile review of every public item's docs. Each
//! test names the doc sentence it checks. No test depends on how fast the
//! machine is: time is paused, or the order of events is forced by explicit
//! synchronisation (a real-time duration then only decides how long a test
//! takes, never what it asserts).

use std::future::Future;
use std::pin::pin;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use asyncwise::{Shutdown, TaskError, TaskGroup, TaskInfo};
use futures_util::StreamExt;
use tokio::time::sleep;

fn names(tasks: &[TaskInfo]) -> Vec<&str> {
    tasks.iter().map(|task| task.name.as_ref()).collect()
}

/// Moves paused time forward inside a poll, without yielding: the first poll
/// of `tokio::time::advance` moves the clock, the rest of it only yields.
/// Stands for an upstream whose items take time to produce but are always
/// ready.
fn advance_inside_a_poll(by: Duration) {
    let mut advance = pin!(tokio::time::advance(by));
    let _ = advance
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()));
}

/// `batched` under an upstream that is never `Pending`.
mod batched {
    use super::*;
    use asyncwise::BatchedExt;

    /// 100 items, each taking 1 ms to produce and always ready.
    fn always_ready(count: u32) -> impl futures_core::Stream<Item = u32> {
        let mut next = 0;
        futures_util::stream::poll_fn(move |_| {
            if next == count {
                return Poll::Ready(None);
            }
            advance_inside_a_poll(Duration::from_millis(1));
            next += 1;
            Poll::Ready(Some(next - 1))
        })
    }

    /// `batched`: "Yields a batch ... when `max_delay` has passed since its first item
    /// arrived", with an upstream that always has an item ready: the batch ends with the
    /// first item that arrives once the delay has passed (item 0 at 1 ms, deadline 11 ms,
    /// item 10 at 11 ms), and the stream's end yields the rest. Before session 10 the
    /// deadline was looked at only when the upstream was `Pending`: one batch of 100.
    #[tokio::test(start_paused = true)]
    async fn an_always_ready_stream_still_ends_batches_at_the_deadline_and_loses_nothing() {
        let batches: Vec<Vec<u32>> = always_ready(100)
            .batched(usize::MAX, Duration::from_millis(10))
            .collect()
            .await;
        let sizes: Vec<usize> = batches.iter().map(Vec::len).collect();
        assert_eq!(sizes, [11, 11, 11, 11, 11, 11, 11, 11, 11, 1]);
        assert_eq!(batches.concat(), (0..100).collect::<Vec<_>>());
    }

    /// The same with a flooded Tokio channel, the common never-waiting upstream: its
    /// `recv` is `Pending` only when the task's cooperative budget is spent, and then the
    /// flush timer has no budget to fire either. Before session 10: one batch of 1000.
    #[tokio::test(start_paused = true)]
    async fn a_flooded_channel_does_not_starve_the_flush_timer() {
        let (tx, mut rx) = tokio::sync::mpsc::channel(1000);
        for n in 0..1000_u32 {
            tx.try_send(n).unwrap();
        }
        drop(tx);
        let flooded = futures_util::stream::poll_fn(move |cx| {
            let polled = rx.poll_recv(cx);
            if matches!(polled, Poll::Ready(Some(_))) {
                advance_inside_a_poll(Duration::from_millis(1));
            }
            polled
        });
        let batches: Vec<Vec<u32>> = flooded
            .batched(usize::MAX, Duration::from_millis(10))
            .collect()
            .await;
        assert!(
            batches.iter().all(|batch| batch.len() <= 11),
            "{:?}",
            batches.iter().map(Vec::len).collect::<Vec<_>>()
        );
        assert_eq!(batches.concat(), (0..1000).collect::<Vec<_>>());
    }

    /// `Duration::ZERO` "has passed when the first item arrives": one item per batch, even
    /// from an upstream whose items are all ready at once; `Duration::MAX` never ends a
    /// batch by time, only by size and at the stream's end.
    #[tokio::test(start_paused = true)]
    async fn zero_and_endless_delays_with_an_always_ready_stream() {
        let zero: Vec<Vec<u32>> = futures_util::stream::iter(0..5)
            .batched(100, Duration::ZERO)
            .collect()
            .await;
        assert_eq!(zero, [vec![0], vec![1], vec![2], vec![3], vec![4]]);
        let endless: Vec<Vec<u32>> = always_ready(25).batched(10, Duration::MAX).collect().await;
        let sizes: Vec<usize> = endless.iter().map(Vec::len).collect();
        assert_eq!(sizes, [10, 10, 5]);
    }
}

/// Which of a group (or supervisor) and the drain cuts a deaf task first, on a
/// multi-thread runtime, when both have a deadline.
mod group_or_drain_first {
    use super::*;
    use asyncwise::{BoxError, RestartPolicy, Supervisor};

    /// Spawns a task into `group` that ignores its cancellation; returns once it runs.
    async fn spawn_deaf(group: &mut TaskGroup<()>, name: String) {
        let (started, running) = tokio::sync::oneshot::channel();
        group
            .spawn(name, async move {
                let _ = started.send(());
                std::future::pending::<()>().await
            })
            .unwrap();
        running.await.unwrap();
    }

    /// `ShutdownReport::cut`: cut by their owner "because they had not stopped when [the
    /// grace] ended, before the drain deadline". A grace of the group's own that ends
    /// after the drain deadline, before any drain ran (the drain "is what enforces the
    /// deadline"): the group cuts first, and the task, which ignored its cancellation past
    /// the deadline, is a straggler (exit code 124). The order is forced: the deadline is
    /// zero (it has passed at the trigger), the group's cut is awaited before the drain.
    /// Before session 10 it was `cut` (exit code 0). A grace that ends before an endless
    /// drain deadline stays `cut`. The same for a supervisor's `shutdown_grace`.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_task_cut_by_its_owner_after_the_drain_deadline_is_a_straggler() {
        for (deadline, straggles) in [(Duration::ZERO, true), (Duration::MAX, false)] {
            let shutdown = Shutdown::with_deadline(deadline);
            let mut group: TaskGroup<()> = TaskGroup::new()
                .with_shutdown(&shutdown, "jobs")
                .with_grace(Duration::from_millis(2));
            spawn_deaf(&mut group, "deaf".to_owned()).await;
            shutdown.trigger();
            let results = group.join_all().await;
            assert!(matches!(results[..], [Err(TaskError::Cancelled { .. })]));
            let report = shutdown.drain().await;
            let (stragglers, cut, code) = if straggles {
                (vec!["jobs/deaf"], vec![], 124)
            } else {
                (vec![], vec!["jobs/deaf"], 0)
            };
            assert_eq!(names(&report.stragglers), stragglers, "{report}");
            assert_eq!(names(&report.cut), cut, "{report}");
            assert!(report.aborted.is_empty(), "{report}");
            assert_eq!(report.exit_code(), code, "{report}");
        }
        for (deadline, straggles) in [(Duration::ZERO, true), (Duration::MAX, false)] {
            let shutdown = Shutdown::with_deadline(deadline);
            let (started, running) = tokio::sync::oneshot::channel();
            let started = Mutex::new(Some(started));
            let supervisor = Supervisor::new(shutdown.child_token())
                .name("workers")
                .shutdown_grace(Duration::from_millis(2))
                .with_shutdown(&shutdown)
                .child("deaf", RestartPolicy::Permanent, move |_| {
                    let started = started.lock().unwrap().take();
                    async move {
                        if let Some(started) = started {
                            let _ = started.send(());
                        }
                        std::future::pending::<Result<(), BoxError>>().await
                    }
                });
            let supervised = tokio::spawn(supervisor.run());
            running.await.unwrap();
            shutdown.trigger();
            let supervisor_report = supervised.await.unwrap().unwrap();
            assert_eq!(supervisor_report.aborted, ["deaf"]);
            let report = shutdown.drain().await;
            let (stragglers, cut) = if straggles {
                (vec!["workers/deaf"], vec![])
            } else {
                (vec![], vec!["workers/deaf"])
            };
            assert_eq!(names(&report.stragglers), stragglers, "{report}");
            assert_eq!(names(&report.cut), cut, "{report}");
        }
    }

    /// The race itself: a drain and a group whose grace ends at the same deadline (the
    /// drain's own, `with_shutdown`, or a fixed grace equal to the drain deadline),
    /// several deaf tasks on a multi-thread runtime, the drain in a task of its own. On
    /// whichever side of the race each cut falls, every deaf task is listed once, as a
    /// straggler. Before session 10 a fixed grace that won the race listed its task as
    /// `cut` (exit code 0), or in both lists.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn at_one_deadline_every_deaf_task_is_one_straggler_whoever_cuts_first() {
        let deadline = Duration::from_millis(2);
        for round in 0..20 {
            for fixed_grace in [false, true] {
                let shutdown = Shutdown::with_deadline(deadline);
                let mut group: TaskGroup<()> = TaskGroup::new().with_shutdown(&shutdown, "jobs");
                if fixed_grace {
                    group = group.with_grace(deadline);
                }
                for n in 0..4 {
                    spawn_deaf(&mut group, format!("deaf-{n}")).await;
                }
                let drain = tokio::spawn({
                    let shutdown = shutdown.clone();
                    async move { shutdown.drain().await }
                });
                assert_eq!(group.join_all().await.len(), 4);
                let report = drain.await.unwrap();
                let mut stragglers = names(&report.stragglers);
                stragglers.sort_unstable();
                assert_eq!(
                    stragglers,
                    ["jobs/deaf-0", "jobs/deaf-1", "jobs/deaf-2", "jobs/deaf-3"],
                    "round {round}, fixed grace {fixed_grace}: {report}"
                );
                assert!(
                    report.cut.is_empty() && report.aborted.is_empty(),
                    "round {round}, fixed grace {fixed_grace}: {report}"
                );
                assert_eq!(report.exit_code(), 124);
            }
        }
    }
}

mod task_output {
    use super::*;
    use std::process::ExitCode;

    /// `TaskOutput`: "`std::process::ExitCode` [is a failure] when it is not
    /// `ExitCode::SUCCESS` (its message: `exit code N`)". Before session 10 every
    /// `ExitCode` was a success. In a tracked group: `FAILURE` and `from(3)` are
    /// named failures in the report (exit code 1), `SUCCESS` and `from(0)` are not.
    #[tokio::test(start_paused = true)]
    async fn an_exit_code_other_than_success_is_a_failure() {
        let shutdown = Shutdown::new();
        let mut group: TaskGroup<ExitCode> = TaskGroup::new().with_shutdown(&shutdown, "cmds");
        group.spawn("ok", async { ExitCode::SUCCESS }).unwrap();
        group.spawn("zero", async { ExitCode::from(0) }).unwrap();
        group.spawn("fails", async { ExitCode::FAILURE }).unwrap();
        group.spawn("three", async { ExitCode::from(3) }).unwrap();
        assert_eq!(group.join_all().await.len(), 4);
        let report = shutdown.drain().await;
        let mut failures: Vec<(String, String)> = report
            .failures
            .iter()
            .map(|failure| {
                let message = match &failure.error {
                    TaskError::Failed { source, .. } => source.to_string(),
                    other => format!("not a failure: {other}"),
                };
                (failure.task.name.to_string(), message)
            })
            .collect();
        failures.sort();
        assert_eq!(
            failures,
            [
                ("cmds/fails".to_owned(), "exit code 1".to_owned()),
                ("cmds/three".to_owned(), "exit code 3".to_owned()),
            ],
            "{report}"
        );
        assert_eq!(report.exit_code(), 1);
    }
}

/// `testing::DrainTest` when the shutdown comes during the service's start-up.
mod drain_test {
    use super::*;
    use asyncwise::testing::DrainTest;

    /// `DrainTest::trigger_after`: "Triggers the shutdown `after` the service started",
    /// with zero: the service has started (it spawned its deaf task) before the trigger,
    /// every time. Before session 10 the trigger and the service's first poll were raced
    /// by an unbiased `select!`: when the trigger won, the drain found nothing tracked and
    /// ended at once, the deaf task was refused without running, and the test passed.
    #[tokio::test(start_paused = true)]
    async fn a_trigger_at_once_still_catches_a_deaf_task() {
        for round in 0..20 {
            let error = DrainTest::trigger_after(Duration::ZERO)
                .run(|shutdown: Shutdown| async move {
                    shutdown.spawn("deaf", std::future::pending::<()>());
                })
                .await
                .expect_err("a deaf task must fail the drain test");
            assert_eq!(error.stragglers(), ["deaf"], "round {round}");
        }
    }

    /// `DrainTest::run`: "drains it and keeps polling the service future until it returns
    /// or the drain deadline passes"; `Shutdown::drain`: "Tasks spawned during the drain
    /// ... are waited for too". A service still starting when the shutdown comes spawns a
    /// deaf task a second into the drain: a straggler, as under `Shutdown::run`, whose
    /// drain waits for `main`. Before session 10 the drain ended at once (nothing tracked
    /// yet), the late task was refused unpolled and the test passed. A polite late task
    /// passes, refused by nobody.
    #[tokio::test(start_paused = true)]
    async fn a_task_spawned_by_the_service_during_the_drain_is_held_to_the_deadline() {
        let late_task = |deaf: bool| {
            move |shutdown: Shutdown| async move {
                shutdown.triggered().await;
                sleep(Duration::from_secs(1)).await;
                let token = shutdown.token();
                shutdown.spawn("late", async move {
                    if deaf {
                        std::future::pending::<()>().await;
                    }
                    token.cancelled().await;
                });
            }
        };
        let error = DrainTest::trigger_after(Duration::from_secs(1))
            .within(Duration::from_secs(5))
            .run(late_task(true))
            .await
            .expect_err("the late deaf task must fail the drain test");
        assert_eq!(error.stragglers(), ["late"]);
        assert_eq!(error.report.drain_time, Duration::from_secs(5));
        let report = DrainTest::trigger_after(Duration::from_secs(1))
            .within(Duration::from_secs(5))
            .run(late_task(false))
            .await
            .expect("a polite late task stops at once");
        assert!(report.is_clean() && report.refused.is_empty(), "{report}");
        assert_eq!(report.drain_time, Duration::from_secs(1));
    }
}
