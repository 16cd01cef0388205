//! The watchdog's doc promises that `tests/watchdog.rs` did not check (session 6 audit, table
//! in `PROMISES.md`): each test quotes the sentence it holds the code to.
//!
//! One watchdog runs per process, so every test takes `serial()` (a plain test function, never
//! across an `.await`) and builds its own runtime. Waits are bounded (10 s) and assert an
//! outcome, never a duration.

// asyncwise: allow-file(blocking_in_async) -- the tests block the executor on purpose, for the watchdog to report

use std::panic::Location;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use asyncwise::watchdog::{self, BlockedPoll, Instrumented, Phase, Watchdog};
use asyncwise::{RestartPolicy, Shutdown, Supervisor, TaskGroup};

#[path = "support/watchdog_reports.rs"]
mod watchdog_reports;
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

/// A report and the name of the thread the callback ran on.
type Seen = Arc<Mutex<Vec<(BlockedPoll, Option<String>)>>>;

/// Module docs: "A poll seen in progress for longer than the threshold ... is reported once",
/// "When that poll returns, a second event gives its total"; `on_blocked`: "called on the
/// monitor thread for `Phase::Blocking` and on the worker for `Phase::Returned`";
/// `BlockedPoll::thread`: "The name of the worker thread"; `thread_state`: "`None` ... for
/// `Phase::Returned`"; `Summary::blocked_polls`: "How many polls ran longer than the
/// threshold".
#[test]
fn a_poll_blocking_for_many_thresholds_is_reported_once_then_its_total() {
    let _serial = serial();
    let seen: Seen = Arc::default();
    let blocking_seen = Arc::new(AtomicBool::new(false));
    let watchdog = Watchdog::builder()
        .threshold(Duration::from_millis(10))
        .on_blocked({
            let seen = Arc::clone(&seen);
            let blocking_seen = Arc::clone(&blocking_seen);
            move |report| {
                let thread = std::thread::current().name().map(str::to_owned);
                seen.lock().unwrap().push((report.clone(), thread));
                if report.phase == Phase::Blocking {
                    blocking_seen.store(true, Ordering::SeqCst);
                }
            }
        })
        .start()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("audit-worker")
        .enable_all()
        .build()
        .unwrap();
    let reported = runtime.block_on(async {
        let flag = Arc::clone(&blocking_seen);
        watchdog::spawn("long-block", async move {
            let reported = block_until(&flag);
            // Ten more sampling intervals (a quarter threshold each) in the same poll: a
            // second `Blocking` report would come now.
            std::thread::sleep(Duration::from_millis(25));
            reported
        })
        .await
        .unwrap()
    });
    assert!(reported, "never reported while blocking");
    drop(runtime);
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    let phases: Vec<Phase> = seen.iter().map(|(r, _)| r.phase).collect();
    assert_eq!(phases, [Phase::Blocking, Phase::Returned], "{seen:#?}");
    let (blocking, blocking_thread) = &seen[0];
    let (returned, returned_thread) = &seen[1];
    assert_eq!(blocking_thread.as_deref(), Some("asyncwise-watchdog"));
    assert_eq!(returned_thread.as_deref(), Some("audit-worker"));
    for report in [blocking, returned] {
        assert_eq!(report.rule, "blocking_in_async");
        assert_eq!(report.task, "long-block");
        assert_eq!(report.thread, "audit-worker");
    }
    assert!(blocking.thread_state.is_some() || !cfg!(target_os = "linux"));
    assert_eq!(returned.thread_state, None);
    assert!(returned.blocked_for >= blocking.blocked_for);
    let text = returned.to_string();
    assert!(
        text.starts_with("blocking_in_async: task `long-block` (spawned at ")
            && text.contains("blocked worker thread `audit-worker` for ")
            && text.ends_with(" ms in one poll"),
        "{text}"
    );
    assert_eq!(watchdog.summary(3).blocked_polls, 1);
}

