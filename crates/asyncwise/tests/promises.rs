//! Promises of the docs of `TaskGroup`, `Shutdown` and `Supervisor` that no
//! other test held the crate to (the promise audit of issue 13): each test
//! names the doc statement it checks.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asyncwise::{
    BoxError, CancellationToken, RestartPolicy, Shutdown, SpawnError, Strategy, Supervisor,
    SupervisorError, TaskError, TaskGroup,
};
use tokio::sync::Notify;
use tokio::time::{Instant, sleep};

/// Sets its flag when dropped.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Tasks parked on `notify` that count their starts and, per task, every poll
/// of their body that starts after `cut` was set (which happens only once the
/// group's cancellation has returned). The group's wrapper decides whether to
/// poll before the body reads `cut`, so one poll per task that the wrapper
/// began before the cancel can read `cut` as set (a worker preempted between
/// the two): nothing can stop a poll that has begun. A second one cannot have
/// begun before the cancel, since one task is polled by one worker at a time.
fn spawn_listeners(
    group: &mut TaskGroup<()>,
    notify: &Arc<Notify>,
    cut: &Arc<AtomicBool>,
    started: &Arc<AtomicUsize>,
    polled_after_cut: &Arc<[AtomicUsize; 8]>,
) {
    for n in 0..8 {
        let notify = Arc::clone(notify);
        let cut = Arc::clone(cut);
        let started = Arc::clone(started);
        let polled_after_cut = Arc::clone(polled_after_cut);
        let mut body = Box::pin(async move {
            started.fetch_add(1, Ordering::SeqCst);
            loop {
                notify.notified().await;
            }
        });
        group
            .spawn(
                format!("listener-{n}"),
                std::future::poll_fn(move |cx| {
                    if cut.load(Ordering::SeqCst) {
                        polled_after_cut[n].fetch_add(1, Ordering::SeqCst);
                    }
                    body.as_mut().poll(cx)
                }),
            )
            .expect("not cancelled yet");
    }
}

/// "With a zero grace (the default) a task is cut as soon as its
/// cancellation is seen, without being polled again. A group with neither
/// parent nor grace cuts its waiting tasks on the next join (they are
/// aborted; none of their code runs after `cancel`)." Checked on the
/// multi-thread runtime while another task keeps waking the group's tasks,
/// for a plain group cancelled by `cancel` and for a group cancelled by its
/// parent token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_code_of_a_task_runs_after_a_zero_grace_cancel_returned() {
    for round in 0..40 {
        let by_parent = round % 2 == 1;
        let parent = CancellationToken::new();
        let mut group = if by_parent {
            TaskGroup::new().with_parent(&parent)
        } else {
            TaskGroup::new()
        };
        let notify = Arc::new(Notify::new());
        let cut = Arc::new(AtomicBool::new(false));
        let started = Arc::new(AtomicUsize::new(0));
        let polled_after_cut: Arc<[AtomicUsize; 8]> =
            Arc::new(std::array::from_fn(|_| AtomicUsize::new(0)));
        spawn_listeners(&mut group, &notify, &cut, &started, &polled_after_cut);
        // Every listener runs before the cancel, so that each one is parked
        // (or running) when it comes.
        while started.load(Ordering::SeqCst) < 8 {
            sleep(Duration::from_millis(1)).await;
        }
        let stop_waking = Arc::new(AtomicBool::new(false));
        let waker = tokio::spawn({
            let notify = Arc::clone(&notify);
            let stop_waking = Arc::clone(&stop_waking);
            async move {
                while !stop_waking.load(Ordering::SeqCst) {
                    notify.notify_waiters();
                    tokio::task::yield_now().await;
                }
            }
        });
        for _ in 0..round {
            tokio::task::yield_now().await;
        }
        if by_parent {
            parent.cancel();
        } else {
            group.cancel();
        }
        cut.store(true, Ordering::SeqCst);
        // Let the waker keep waking them for a while before the join
        // (which aborts the parked tasks of a plain group).
        sleep(Duration::from_millis(5)).await;
        let results = group.join_all().await;
        stop_waking.store(true, Ordering::SeqCst);
        waker.await.expect("the waker ends");
        assert_eq!(results.len(), 8);
        assert!(
            results
                .iter()
                .all(|result| matches!(result, Err(TaskError::Cancelled { .. }))),
            "{results:?}"
        );
        let polls: Vec<usize> = polled_after_cut
            .iter()
            .map(|polls| polls.load(Ordering::SeqCst))
            .collect();
        assert!(
            polls.iter().all(|&polls| polls <= 1),
            "round {round}: a poll began after the cancel returned (polls per task after it: {polls:?})"
        );
    }
}

