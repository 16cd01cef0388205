//! Tasks spawned with plain `tokio::spawn`, watched through Tokio's
//! task-poll hooks: only with `RUSTFLAGS="--cfg tokio_unstable"` (CI runs
//! this file in a step of its own, see `.ci/run`).
//!
//! One watchdog runs per process, so every test takes `SERIAL` (a plain
//! test function, never across an `.await`) and builds its own runtime.
#![cfg(tokio_unstable)]
// asyncwise: allow-file(blocking_in_async) -- the tests block the executor on purpose, for the watchdog to report

use std::panic::Location;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use asyncwise::watchdog::{self, BlockedPoll, Phase, PollHooks};

#[path = "support/watchdog_reports.rs"]
mod watchdog_reports;
use watchdog_reports::{Reports, serial};

impl Reports {
    /// Waits (at most 10 s) until `count` reports have arrived, then takes
    /// them all. On a multi-thread runtime the after-poll hook that reports
    /// a poll's return runs on the worker after the task has completed, so
    /// `block_on` may return first.
    fn take_at_least(&self, count: usize) -> Vec<BlockedPoll> {
        let start = Instant::now();
        while self.all.lock().unwrap().len() < count && start.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(1));
        }
        self.take()
    }
}

/// Blocks its thread until the watchdog has reported it (or 10 s pass), and
/// returns whether the report came while it was still blocking.
fn block_until_reported(reports: &Reports) -> bool {
    let start = Instant::now();
    while !reports.blocking_seen.load(Ordering::SeqCst) && start.elapsed() < Duration::from_secs(10)
    {
        std::thread::sleep(Duration::from_millis(2));
    }
    reports.blocking_seen.load(Ordering::SeqCst)
}

/// Counts the polls the user's own hooks see.
#[derive(Clone, Default)]
struct UserHookCounts {
    before: Arc<AtomicU64>,
    after: Arc<AtomicU64>,
}

impl UserHookCounts {
    fn hooks(&self) -> PollHooks {
        let before = Arc::clone(&self.before);
        let after = Arc::clone(&self.after);
        PollHooks::new()
            .before_poll(move |_| {
                before.fetch_add(1, Ordering::SeqCst);
            })
            .after_poll(move |_| {
                after.fetch_add(1, Ordering::SeqCst);
            })
    }
}