/// `threshold`: "A poll running longer than this is reported"; the module docs: a task that
/// yields is not reported. A poll at a tenth of the threshold and ten thousand yields are
/// quiet; a poll past it, in the same test, is reported (so the test can fail).
#[test]
fn polls_under_the_threshold_and_yielding_tasks_are_not_reported() {
    let _serial = serial();
    let reports = Reports::default();
    let watchdog = reports.watchdog(Duration::from_millis(300));
    let runtime = current_thread();
    runtime.block_on(async {
        let short = watchdog::spawn("short-block", async {
            std::thread::sleep(Duration::from_millis(30));
        });
        let yielder = watchdog::spawn("yielder", async {
            for _ in 0..10_000 {
                tokio::task::yield_now().await;
            }
        });
        short.await.unwrap();
        yielder.await.unwrap();
    });
    let quiet = reports.take();
    assert!(quiet.is_empty(), "{quiet:#?}");
    assert_eq!(watchdog.summary(3).blocked_polls, 0);

    let flag = Arc::clone(&reports.blocking_seen);
    let reported = runtime.block_on(async move {
        watchdog::spawn("long-block", async move { block_until(&flag) })
            .await
            .unwrap()
    });
    assert!(reported);
    assert_eq!(reports.take()[0].task, "long-block");
}

/// `threshold`: "(default 10 ms; at least 1 ms)". `Duration::MAX` (as every other duration of
/// the crate) must not panic: nothing is ever reported, and dropping the watchdog still stops
/// its monitor.
#[test]
fn the_threshold_has_a_floor_and_an_endless_one_never_reports() {
    let _serial = serial();
    let floor = Watchdog::builder()
        .threshold(Duration::ZERO)
        .start()
        .unwrap();
    assert_eq!(floor.threshold(), Duration::from_millis(1));
    drop(floor);

    let reports = Reports::default();
    let endless = reports.watchdog(Duration::MAX);
    assert_eq!(endless.threshold(), Duration::MAX);
    current_thread().block_on(async {
        watchdog::spawn("blocks-a-while", async {
            std::thread::sleep(Duration::from_millis(50));
        })
        .await
        .unwrap();
    });
    assert!(reports.take().is_empty());
    let summary = endless.summary(3);
    assert_eq!(summary.blocked_polls, 0);
    drop(endless);
}

/// Module docs: on Linux the report says what the thread is doing: "`running` for a CPU-bound
/// loop".
#[cfg(target_os = "linux")]
#[test]
fn a_cpu_bound_loop_is_reported_as_running() {
    let _serial = serial();
    let reports = Reports::default();
    let _watchdog = reports.watchdog(Duration::from_millis(20));
    let flag = Arc::clone(&reports.blocking_seen);
    let reported = current_thread().block_on(async move {
        watchdog::spawn("spin", async move {
            let start = Instant::now();
            while !flag.load(Ordering::SeqCst) && start.elapsed() < PATIENCE {
                std::hint::spin_loop();
            }
            flag.load(Ordering::SeqCst)
        })
        .await
        .unwrap()
    });
    assert!(reported);
    let blocking = reports.take().remove(0);
    let state = blocking.thread_state.unwrap();
    assert!(state.starts_with("running"), "{state}");
}

/// "what the thread is doing (the system call it is blocked in ... or `running` ...)": a poll
/// that spends its time on a CPU *inside* a system call (reading `/dev/zero` into a large buffer,
/// as a big read from the page cache would) is not described as outside one. Linux's `syscall`
/// file says `running` for any thread on a CPU or ready for one, in user code or in the kernel.
#[cfg(target_os = "linux")]
#[test]
fn a_poll_computing_inside_a_system_call_is_not_described_as_outside_one() {
    use std::io::Read;
    let _serial = serial();
    let reports = Reports::default();
    let _watchdog = reports.watchdog(Duration::from_millis(20));
    let flag = Arc::clone(&reports.blocking_seen);
    let reported = current_thread().block_on(async move {
        watchdog::spawn("read-zeroes", async move {
            let mut zeroes = std::fs::File::open("/dev/zero").expect("/dev/zero");
            let mut buffer = vec![1_u8; 8 << 20];
            let start = Instant::now();
            // At least one read, even when the report came during the set-up (a loaded
            // machine): the buffer's check below needs it.
            loop {
                zeroes.read_exact(&mut buffer).expect("read /dev/zero");
                if flag.load(Ordering::SeqCst) || start.elapsed() >= PATIENCE {
                    break;
                }
            }
            assert_eq!(buffer[buffer.len() - 1], 0);
            flag.load(Ordering::SeqCst)
        })
        .await
        .unwrap()
    });
    assert!(reported);
    let blocking = reports.take().remove(0);
    let state = blocking.thread_state.unwrap();
    assert!(state.starts_with("running"), "{state}");
    assert!(!state.contains("not in a system call"), "{state}");
}