/// `join_next`: "Cancel safe: if the future is dropped, no result is lost."
#[tokio::test(start_paused = true)]
async fn a_dropped_join_next_loses_no_result() {
    let mut group = TaskGroup::new();
    group
        .spawn("late", async {
            sleep(Duration::from_secs(3)).await;
            7
        })
        .expect("spawned");
    group.spawn("early", async { 1 }).expect("spawned");
    let mut seen = Vec::new();
    // Each round drops a `join_next` future that may have been polled while
    // a task was finishing.
    for _ in 0..6 {
        tokio::select! {
            joined = group.join_next() => match joined {
                Some(result) => seen.push(result.expect("ok")),
                None => break,
            },
            () = sleep(Duration::from_secs(1)) => {}
        }
    }
    seen.sort_unstable();
    assert_eq!(seen, [1, 7]);
    assert!(group.join_next().await.is_none());
}

/// `spawn`, `spawn_wait`, `try_spawn` and the `Spawner`'s: "[`SpawnError::Cancelled`]
/// if the group is cancelled; the future is then dropped without being polled."
#[tokio::test]
async fn every_spawn_into_a_cancelled_group_drops_the_future_unpolled() {
    let mut group = TaskGroup::<()>::bounded(2);
    let spawner = group.spawner();
    group.cancel();
    let polled = Arc::new(AtomicBool::new(false));
    let task = |dropped: &Arc<AtomicBool>| {
        let guard = DropFlag(Arc::clone(dropped));
        let polled = Arc::clone(&polled);
        async move {
            let _guard = guard;
            polled.store(true, Ordering::SeqCst);
        }
    };
    for way in 0..6 {
        let dropped = Arc::new(AtomicBool::new(false));
        let result = match way {
            0 => group.spawn("a", task(&dropped)),
            1 => group.spawn_wait("b", task(&dropped)).await,
            2 => group.try_spawn("c", task(&dropped)),
            3 => spawner.spawn("d", task(&dropped)),
            4 => spawner.spawn_wait("e", task(&dropped)).await,
            _ => spawner.try_spawn("f", task(&dropped)),
        };
        assert_eq!(result, Err(SpawnError::Cancelled), "way {way}");
        assert!(dropped.load(Ordering::SeqCst), "way {way}: future dropped");
    }
    let ran = Arc::new(AtomicBool::new(false));
    let closure_ran = Arc::clone(&ran);
    let blocking = group.spawn_blocking("g", move || closure_ran.store(true, Ordering::SeqCst));
    assert_eq!(blocking, Err(SpawnError::Cancelled));
    tokio::task::yield_now().await;
    assert!(!polled.load(Ordering::SeqCst));
    assert!(!ran.load(Ordering::SeqCst));
    assert!(group.is_empty());
}

/// `with_parent`: "cancelling `parent` cancels the group, while cancelling
/// the group leaves `parent` alone"; `cancellation_token`: "Cancelling it
/// does not cancel the group".
#[tokio::test]
async fn cancellation_flows_from_parent_to_group_only() {
    let parent = CancellationToken::new();
    let group = TaskGroup::<()>::new().with_parent(&parent);
    let handed_out = group.cancellation_token();
    handed_out.cancel();
    assert!(!group.is_cancelled());
    group.cancel();
    assert!(group.is_cancelled());
    assert!(!parent.is_cancelled());

    let other = TaskGroup::<()>::new().with_parent(&parent);
    let token = other.cancellation_token();
    parent.cancel();
    assert!(other.is_cancelled());
    assert!(token.is_cancelled());
}

