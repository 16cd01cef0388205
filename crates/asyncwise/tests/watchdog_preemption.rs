//! Module docs of the watchdog: "Time the thread spent preempted by the operating system (on
//! Linux, from its `schedstat`) does not count, so an overloaded machine does not make
//! well-behaved tasks look blocking."
//!
//! The scenario runs in a child process (this test binary again, the ignored `child_entry`
//! test) pinned to one CPU with `taskset`, beside a thread that spins on that CPU: the worker
//! thread is preempted for whole time slices, often in the middle of a poll. Short polls must
//! not be reported; a poll that really blocks (a sleep) still is, so the watchdog is shown to
//! work under the same pinning.
#![cfg(target_os = "linux")]
// asyncwise: allow-file(blocking_in_async) -- the control task blocks the executor on purpose, for the watchdog to report

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use asyncwise::watchdog::{self, Phase, Watchdog};

const CHILD: &str = "ASYNCWISE_PREEMPTION_CHILD";

#[test]
fn a_worker_preempted_in_the_middle_of_short_polls_is_not_reported() {
    let exe = std::env::current_exe().expect("test binary path");
    let output = Command::new("taskset")
        .args(["-c", "0"])
        .arg(exe)
        .args(["--ignored", "--exact", "child_entry", "--nocapture"])
        .env(CHILD, "1")
        .output()
        .expect("taskset (util-linux) runs the child pinned to one CPU");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    // The harness may print `test child_entry ... ` on the same line.
    let line = stdout
        .lines()
        .find_map(|l| l.find("result polls=").map(|at| &l[at..]))
        .unwrap_or_else(|| panic!("no result line: {stdout}\n{stderr}"));
    let field = |name: &str| -> u64 {
        line.split_whitespace()
            .find_map(|f| f.strip_prefix(name)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} missing in {line}"))
    };
    assert!(field("polls") > 10_000, "{line}");
    assert_eq!(field("short_reported"), 0, "{line}");
    assert_eq!(field("control_reported"), 1, "{line}");
}

/// The pinned child (see the module documentation).
#[test]
#[ignore = "entry point of the child process started by the other test"]
fn child_entry() {
    if std::env::var(CHILD).is_err() {
        return;
    }
    let short_reported = Arc::new(AtomicU64::new(0));
    let control_reported = Arc::new(AtomicU64::new(0));
    let watchdog = Watchdog::builder()
        .threshold(Duration::from_millis(5))
        .on_blocked({
            let short_reported = Arc::clone(&short_reported);
            let control_reported = Arc::clone(&control_reported);
            move |report| {
                if report.phase != Phase::Blocking {
                    return;
                }
                let counter = if report.task == "control" {
                    &control_reported
                } else {
                    eprintln!("reported: {report}");
                    &short_reported
                };
                counter.fetch_add(1, Ordering::SeqCst);
            }
        })
        .start()
        .expect("watchdog");
    let stop = Arc::new(AtomicBool::new(false));
    let spinner = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::hint::spin_loop();
            }
        })
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let polls = runtime.block_on(async {
        let polls = Arc::new(AtomicU64::new(0));
        let start = Instant::now();
        // About a second of short polls, shared with the spinner.
        while start.elapsed() < Duration::from_secs(1) {
            let mut tasks = Vec::with_capacity(100);
            for n in 0..100 {
                let polls = Arc::clone(&polls);
                tasks.push(watchdog::spawn(format!("short-{n}"), async move {
                    for _ in 0..20 {
                        polls.fetch_add(1, Ordering::Relaxed);
                        tokio::task::yield_now().await;
                    }
                }));
            }
            for task in tasks {
                task.await.expect("short task");
            }
        }
        // The control: a poll that really blocks its thread.
        watchdog::spawn("control", async {
            std::thread::sleep(Duration::from_millis(100));
        })
        .await
        .expect("control task");
        polls.load(Ordering::Relaxed)
    });
    stop.store(true, Ordering::Relaxed);
    spinner.join().expect("spinner");
    drop(watchdog);
    println!(
        "result polls={polls} short_reported={} control_reported={}",
        short_reported.load(Ordering::SeqCst),
        control_reported.load(Ordering::SeqCst)
    );
}