/// The watchdog is "the run-time half of the analyzer's `blocking_in_async` rule", whose fix for
/// a blocking call on a multi-thread runtime is `block_in_place`: the worker hands its other
/// tasks to another thread, so nothing waits while the closure blocks. Through
/// `watchdog::block_in_place` such a poll is not reported; through Tokio's own, which gives no
/// sign of the hand-off, it is (documented), which also shows the watchdog was watching.
#[test]
fn a_poll_blocking_inside_block_in_place_is_not_reported() {
    let _serial = serial();
    let reports = Reports::default();
    let _watchdog = reports.watchdog(Duration::from_millis(10));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let flag = Arc::clone(&reports.blocking_seen);
    let (offloaded_saw_report, tokios_own_was_reported) = runtime.block_on(async move {
        let offloaded = watchdog::spawn("offloaded", {
            let flag = Arc::clone(&flag);
            async move {
                watchdog::block_in_place(|| {
                    // Twenty thresholds: sampled eighty times.
                    std::thread::sleep(Duration::from_millis(200));
                });
                flag.load(Ordering::SeqCst)
            }
        })
        .await
        .unwrap();
        let tokios_own = watchdog::spawn("tokio-block-in-place", async move {
            tokio::task::block_in_place(|| block_until(&flag))
        })
        .await
        .unwrap();
        (offloaded, tokios_own)
    });
    let tasks: Vec<String> = reports
        .take()
        .iter()
        .map(|report| report.task.to_string())
        .collect();
    assert!(!offloaded_saw_report, "{tasks:?}");
    assert!(
        tokios_own_was_reported,
        "the watchdog reports nothing at all"
    );
    assert_eq!(tasks, ["tokio-block-in-place", "tokio-block-in-place"]);
}

/// `PollTiming`'s drop "also runs when the poll panics": a blocked poll that then panics is
/// reported as returned, and the panic reaches the task's handle (never silent).
#[test]
fn a_blocked_poll_that_panics_is_reported_and_its_panic_reaches_the_handle() {
    let _serial = serial();
    let reports = Reports::default();
    let _watchdog = reports.watchdog(Duration::from_millis(10));
    let flag = Arc::clone(&reports.blocking_seen);
    let joined = current_thread().block_on(async move {
        watchdog::spawn("blocks-then-panics", async move {
            assert!(block_until(&flag));
            panic!("parser exploded");
        })
        .await
    });
    let error = joined.expect_err("the task panicked");
    assert!(error.is_panic());
    let payload = error.into_panic();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"parser exploded"));
    let phases: Vec<Phase> = reports.take().iter().map(|r| r.phase).collect();
    assert_eq!(phases, [Phase::Blocking, Phase::Returned]);
}

/// `on_blocked` hands "every report to `callback`". A callback that panics must neither end
/// the watchdog (the next blocking poll is still reported), nor replace the output of the
/// task whose poll it reports, nor abort the process when that poll itself panicked.
#[test]
fn a_callback_that_panics_stops_neither_the_watchdog_nor_the_task() {
    let _serial = serial();
    let calls = Arc::new(Mutex::new(Vec::new()));
    let blocking_seen = Arc::new(AtomicUsize::new(0));
    let _watchdog = Watchdog::builder()
        .threshold(Duration::from_millis(10))
        .on_blocked({
            let calls = Arc::clone(&calls);
            let blocking_seen = Arc::clone(&blocking_seen);
            move |report| {
                calls
                    .lock()
                    .unwrap()
                    .push((report.task.to_string(), report.phase));
                if report.phase == Phase::Blocking {
                    blocking_seen.fetch_add(1, Ordering::SeqCst);
                }
                panic!("callback bug");
            }
        })
        .start()
        .unwrap();
    let runtime = current_thread();
    let block_until_count = |count: usize| {
        let seen = Arc::clone(&blocking_seen);
        move || {
            let start = Instant::now();
            while seen.load(Ordering::SeqCst) < count && start.elapsed() < PATIENCE {
                std::thread::sleep(Duration::from_millis(2));
            }
            seen.load(Ordering::SeqCst) >= count
        }
    };
    let first = block_until_count(1);
    let output =
        runtime.block_on(async move { watchdog::spawn("first", async move { first() }).await });
    assert!(
        output.expect("the callback's panic is not the task's"),
        "first poll reported"
    );
    let second = block_until_count(2);
    let output =
        runtime.block_on(async move { watchdog::spawn("second", async move { second() }).await });
    assert!(
        output.expect("no panic"),
        "the monitor survived the callback's panic"
    );
    let third = block_until_count(3);
    let output = runtime.block_on(async move {
        watchdog::spawn("third", async move {
            assert!(third());
            panic!("task bug");
        })
        .await
    });
    let error = output.expect_err("the task's own panic");
    assert_eq!(error.into_panic().downcast_ref::<&str>(), Some(&"task bug"));
    let calls = std::mem::take(&mut *calls.lock().unwrap());
    let expected: Vec<(String, Phase)> = ["first", "second", "third"]
        .into_iter()
        .flat_map(|task| {
            [
                (task.to_owned(), Phase::Blocking),
                (task.to_owned(), Phase::Returned),
            ]
        })
        .collect();
    assert_eq!(calls, expected);
}

