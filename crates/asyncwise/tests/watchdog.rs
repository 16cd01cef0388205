//! The watchdog reports a blocking poll while it blocks, with the task's
//! name and spawn location, on both runtime flavours; stays quiet for a
//! busy but well-behaved workload; and stops with its handle.
//!
//! One watchdog runs per process, so every test takes `SERIAL` (a plain
//! test function, never across an `.await`) and builds its own runtime.

// asyncwise: allow-file(blocking_in_async) -- the tests block the executor on purpose, for the watchdog to report

use std::panic::Location;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use asyncwise::watchdog::{self, Phase, Watchdog, WatchdogError};

#[path = "support/watchdog_reports.rs"]
mod watchdog_reports;
use watchdog_reports::{Reports, serial};

/// The deliberate mistake under test: synchronous work inside a task.
fn block_thread_for(duration: Duration) {
    std::thread::sleep(duration);
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

fn check_blocking_report(runtime: tokio::runtime::Runtime) {
    let reports = Reports::default();
    let _watchdog = reports.watchdog(Duration::from_millis(20));
    let (seen_while_blocked, spawned_at) = runtime.block_on({
        let reports = reports.clone();
        async move {
            let spawned_at = Location::caller();
            let handle = watchdog::spawn(
                "parse-config",
                async move { block_until_reported(&reports) },
            );
            (handle.await.unwrap(), spawned_at)
        }
    });
    assert!(seen_while_blocked, "reported only after the poll returned");

    let reports = reports.take();
    let phases: Vec<Phase> = reports.iter().map(|r| r.phase).collect();
    assert_eq!(phases, [Phase::Blocking, Phase::Returned]);
    let blocking = &reports[0];
    assert_eq!(blocking.rule, "blocking_in_async");
    assert_eq!(blocking.task, "parse-config");
    assert_eq!(blocking.spawned_at.file(), spawned_at.file());
    assert_eq!(blocking.spawned_at.line(), spawned_at.line() + 1);
    assert!(blocking.blocked_for >= Duration::from_millis(20));
    assert!(reports[1].blocked_for >= blocking.blocked_for);
    if cfg!(target_os = "linux") {
        let state = blocking.thread_state.as_deref().unwrap();
        assert!(state.contains("sleep"), "{state}");
    }
    let text = blocking.to_string();
    assert!(
        text.starts_with("blocking_in_async: task `parse-config` (spawned at "),
        "{text}"
    );
}

#[test]
fn blocking_poll_is_reported_while_blocked_on_current_thread() {
    let _serial = serial();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    check_blocking_report(runtime);
}

#[test]
fn blocking_poll_is_reported_while_blocked_on_multi_thread() {
    let _serial = serial();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    check_blocking_report(runtime);
}

#[test]
fn well_behaved_workload_is_not_reported() {
    let _serial = serial();
    let reports = Reports::default();
    let watchdog = reports.watchdog(Duration::from_millis(10));
    // One worker thread: on a multi-thread runtime, a worker can wait on a
    // runtime-internal lock whose holder the operating system preempted, a
    // real stall that an overloaded test machine would turn into a flaky
    // report.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let delivered = runtime.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u32>(1024);
        let mut tasks = Vec::with_capacity(10_000);
        for n in 0..10_000_u32 {
            let tx = tx.clone();
            tasks.push(watchdog::spawn(format!("worker-{n}"), async move {
                for round in 0..3 {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    tx.send(n + round).await.unwrap();
                }
            }));
        }
        drop(tx);
        let mut delivered = 0;
        while rx.recv().await.is_some() {
            delivered += 1;
        }
        for task in tasks {
            task.await.unwrap();
        }
        delivered
    });
    assert_eq!(delivered, 30_000);
    let reported = reports.take();
    assert!(
        reported.is_empty(),
        "{:#?}",
        &reported[..reported.len().min(3)]
    );
    let summary = watchdog.summary(3);
    assert_eq!(summary.blocked_polls, 0);
}

#[test]
fn summary_names_the_worst_tasks_finished_or_not() {
    let _serial = serial();
    let reports = Reports::default();
    let watchdog = reports.watchdog(Duration::from_millis(5));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let slow = watchdog::spawn("slow", async {
            block_thread_for(Duration::from_millis(60));
        });
        let quick = watchdog::spawn("quick", async {
            tokio::task::yield_now().await;
        });
        slow.await.unwrap();
        quick.await.unwrap();
    });
    let summary = watchdog.summary(2);
    assert_eq!(summary.blocked_polls, 1);
    assert_eq!(summary.longest_polls[0].task, "slow");
    // Durations in the summary are measured on the monitor's coarse clock,
    // which an overloaded machine can delay: compare, do not bound.
    // "quick" finished without standing out, so it may have been dropped.
    let slow = &summary.longest_polls[0];
    assert!(
        summary.longest_polls[1..]
            .iter()
            .all(|o| o.longest_poll < slow.longest_poll)
    );
    assert_eq!(summary.busiest[0].task, "slow");
    assert!(summary.to_string().contains("slow (spawned at "));
}