fn runtime(multi_thread: bool, hooks: PollHooks) -> tokio::runtime::Runtime {
    let mut builder = if multi_thread {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(2);
        builder
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    builder.enable_all();
    watchdog::install(&mut builder, hooks).build().unwrap()
}

/// A plain `tokio::spawn` task that blocks is reported while it blocks, as
/// `tokio task <id>` at the line of its `tokio::spawn`; then its return.
fn check_plain_task_report(multi_thread: bool) {
    let reports = Reports::default();
    let runtime = runtime(multi_thread, PollHooks::new());
    let _watchdog = reports.watchdog(Duration::from_millis(20));
    let (seen_while_blocked, id, spawned_at) = runtime.block_on({
        let reports = reports.clone();
        async move {
            let spawned_at = Location::caller();
            let handle = tokio::spawn(async move { block_until_reported(&reports) });
            let id = handle.id();
            (handle.await.unwrap(), id, spawned_at)
        }
    });
    assert!(seen_while_blocked, "reported only after the poll returned");
    let reports = reports.take_at_least(2);
    let phases: Vec<Phase> = reports.iter().map(|r| r.phase).collect();
    assert_eq!(phases, [Phase::Blocking, Phase::Returned], "{reports:#?}");
    for report in &reports {
        assert_eq!(report.rule, "blocking_in_async");
        assert_eq!(report.task, format!("tokio task {id}"));
        assert_eq!(report.spawned_at.file(), spawned_at.file());
        assert_eq!(report.spawned_at.line(), spawned_at.line() + 1);
    }
    let blocking = &reports[0];
    assert!(blocking.blocked_for >= Duration::from_millis(20));
    if cfg!(target_os = "linux") {
        let state = blocking.thread_state.as_deref().unwrap();
        assert!(state.contains("sleep"), "{state}");
    }
}

#[test]
fn plain_tokio_task_is_reported_while_blocked_on_current_thread() {
    let _serial = serial();
    check_plain_task_report(false);
}

#[test]
fn plain_tokio_task_is_reported_while_blocked_on_multi_thread() {
    let _serial = serial();
    check_plain_task_report(true);
}

/// The user's hooks, passed to `install`, run for every poll, with or
/// without a watchdog, and the watchdog's still report.
#[test]
fn user_hooks_passed_to_install_still_run() {
    let _serial = serial();
    let counts = UserHookCounts::default();
    let runtime = runtime(false, counts.hooks());

    // No watchdog yet: the user's hooks run, nothing is reported.
    runtime.block_on(async {
        tokio::spawn(async {
            for _ in 0..4 {
                tokio::task::yield_now().await;
            }
        })
        .await
        .unwrap();
    });
    let before = counts.before.load(Ordering::SeqCst);
    assert_eq!(before, 5, "one poll per yield and the last one");
    assert_eq!(counts.after.load(Ordering::SeqCst), before);

    // A watchdog started later watches the runtime's tasks; the user's
    // hooks keep running.
    let reports = Reports::default();
    let watchdog = reports.watchdog(Duration::from_millis(20));
    runtime.block_on({
        let reports = reports.clone();
        async move {
            tokio::spawn(async move { block_until_reported(&reports) })
                .await
                .unwrap()
        }
    });
    assert_eq!(counts.before.load(Ordering::SeqCst), before + 1);
    assert_eq!(counts.after.load(Ordering::SeqCst), before + 1);
    let reports = reports.take();
    assert_eq!(reports.len(), 2, "{reports:#?}");
    assert!(reports[0].task.starts_with("tokio task "));

    // The reported poll is in the summary.
    let summary = watchdog.summary(3);
    assert_eq!(summary.blocked_polls, 1);
    assert!(summary.longest_polls[0].task.starts_with("tokio task "));
}

/// A task spawned through asyncwise on a hooked runtime is reported once,
/// under its own name, not a second time as a tokio task.
#[test]
fn asyncwise_task_on_a_hooked_runtime_is_reported_once_by_name() {
    let _serial = serial();
    let reports = Reports::default();
    let runtime = runtime(true, PollHooks::new());
    let _watchdog = reports.watchdog(Duration::from_millis(20));
    let seen = runtime.block_on({
        let reports = reports.clone();
        async move {
            watchdog::spawn("named", async move {
                let seen = block_until_reported(&reports);
                // Keep blocking for several sampling intervals after the
                // report, when a duplicate would be emitted.
                std::thread::sleep(Duration::from_millis(60));
                seen
            })
            .await
            .unwrap()
        }
    });
    assert!(seen);
    let reports = reports.take();
    let tasks: Vec<(&str, Phase)> = reports.iter().map(|r| (&*r.task, r.phase)).collect();
    assert_eq!(
        tasks,
        [("named", Phase::Blocking), ("named", Phase::Returned)]
    );
}

/// Polls that do not block are not reported through the hooks either.
#[test]
fn well_behaved_plain_tasks_are_not_reported() {
    let _serial = serial();
    let reports = Reports::default();
    let runtime = runtime(false, PollHooks::new());
    let watchdog = reports.watchdog(Duration::from_millis(10));
    let delivered = runtime.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u32>(256);
        let mut tasks = tokio::task::JoinSet::new();
        for n in 0..2_000_u32 {
            let tx = tx.clone();
            tasks.spawn(async move {
                for round in 0..3 {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    tx.send(n + round).await.unwrap();
                }
            });
        }
        drop(tx);
        let mut delivered = 0;
        while rx.recv().await.is_some() {
            delivered += 1;
        }
        while let Some(done) = tasks.join_next().await {
            done.unwrap();
        }
        delivered
    });
    assert_eq!(delivered, 6_000);
    let reported = reports.take();
    assert!(
        reported.is_empty(),
        "{:#?}",
        &reported[..reported.len().min(3)]
    );
    assert_eq!(watchdog.summary(3).blocked_polls, 0);
}

/// `install`: "a watchdog started later watches the runtime's tasks from
/// their next poll": a plain task spawned (and polled) before the watchdog
/// started is reported when a later poll of it blocks.
#[test]
fn a_task_spawned_before_the_watchdog_started_is_watched_from_its_next_poll() {
    let _serial = serial();
    let runtime = runtime(false, PollHooks::new());
    let (go, wait) = tokio::sync::oneshot::channel::<()>();
    let reports = Reports::default();
    let (task, spawned_at) = runtime.block_on({
        let reports = reports.clone();
        async move {
            let spawned_at = Location::caller();
            let task = tokio::spawn(async move {
                wait.await.expect("go");
                block_until_reported(&reports)
            });
            // Its first poll, before any watchdog runs.
            tokio::task::yield_now().await;
            (task, spawned_at)
        }
    });
    let _watchdog = reports.watchdog(Duration::from_millis(20));
    go.send(()).expect("the task waits");
    assert!(runtime.block_on(task).expect("no panic"));
    let reports = reports.take_at_least(2);
    assert_eq!(reports[0].phase, Phase::Blocking, "{reports:#?}");
    assert!(reports[0].task.starts_with("tokio task "));
    assert_eq!(reports[0].spawned_at.line(), spawned_at.line() + 1);
}

