//! Session 13's blind audit, the watchdog's promises (a binary of its own: one watchdog runs
//! per process). Written from the docs of `asyncwise::watchdog` only.
// asyncwise: allow-file(blocking_in_async) -- the tests block the executor on purpose, for the watchdog to report

#[path = "support/watchdog_reports.rs"]
mod watchdog_reports;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use asyncwise::TaskGroup;
use asyncwise::watchdog::{Phase, Watchdog, WatchdogError};
use watchdog_reports::{Reports, serial};

const PATIENCE: Duration = Duration::from_secs(10);

/// Blocks its thread until `seen` is set (or 10 s pass); returns whether it was.
fn block_until(seen: &AtomicBool) -> bool {
    let start = Instant::now();
    while !seen.load(Ordering::SeqCst) && start.elapsed() < PATIENCE {
        std::thread::sleep(Duration::from_millis(2));
    }
    seen.load(Ordering::SeqCst)
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// `threshold`: "(default 10 ms; at least 1 ms)".
#[test]
fn threshold_defaults_to_10ms_and_is_at_least_1ms() {
    let _serial = serial();
    let watchdog = Watchdog::builder().start().unwrap();
    assert_eq!(watchdog.threshold(), Duration::from_millis(10));
    drop(watchdog);
    let watchdog = Watchdog::builder()
        .threshold(Duration::ZERO)
        .start()
        .unwrap();
    assert_eq!(watchdog.threshold(), Duration::from_millis(1));
}

/// `start`: "[`WatchdogError::AlreadyRunning`] if another watchdog runs in this process"; "stop
/// it (drop its [`Watchdog`]) first" — then a new one starts.
#[test]
fn a_second_watchdog_is_refused_until_the_first_is_dropped() {
    let _serial = serial();
    let first = Watchdog::builder().start().unwrap();
    assert!(matches!(
        Watchdog::builder().start(),
        Err(WatchdogError::AlreadyRunning)
    ));
    drop(first);
    let second = Watchdog::builder().start();
    assert!(second.is_ok());
}

/// `summary(top)`: "The `top` worst tasks": `top == 0` lists none.
#[test]
fn summary_of_zero_lists_nothing() {
    let _serial = serial();
    let reports = Reports::default();
    let watchdog = reports.watchdog(Duration::from_millis(5));
    let seen = Arc::clone(&reports.blocking_seen);
    current_thread().block_on(async {
        asyncwise::watchdog::spawn("blocker", async move {
            block_until(&seen);
        })
        .await
        .unwrap();
    });
    let summary = watchdog.summary(0);
    assert!(summary.longest_polls.is_empty());
    assert!(summary.busiest.is_empty());
    assert!(summary.blocked_polls >= 1);
    let summary = watchdog.summary(1);
    assert_eq!(summary.longest_polls.len(), 1);
    assert_eq!(summary.longest_polls[0].task, "blocker");
}

/// `on_blocked`: "A panic in the callback is caught and logged ...: the watchdog goes on, and
/// the task whose poll was reported keeps its own output or panic."
#[test]
fn a_panicking_callback_neither_stops_the_watchdog_nor_touches_the_task() {
    let _serial = serial();
    let calls = Arc::new(AtomicU32::new(0));
    let reported = Arc::new(AtomicBool::new(false));
    let (counter, flag) = (Arc::clone(&calls), Arc::clone(&reported));
    let _watchdog = Watchdog::builder()
        .threshold(Duration::from_millis(5))
        .on_blocked(move |report| {
            counter.fetch_add(1, Ordering::SeqCst);
            if report.phase == Phase::Blocking {
                flag.store(true, Ordering::SeqCst);
            }
            panic!("callback bug");
        })
        .start()
        .unwrap();
    current_thread().block_on(async {
        for round in 0..2_u32 {
            reported.store(false, Ordering::SeqCst);
            let seen = Arc::clone(&reported);
            let output = asyncwise::watchdog::spawn(format!("blocker-{round}"), async move {
                assert!(block_until(&seen), "reported while blocking");
                round * 10
            })
            .await
            .unwrap();
            assert_eq!(output, round * 10, "the task keeps its output");
        }
    });
    assert!(
        calls.load(Ordering::SeqCst) >= 2,
        "the watchdog went on after the first panic"
    );
}

/// `start`: "Tasks spawned through asyncwise from now on are watched" — so a task spawned
/// before is not; and after the drop, "nothing is reported any more".
#[test]
fn only_tasks_spawned_while_it_runs_are_reported() {
    let _serial = serial();
    let runtime = current_thread();
    runtime.block_on(async {
        let go = Arc::new(tokio::sync::Notify::new());
        let mut group = TaskGroup::new();
        let wait = Arc::clone(&go);
        group
            .spawn("spawned-before", async move {
                wait.notified().await;
                std::thread::sleep(Duration::from_millis(60));
            })
            .unwrap();
        tokio::task::yield_now().await;
        let reports = Reports::default();
        let watchdog = reports.watchdog(Duration::from_millis(5));
        go.notify_one();
        group.join_all().await;
        assert!(
            reports.take().iter().all(|r| r.task != "spawned-before"),
            "a task spawned before the watchdog started is not watched"
        );
        let watched = Arc::clone(&reports.blocking_seen);
        group
            .spawn("spawned-during", async move {
                assert!(block_until(&watched));
            })
            .unwrap();
        group.join_all().await;
        assert!(reports.take().iter().any(|r| r.task == "spawned-during"));
        drop(watchdog);
        group
            .spawn("after-drop", async {
                std::thread::sleep(Duration::from_millis(60));
            })
            .unwrap();
        group.join_all().await;
        assert!(
            reports.take().is_empty(),
            "nothing is reported after the drop"
        );
    });
}