/// `TaskGroup::with_shutdown`: a task's failure "is recorded in the report
/// (and triggers the shutdown if the shutdown is configured so)";
/// `Shutdown::trigger_on_failure`: "Children of a tracked `Supervisor` never
/// trigger it".
#[tokio::test(start_paused = true)]
async fn a_failed_group_task_triggers_a_shutdown_so_configured_a_supervisor_child_never_does() {
    let shutdown = Shutdown::with_deadline(Duration::from_secs(5)).trigger_on_failure(true);
    let supervisor = Supervisor::new(shutdown.child_token())
        .name("monitor")
        .with_shutdown(&shutdown)
        .restart_intensity(100, Duration::from_secs(1))
        .child("flaky", RestartPolicy::Transient, |ctx| async move {
            if ctx.restarts() == 0 {
                return Err::<(), BoxError>("first run fails".into());
            }
            ctx.token().cancelled().await;
            Ok(())
        });
    let supervised = tokio::spawn(supervisor.run());
    sleep(Duration::from_secs(2)).await;
    assert!(
        !shutdown.is_triggered(),
        "a supervisor child's failure does not trigger the shutdown"
    );

    let mut group = TaskGroup::new().with_shutdown(&shutdown, "jobs");
    group
        .spawn("bad", async {
            sleep(Duration::from_secs(1)).await;
            Err::<(), _>("disk full")
        })
        .expect("spawned");
    let start = Instant::now();
    shutdown.triggered().await;
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    let report = shutdown.drain().await;
    let failed: Vec<_> = report
        .failures
        .iter()
        .map(|failure| failure.task.name.to_string())
        .collect();
    assert_eq!(failed, ["monitor/flaky", "jobs/bad"]);
    assert_eq!(report.exit_code(), 1);
    supervised
        .await
        .expect("the supervisor ends")
        .expect("it shut down, not escalated");
}