/// `Watchdog`: "Tasks that were spawned while it ran keep their (cheap) instrumentation after
/// it stops, but nothing is reported any more."
#[test]
fn a_task_spawned_while_the_watchdog_ran_is_not_reported_after_it_stopped() {
    let _serial = serial();
    let reports = Reports::default();
    let watchdog = reports.watchdog(Duration::from_millis(5));
    let runtime = current_thread();
    let (go, wait) = tokio::sync::oneshot::channel::<()>();
    let entered = runtime.enter();
    let task = watchdog::spawn("outlives-the-watchdog", async move {
        wait.await.unwrap();
        std::thread::sleep(Duration::from_millis(60));
        7
    });
    drop(entered);
    drop(watchdog);
    go.send(()).unwrap();
    assert_eq!(runtime.block_on(task).unwrap(), 7);
    assert!(reports.take().is_empty());
}

/// Module docs: "Tasks spawned through asyncwise (`TaskGroup`, `Shutdown`, `Supervisor`
/// children, and `spawn`) get a slot": every spawn way that `tests/watchdog.rs` did not try,
/// each reported under its path with the line of its spawn call.
#[test]
fn every_way_of_spawning_through_asyncwise_is_watched_by_name_and_line() {
    let _serial = serial();
    let reports = Reports::default();
    let _watchdog = reports.watchdog(Duration::from_millis(10));
    let runtime = current_thread();

    let check = |expected_task: &str, spawned_at: &'static Location<'static>, line_offset| {
        let start = Instant::now();
        let mut all = Vec::new();
        // The `Returned` event comes a moment after the task's own return.
        while all.len() < 2 && start.elapsed() < PATIENCE {
            all.extend(reports.take());
            std::thread::sleep(Duration::from_millis(1));
        }
        reports.blocking_seen.store(false, Ordering::SeqCst);
        let blocking: &BlockedPoll = all
            .iter()
            .find(|r| r.phase == Phase::Blocking)
            .unwrap_or_else(|| panic!("{expected_task} not reported: {all:#?}"));
        assert_eq!(blocking.task, expected_task);
        assert_eq!(blocking.spawned_at.file(), spawned_at.file());
        assert_eq!(
            blocking.spawned_at.line(),
            spawned_at.line() + line_offset,
            "{expected_task}"
        );
        assert_eq!(all.len(), 2, "{all:#?}");
    };
    let flag = || {
        let flag = Arc::clone(&reports.blocking_seen);
        async move { block_until(&flag) }
    };

    // `Shutdown::spawn`, `Shutdown::spawn_local`, a supervisor made `with_shutdown`.
    let shutdown = Shutdown::with_deadline(Duration::from_secs(5));
    let here = Location::caller();
    let entered = runtime.enter();
    let handle = shutdown.spawn("direct", flag());
    drop(entered);
    assert!(runtime.block_on(handle).unwrap());
    check("direct", here, 2);

    let here = Location::caller();
    let local = tokio::task::LocalSet::new();
    let seen = local.block_on(&runtime, async {
        shutdown.spawn_local("local", flag()).await.unwrap()
    });
    assert!(seen);
    check("local", here, 3);

    let here = Location::caller();
    runtime.block_on(async {
        let report = Supervisor::new(shutdown.child_token())
            .name("svc")
            .with_shutdown(&shutdown)
            .child("loader", RestartPolicy::Temporary, {
                let flag = Arc::clone(&reports.blocking_seen);
                move |_| {
                    let flag = Arc::clone(&flag);
                    async move {
                        block_until(&flag);
                        Ok::<(), std::io::Error>(())
                    }
                }
            })
            .run()
            .await
            .unwrap();
        drop(report);
    });
    let all = reports.take();
    reports.blocking_seen.store(false, Ordering::SeqCst);
    assert_eq!(all[0].task, "svc/loader", "{all:#?}");
    // A supervisor child's location is the `child` call.
    assert_eq!(all[0].spawned_at.line(), here.line() + 5);

    // A group's `spawn_wait`, `try_spawn`, its `Spawner`, and a task queued by a full bounded
    // group (named with the line of its `spawn`, not of the moment it started).
    let mut group = TaskGroup::bounded(1).with_shutdown(&shutdown, "grp");
    let here = Location::caller();
    runtime.block_on(async { group.spawn_wait("waited", flag()).await.unwrap() });
    assert!(runtime.block_on(group.join_next()).unwrap().unwrap());
    check("grp/waited", here, 1);

    let here = Location::caller();
    runtime.block_on(async { group.try_spawn("tried", flag()).unwrap() });
    assert!(runtime.block_on(group.join_next()).unwrap().unwrap());
    check("grp/tried", here, 1);

    let spawner = group.spawner();
    let here = Location::caller();
    runtime.block_on(async { spawner.spawn("via-spawner", flag()).unwrap() });
    assert!(runtime.block_on(group.join_next()).unwrap().unwrap());
    check("grp/via-spawner", here, 1);

    let (release, hold) = tokio::sync::oneshot::channel::<()>();
    let here = Location::caller();
    runtime.block_on(async {
        group
            .spawn("holder", async move { hold.await.is_ok() })
            .unwrap();
        group.spawn("queued", flag()).unwrap();
    });
    release.send(()).unwrap();
    runtime.block_on(async {
        assert!(group.join_next().await.unwrap().unwrap());
        assert!(group.join_next().await.unwrap().unwrap());
    });
    check("grp/queued", here, 5);

    let mut local_group = TaskGroup::new().with_shutdown(&shutdown, "lg");
    let here = Location::caller();
    let seen = local.block_on(&runtime, async {
        local_group.spawn_local("local-task", flag()).unwrap();
        local_group.join_next().await.unwrap().unwrap()
    });
    assert!(seen);
    check("lg/local-task", here, 2);

    // `Instrumented::new` in a `JoinSet`.
    let here = Location::caller();
    let seen = runtime.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        set.spawn(Instrumented::new("in-a-set", flag()));
        set.join_next().await.unwrap().unwrap()
    });
    assert!(seen);
    check("in-a-set", here, 3);

    let report = runtime.block_on(shutdown.drain());
    assert!(report.is_clean(), "{report}");
}