#[test]
fn one_watchdog_at_a_time_and_none_after_drop() {
    let _serial = serial();
    let reports = Reports::default();
    let first = reports.watchdog(Duration::from_millis(5));
    assert!(matches!(
        Watchdog::builder().start(),
        Err(WatchdogError::AlreadyRunning)
    ));
    drop(first);

    // Spawned after the watchdog stopped: not watched, not reported.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        watchdog::spawn("after-stop", async {
            block_thread_for(Duration::from_millis(30));
        })
        .await
        .unwrap();
    });
    assert_eq!(reports.take().len(), 0);

    let second = Watchdog::builder().start().unwrap();
    assert_eq!(second.threshold(), Duration::from_millis(10));
}

/// Tasks of a group tied to a shutdown, and supervisor children, are
/// watched under their full path with their spawn location, and the
/// shutdown report carries the watchdog's summary.
#[test]
fn group_and_supervisor_tasks_are_watched_by_path_and_the_report_has_a_summary() {
    use asyncwise::{RestartPolicy, Shutdown, Supervisor, TaskGroup};

    let _serial = serial();
    let reports = Reports::default();
    let _watchdog = reports.watchdog(Duration::from_millis(20));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (report, group_spawned_at) = runtime.block_on({
        let reports = reports.clone();
        async move {
            let shutdown = Shutdown::with_deadline(Duration::from_secs(5));
            let mut group = TaskGroup::new().with_shutdown(&shutdown, "batch");
            let group_spawned_at = Location::caller();
            group
                .spawn("parse", async move { block_until_reported(&reports) })
                .unwrap();
            let seen = group.join_next().await.unwrap().unwrap();
            assert!(seen, "reported only after the poll returned");
            let report = shutdown.drain().await;
            (report, group_spawned_at)
        }
    });
    let blocking = reports.take().remove(0);
    assert_eq!(blocking.phase, Phase::Blocking);
    assert_eq!(blocking.task, "batch/parse");
    assert_eq!(blocking.spawned_at.file(), group_spawned_at.file());
    assert_eq!(blocking.spawned_at.line(), group_spawned_at.line() + 2);

    let summary = report.watchdog.as_ref().expect("a watchdog runs");
    assert_eq!(summary.blocked_polls, 1);
    assert_eq!(summary.longest_polls[0].task, "batch/parse");
    let text = report.to_string();
    assert!(text.contains("watchdog: 1 poll(s) blocked"), "{text}");
    assert!(text.contains("batch/parse (spawned at "), "{text}");

    // A supervisor child (not tied to a shutdown) is named `supervisor/child`.
    reports.blocking_seen.store(false, Ordering::SeqCst);
    runtime.block_on({
        let reports = reports.clone();
        async move {
            let token = tokio_util::sync::CancellationToken::new();
            let report = Supervisor::new(token)
                .name("svc")
                .child("loader", RestartPolicy::Temporary, move |_| {
                    let reports = reports.clone();
                    async move {
                        block_until_reported(&reports);
                        Ok::<(), std::io::Error>(())
                    }
                })
                .run()
                .await
                .unwrap();
            drop(report);
        }
    });
    let blocking = reports.take().remove(0);
    assert_eq!(blocking.task, "svc/loader");

    // A task of a plain group (no parent, no grace, no shutdown: the lean
    // task form when no watchdog runs) is watched under its own name.
    reports.blocking_seen.store(false, Ordering::SeqCst);
    runtime.block_on({
        let reports = reports.clone();
        async move {
            let mut group = TaskGroup::bounded(2);
            group
                .spawn("plain", async move { block_until_reported(&reports) })
                .unwrap();
            assert!(group.join_next().await.unwrap().unwrap());
        }
    });
    let blocking = reports.take().remove(0);
    assert_eq!(blocking.task, "plain");
}

/// Without a watchdog, the report has no summary and does not mention one.
#[test]
fn report_has_no_watchdog_section_without_a_watchdog() {
    let _serial = serial();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let report = runtime.block_on(async {
        let shutdown = asyncwise::Shutdown::new();
        shutdown.spawn("quick", async {});
        shutdown.drain().await
    });
    assert!(report.watchdog.is_none());
    assert!(!report.to_string().contains("watchdog"));
}