/// `Strategy::OneForAll`: "Every child: the others are stopped (their token
/// is cancelled [...]) and all restart together once they have stopped";
/// `Supervisor::strategy`: "Only the restart of the child that ended counts
/// towards the restart intensity; the siblings restarted with it count as
/// restarts in their `ChildReport` once they run again."
#[tokio::test(start_paused = true)]
async fn one_for_all_restarts_every_child_and_counts_one_restart_for_the_intensity() {
    let token = CancellationToken::new();
    let runs: Arc<Mutex<Vec<(&'static str, Instant)>>> = Arc::default();
    let running = Arc::new(AtomicUsize::new(0));
    let overlapped = Arc::new(AtomicBool::new(false));
    // One restart allowed per minute: counting the two siblings too would
    // escalate.
    let mut supervisor = Supervisor::new(token.clone())
        .strategy(Strategy::OneForAll)
        .restart_intensity(1, Duration::from_secs(60))
        .restart_policy(
            asyncwise::RetryPolicy::exponential(Duration::from_millis(100))
                .factor(1.0)
                .jitter(asyncwise::Jitter::None),
        )
        .shutdown_grace(Duration::from_secs(1));
    for name in ["db", "cache", "api"] {
        let runs = Arc::clone(&runs);
        let running = Arc::clone(&running);
        let overlapped = Arc::clone(&overlapped);
        supervisor = supervisor.child(name, RestartPolicy::Permanent, move |ctx| {
            let runs = Arc::clone(&runs);
            let running = Arc::clone(&running);
            let overlapped = Arc::clone(&overlapped);
            async move {
                runs.lock().expect("runs").push((name, Instant::now()));
                if running.fetch_add(1, Ordering::SeqCst) >= 3 {
                    overlapped.store(true, Ordering::SeqCst);
                }
                let result = if name == "cache" && ctx.restarts() == 0 {
                    sleep(Duration::from_secs(1)).await;
                    Err::<(), BoxError>("cache lost".into())
                } else {
                    ctx.token().cancelled().await;
                    Ok(())
                };
                running.fetch_sub(1, Ordering::SeqCst);
                result
            }
        });
    }
    let stopper = token.clone();
    tokio::spawn(async move {
        sleep(Duration::from_secs(10)).await;
        stopper.cancel();
    });
    let start = Instant::now();
    let report = supervisor.run().await.expect("no escalation");
    let runs = runs.lock().expect("runs").clone();
    let mut names: Vec<_> = runs.iter().map(|(name, _)| *name).collect();
    names.sort_unstable();
    assert_eq!(names, ["api", "api", "cache", "cache", "db", "db"]);
    // Every second run starts after the crash at 1 s, once all had stopped.
    for (name, at) in &runs[3..] {
        assert!(at.duration_since(start) >= Duration::from_secs(1), "{name}");
    }
    assert!(!overlapped.load(Ordering::SeqCst), "runs overlapped");
    let restarts: Vec<u32> = report.children.iter().map(|c| c.restarts).collect();
    assert_eq!(restarts, [1, 1, 1]);
    assert!(report.shut_down);
}

/// `ShutdownReport`: exit codes, "the most severe applies": a failure (1)
/// beats stragglers (124); stragglers are listed "in spawn order", failures
/// "in the order they ended".
#[tokio::test(start_paused = true)]
async fn report_orders_and_exit_code_precedence() {
    let shutdown = Shutdown::with_deadline(Duration::from_secs(2));
    shutdown.spawn("zeta-deaf", std::future::pending::<()>());
    shutdown.spawn("alpha-deaf", std::future::pending::<()>());
    shutdown.spawn("slow-failure", async {
        sleep(Duration::from_secs(2)).await;
        Err::<(), _>("late")
    });
    shutdown.spawn("fast-failure", async {
        sleep(Duration::from_secs(1)).await;
        Err::<(), _>("early")
    });
    sleep(Duration::from_secs(3)).await;
    let report = shutdown.drain().await;
    let stragglers: Vec<_> = report.stragglers.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(stragglers, ["zeta-deaf", "alpha-deaf"]);
    let failures: Vec<_> = report
        .failures
        .iter()
        .map(|f| f.task.name.as_ref())
        .collect();
    assert_eq!(failures, ["fast-failure", "slow-failure"]);
    assert_eq!(report.exit_code(), 1);
    assert!(!report.is_clean());
}

/// `Shutdown`: "The deadline counts from the first of: `trigger`, the start
/// of the drain, or a tracked group seeing the cancellation."
#[tokio::test(start_paused = true)]
async fn the_drain_deadline_counts_from_the_first_sign_of_the_shutdown() {
    // From `trigger`, not from the later drain.
    let shutdown = Shutdown::with_deadline(Duration::from_secs(5));
    shutdown.spawn("deaf", std::future::pending::<()>());
    let triggered = Instant::now();
    shutdown.trigger();
    sleep(Duration::from_secs(3)).await;
    let report = shutdown.drain().await;
    assert_eq!(triggered.elapsed(), Duration::from_secs(5));
    assert_eq!(report.drain_time, Duration::from_secs(2));

    // From a tracked group's task seeing the root token cancelled directly.
    let shutdown = Shutdown::with_deadline(Duration::from_secs(5));
    let mut group = TaskGroup::new().with_shutdown(&shutdown, "jobs");
    group
        .spawn("deaf", std::future::pending::<()>())
        .expect("spawned");
    tokio::task::yield_now().await;
    let cancelled = Instant::now();
    shutdown.token().cancel();
    sleep(Duration::from_secs(3)).await;
    let _report = shutdown.drain().await;
    assert_eq!(cancelled.elapsed(), Duration::from_secs(5));
    assert!(matches!(
        group.join_next().await,
        Some(Err(TaskError::Cancelled { .. }))
    ));

    // From the start of the drain when nothing came before.
    let shutdown = Shutdown::with_deadline(Duration::from_secs(5));
    shutdown.spawn("deaf", std::future::pending::<()>());
    sleep(Duration::from_secs(3)).await;
    let drained = Instant::now();
    let report = shutdown.drain().await;
    assert_eq!(drained.elapsed(), Duration::from_secs(5));
    assert_eq!(report.stragglers.len(), 1);
}

/// `Supervisor::run`: "dropping the future aborts all children at once".
#[tokio::test(start_paused = true)]
async fn dropping_a_running_supervisor_aborts_every_child() {
    let flags: Vec<_> = (0..3).map(|_| Arc::new(AtomicBool::new(false))).collect();
    let mut supervisor = Supervisor::new(CancellationToken::new());
    for (n, flag) in flags.iter().enumerate() {
        let flag = Arc::clone(flag);
        supervisor = supervisor.child(format!("child-{n}"), RestartPolicy::Permanent, move |_| {
            let guard = DropFlag(Arc::clone(&flag));
            async move {
                let _guard = guard;
                std::future::pending::<Result<(), BoxError>>().await
            }
        });
    }
    let run = tokio::spawn(supervisor.run());
    sleep(Duration::from_secs(1)).await;
    assert!(flags.iter().all(|flag| !flag.load(Ordering::SeqCst)));
    run.abort();
    assert!(run.await.expect_err("aborted").is_cancelled());
    tokio::task::yield_now().await;
    assert!(flags.iter().all(|flag| flag.load(Ordering::SeqCst)));
}

/// `TaskGroup::spawner`: "Its tasks are the group's: limited, cancelled,
/// joined and dropped with it"; dropping a group with zero grace aborts its
/// tasks at once, with a grace leaves them to finish within it.
#[tokio::test(start_paused = true)]
async fn a_spawners_tasks_end_with_the_dropped_group() {
    for grace in [Duration::ZERO, Duration::from_secs(5)] {
        let mut group = TaskGroup::new().with_grace(grace);
        let spawner = group.spawner();
        let dropped = Arc::new(AtomicBool::new(false));
        let flushed = Arc::new(AtomicBool::new(false));
        let token = group.cancellation_token();
        let guard = DropFlag(Arc::clone(&dropped));
        let done = Arc::clone(&flushed);
        spawner
            .spawn("via-spawner", async move {
                let _guard = guard;
                token.cancelled().await;
                sleep(Duration::from_secs(1)).await;
                done.store(true, Ordering::SeqCst);
            })
            .expect("spawned");
        tokio::task::yield_now().await;
        drop(group);
        tokio::task::yield_now().await;
        if grace.is_zero() {
            assert!(dropped.load(Ordering::SeqCst), "aborted at once");
            sleep(Duration::from_secs(2)).await;
            assert!(!flushed.load(Ordering::SeqCst));
        } else {
            assert!(!dropped.load(Ordering::SeqCst), "left to its grace");
            sleep(Duration::from_secs(2)).await;
            assert!(flushed.load(Ordering::SeqCst), "finished within the grace");
            assert!(dropped.load(Ordering::SeqCst));
        }
        assert_eq!(
            spawner.spawn("late", async {}),
            Err(SpawnError::Cancelled),
            "a dropped group refuses new tasks"
        );
    }
}

/// `TaskGroup::shutdown`: "Cancels the group and waits until every task has
/// stopped (within the grace period)".
#[tokio::test(start_paused = true)]
async fn group_shutdown_waits_for_the_grace_and_no_longer() {
    let mut group = TaskGroup::new().with_grace(Duration::from_secs(5));
    let token = group.cancellation_token();
    let flushed = Arc::new(AtomicBool::new(false));
    let done = Arc::clone(&flushed);
    group
        .spawn("flusher", async move {
            token.cancelled().await;
            sleep(Duration::from_secs(2)).await;
            done.store(true, Ordering::SeqCst);
        })
        .expect("spawned");
    group
        .spawn("deaf", std::future::pending::<()>())
        .expect("spawned");
    tokio::task::yield_now().await;
    let start = Instant::now();
    group.shutdown().await;
    assert_eq!(start.elapsed(), Duration::from_secs(5));
    assert!(flushed.load(Ordering::SeqCst));
    assert!(group.is_empty());
}

/// `SupervisorError::Escalated` after "more than `max_restarts` restarts (of
/// all children together) fall within `window`", with every child stopped.
#[tokio::test(start_paused = true)]
async fn restarts_of_all_children_together_count_for_the_intensity() {
    let stopped = Arc::new(AtomicUsize::new(0));
    let mut supervisor = Supervisor::new(CancellationToken::new())
        .restart_intensity(2, Duration::from_secs(60))
        .restart_policy(
            asyncwise::RetryPolicy::exponential(Duration::from_millis(10))
                .factor(1.0)
                .jitter(asyncwise::Jitter::None),
        );
    for name in ["a", "b"] {
        supervisor = supervisor.child(name, RestartPolicy::Permanent, move |ctx| async move {
            // Each child fails twice: four restarts in all, two each.
            if ctx.restarts() < 2 {
                sleep(Duration::from_millis(100)).await;
                return Err::<(), BoxError>(format!("{name} failed").into());
            }
            ctx.token().cancelled().await;
            Ok(())
        });
    }
    supervisor = supervisor.child("steady", RestartPolicy::Permanent, {
        let stopped = Arc::clone(&stopped);
        move |ctx| {
            let stopped = Arc::clone(&stopped);
            async move {
                ctx.token().cancelled().await;
                stopped.fetch_add(1, Ordering::SeqCst);
                Ok::<_, BoxError>(())
            }
        }
    });
    let result = supervisor.run().await;
    assert!(
        matches!(result, Err(SupervisorError::Escalated { .. })),
        "{result:?}"
    );
    assert_eq!(stopped.load(Ordering::SeqCst), 1, "every child was stopped");
}