/// `watchdog::spawn`: "# Panics Outside a Tokio runtime, as `tokio::spawn` does."
#[test]
#[should_panic(expected = "no reactor running")]
fn spawn_outside_a_runtime_panics_like_tokio_spawn() {
    drop(watchdog::spawn("nowhere", async {}));
}

/// `Phase::Returned`: "The poll that was reported as blocking has returned", and `Watchdog`:
/// after the drop "nothing is reported any more": a poll reported while it blocked, whose
/// watchdog is dropped before it returns, gets no `Returned` event (documented on `Returned`).
#[test]
fn a_poll_whose_watchdog_is_dropped_before_it_returns_gets_no_returned_event() {
    let _serial = serial();
    let reports = Reports::default();
    let watchdog = reports.watchdog(Duration::from_millis(10));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let dropped = Arc::new(AtomicBool::new(false));
    let task = {
        let _entered = runtime.enter();
        let reported = Arc::clone(&reports.blocking_seen);
        let dropped = Arc::clone(&dropped);
        watchdog::spawn("outlived", async move {
            block_until(&reported) && block_until(&dropped)
        })
    };
    assert!(block_until(&reports.blocking_seen));
    drop(watchdog);
    dropped.store(true, Ordering::SeqCst);
    assert!(runtime.block_on(task).unwrap());
    let phases: Vec<Phase> = reports.take().iter().map(|r| r.phase).collect();
    assert_eq!(phases, [Phase::Blocking]);
}