/// `PollHooks::before_poll`: "`install` calls it *before* the watchdog marks
/// the poll as started", and `after_poll` "*after* the watchdog marks the
/// poll as ended": time spent in the user's own hooks is not blamed on the
/// task, even when the hooks block for several thresholds.
#[test]
fn time_in_the_users_own_hooks_is_not_blamed_on_the_task() {
    let _serial = serial();
    let target: Arc<std::sync::Mutex<Option<tokio::task::Id>>> = Arc::default();
    let slow_hook = {
        let target = Arc::clone(&target);
        move |meta: &tokio::runtime::TaskMeta<'_>| {
            if *target.lock().unwrap() == Some(meta.id()) {
                std::thread::sleep(Duration::from_millis(60));
            }
        }
    };
    let hooks = PollHooks::new()
        .before_poll(slow_hook.clone())
        .after_poll(slow_hook);
    let runtime = runtime(false, hooks);
    let reports = Reports::default();
    let watchdog = reports.watchdog(Duration::from_millis(10));
    runtime.block_on(async {
        let task = tokio::spawn(async {
            for _ in 0..3 {
                tokio::task::yield_now().await;
            }
        });
        // Current-thread runtime: the task is first polled once this awaits.
        *target.lock().unwrap() = Some(task.id());
        task.await.unwrap();
    });
    let reported = reports.take();
    assert!(reported.is_empty(), "{reported:#?}");
    assert_eq!(watchdog.summary(3).blocked_polls, 0);
}

/// `on_blocked` with a callback that panics, for a plain task: the
/// `Returned` report runs inside Tokio's after-poll hook, where a panic
/// would unwind through the scheduler. The task keeps its output and the
/// runtime goes on.
#[test]
fn a_panicking_callback_does_not_break_a_hooked_runtime() {
    let _serial = serial();
    let runtime = runtime(true, PollHooks::new());
    let reported = Arc::new(AtomicU64::new(0));
    let _watchdog = watchdog::Watchdog::builder()
        .threshold(Duration::from_millis(10))
        .on_blocked({
            let reported = Arc::clone(&reported);
            move |report| {
                if report.phase == Phase::Blocking {
                    reported.fetch_add(1, Ordering::SeqCst);
                }
                panic!("callback bug");
            }
        })
        .start()
        .unwrap();
    for round in 1..=2 {
        let seen = Arc::clone(&reported);
        let output = runtime.block_on(async move {
            tokio::spawn(async move {
                let start = Instant::now();
                while seen.load(Ordering::SeqCst) < round
                    && start.elapsed() < Duration::from_secs(10)
                {
                    std::thread::sleep(Duration::from_millis(2));
                }
                seen.load(Ordering::SeqCst)
            })
            .await
        });
        assert_eq!(output.expect("the task's own output"), round);
    }
}

/// `watchdog::block_in_place` on a hooked runtime: a plain `tokio::spawn` task blocking inside
/// it is not reported (the hook slot of its thread is sampled like a task slot); the same task
/// blocking after the closure returned still is.
#[test]
fn a_plain_task_blocking_inside_block_in_place_is_not_reported() {
    let _serial = serial();
    let reports = Reports::default();
    let runtime = runtime(true, PollHooks::new());
    let _watchdog = reports.watchdog(Duration::from_millis(10));
    let (offloaded_saw_report, then_reported) = runtime.block_on({
        let reports = reports.clone();
        async move {
            tokio::spawn(async move {
                watchdog::block_in_place(|| {
                    // Twenty thresholds: sampled eighty times.
                    std::thread::sleep(Duration::from_millis(200));
                });
                let offloaded_saw_report = reports.blocking_seen.load(Ordering::SeqCst);
                (offloaded_saw_report, block_until_reported(&reports))
            })
            .await
            .unwrap()
        }
    });
    assert!(!offloaded_saw_report, "{:#?}", reports.take());
    assert!(then_reported, "the watchdog reports nothing at all");
    let phases: Vec<Phase> = reports.take_at_least(2).iter().map(|r| r.phase).collect();
    assert_eq!(phases, [Phase::Blocking, Phase::Returned]);
}