/// `Offender`: poll times come from the monitor's coarse clock, "precise to one sampling
/// interval" (documented on `Summary`): with a threshold so long that the monitor never
/// samples, a running task's polls are counted and every duration is zero.
#[test]
fn summary_durations_are_precise_to_one_sampling_interval() {
    let _serial = serial();
    let watchdog = Watchdog::builder()
        .threshold(Duration::MAX)
        .start()
        .unwrap();
    let runtime = current_thread();
    let (finish, finished) = tokio::sync::oneshot::channel::<()>();
    let task = {
        let _entered = runtime.enter();
        watchdog::spawn("busy", async {
            std::thread::sleep(Duration::from_millis(30));
            tokio::task::yield_now().await;
            finished.await.unwrap();
        })
    };
    runtime.block_on(async {
        // Two polls: the sleep and the yield, then the wait.
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
    });
    let summary = watchdog.summary(1);
    let busy = &summary.busiest[0];
    assert_eq!(busy.task, "busy");
    assert_eq!(busy.polls, 2);
    assert_eq!(busy.busy, Duration::ZERO);
    assert_eq!(busy.longest_poll, Duration::ZERO);
    finish.send(()).unwrap();
    runtime.block_on(task).unwrap();
}

/// `Summary`: "Tasks that have finished are included" when they stood out (a poll of more
/// than half the threshold, or busy time of at least the threshold; documented so): a
/// finished task that blocked for five thresholds is in both lists.
#[test]
fn a_finished_task_that_stood_out_stays_in_the_summary() {
    let _serial = serial();
    let watchdog = Watchdog::builder()
        .threshold(Duration::from_millis(40))
        .start()
        .unwrap();
    current_thread().block_on(async {
        watchdog::spawn("finished-slow", async {
            std::thread::sleep(Duration::from_millis(200));
        })
        .await
        .unwrap();
    });
    let summary = watchdog.summary(3);
    assert_eq!(summary.longest_polls[0].task, "finished-slow");
    assert_eq!(summary.busiest[0].task, "finished-slow");
    assert!(summary.longest_polls[0].longest_poll > Duration::from_millis(20));
}

/// Session 9 (item 5 of the brief): the rule name of real reports, of both phases, is a rule
/// of `asyncwise-lint` about blocking, and the report's text leads with it, so a report reads
/// like the analyzer's finding for the same code.
#[test]
fn real_reports_carry_the_analyzers_rule_name() {
    let _serial = serial();
    let seen: Seen = Arc::default();
    let blocking_seen = Arc::new(AtomicBool::new(false));
    let watchdog = Watchdog::builder()
        .threshold(Duration::from_millis(10))
        .on_blocked({
            let seen = Arc::clone(&seen);
            let blocking_seen = Arc::clone(&blocking_seen);
            move |report| {
                seen.lock().unwrap().push((report.clone(), None));
                if report.phase == Phase::Blocking {
                    blocking_seen.store(true, Ordering::SeqCst);
                }
            }
        })
        .start()
        .unwrap();
    let runtime = current_thread();
    let flag = Arc::clone(&blocking_seen);
    let reported = runtime.block_on(async move {
        watchdog::spawn("blocks", async move { block_until(&flag) })
            .await
            .unwrap()
    });
    assert!(reported, "never reported while blocking");
    drop(runtime);
    drop(watchdog);
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    let phases: Vec<Phase> = seen.iter().map(|(r, _)| r.phase).collect();
    assert_eq!(phases, [Phase::Blocking, Phase::Returned], "{seen:#?}");
    for (report, _) in &seen {
        let rule = asyncwise_lint::rules::find(report.rule)
            .unwrap_or_else(|| panic!("`{}` is not a rule of the analyzer", report.rule));
        assert!(
            rule.doc.to_lowercase().contains("block"),
            "`{}` is not the analyzer's blocking rule",
            rule.name
        );
        assert!(
            report
                .to_string()
                .starts_with(&format!("{}: task `blocks`", rule.name)),
            "{report}"
        );
    }
}

/// Session 9: "A poll seen in progress for longer than the threshold ... is reported once",
/// with an `Instrumented` future awaited inside a watched task (a second slot in progress on
/// the same thread, for the same poll): one `Blocking` report and one `Returned`, and
/// `Summary::blocked_polls` counts one poll.
#[test]
fn a_blocking_poll_inside_a_nested_instrumented_future_is_reported_once() {
    let _serial = serial();
    let seen: Seen = Arc::default();
    let blocking_seen = Arc::new(AtomicBool::new(false));
    let watchdog = Watchdog::builder()
        .threshold(Duration::from_millis(10))
        .on_blocked({
            let seen = Arc::clone(&seen);
            let blocking_seen = Arc::clone(&blocking_seen);
            move |report| {
                seen.lock().unwrap().push((report.clone(), None));
                if report.phase == Phase::Blocking {
                    blocking_seen.store(true, Ordering::SeqCst);
                }
            }
        })
        .start()
        .unwrap();
    let runtime = current_thread();
    let flag = Arc::clone(&blocking_seen);
    let reported = runtime.block_on(async move {
        watchdog::spawn("outer", async move {
            Instrumented::new("inner", async move {
                let reported = block_until(&flag);
                // More sampling intervals in the same poll: a second slot's report would
                // come now.
                std::thread::sleep(Duration::from_millis(25));
                reported
            })
            .await
        })
        .await
        .unwrap()
    });
    assert!(reported, "never reported while blocking");
    drop(runtime);
    let blocked_polls = watchdog.summary(5).blocked_polls;
    drop(watchdog);
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    let phases: Vec<Phase> = seen.iter().map(|(r, _)| r.phase).collect();
    assert_eq!(phases, [Phase::Blocking, Phase::Returned], "{seen:#?}");
    assert_eq!(seen[0].0.task, seen[1].0.task, "{seen:#?}");
    assert_eq!(blocked_polls, 1);
}

/// Session 11. `WatchdogBuilder::start`: "Tasks spawned through asyncwise from now on are
/// watched, until the returned `Watchdog` is dropped"; `Watchdog`: tasks spawned while an
/// earlier one ran keep their instrumentation, "but nothing is reported any more". A second
/// watchdog started after the first was dropped: a task spawned under the first, blocking
/// while the second runs, is reported by neither; a task spawned under the second, blocking
/// beside it on the other worker, is reported. The order is forced: the old task blocks
/// before the new one is spawned, until the second watchdog reported something, and then
/// twelve thresholds more.
#[test]
fn a_second_watchdog_reports_only_the_tasks_spawned_under_it() {
    let _serial = serial();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let first = Reports::default();
    let first_watchdog = first.watchdog(Duration::from_millis(5));
    let second = Reports::default();
    let (go, wait) = tokio::sync::oneshot::channel::<()>();
    let old_blocking = Arc::new(AtomicBool::new(false));
    let old = {
        let _entered = runtime.enter();
        let blocking = Arc::clone(&old_blocking);
        let reported = Arc::clone(&second.blocking_seen);
        watchdog::spawn("spawned-under-the-first", async move {
            wait.await.unwrap();
            blocking.store(true, Ordering::SeqCst);
            let reported = block_until(&reported);
            std::thread::sleep(Duration::from_millis(60));
            reported
        })
    };
    drop(first_watchdog);
    let second_watchdog = second.watchdog(Duration::from_millis(5));
    go.send(()).unwrap();
    assert!(block_until(&old_blocking));
    let new = {
        let _entered = runtime.enter();
        let reported = Arc::clone(&second.blocking_seen);
        watchdog::spawn(
            "spawned-under-the-second",
            async move { block_until(&reported) },
        )
    };
    assert!(runtime.block_on(new).unwrap());
    assert!(runtime.block_on(old).unwrap());
    drop(second_watchdog);
    let tasks: Vec<String> = second.take().iter().map(|r| r.task.to_string()).collect();
    assert!(!tasks.is_empty());
    assert!(
        tasks.iter().all(|task| task == "spawned-under-the-second"),
        "{tasks:?}"
    );
    assert!(first.take().is_empty());
}
