//! `Shutdown::run` dropped in its last wait: after its drain, while it waits for the handle of a
//! `main` that blocks its thread. A binary of its own, because the test learns that `run` has
//! reached that wait from a `tracing` event on its own thread (see `support/captured_log.rs`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use asyncwise::{BoxError, Shutdown, TaskError};
use tokio::sync::Notify;

/// A `tracing` writer that wakes `seen` once a line containing `needle` has been written.
#[derive(Clone)]
struct WakeOn {
    needle: &'static str,
    written: Arc<Mutex<String>>,
    seen: Arc<Notify>,
}

impl std::io::Write for WakeOn {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let mut written = self.written.lock().expect("log");
        written.push_str(&String::from_utf8_lossy(bytes));
        if written.contains(self.needle) {
            self.seen.notify_one();
        }
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `Shutdown::run`, "Cancel safety": "If the future of `run` is dropped before it returns ...,
/// its report is lost but nothing it would have held", and a drain on a clone reports the
/// tracked tasks, "with `main`'s failure among the failures (under the name `main`) and the
/// stragglers the dropped drain had already cut" — and the tasks it had found still running
/// `ABORT_SETTLE` after their abort (`ShutdownReport::not_stopped`).
///
/// `main` triggers the shutdown and then blocks its worker thread (sync code: the abort at the
/// 20 ms deadline cannot act). `run`'s drain waits `ABORT_SETTLE`, names `main` as not stopped
/// (the warning the test waits for) and then waits for `main`'s handle; the test drops `run`
/// right there, then lets `main` go (it returns an error), then drains a clone. Multi-thread
/// and real time (a blocked thread does not let paused time advance); the order of events is
/// forced by the warning and the release, nothing is asserted about how long anything took.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_dropped_while_waiting_for_a_blocked_main_leaves_everything_to_the_next_drain() {
    let seen = Arc::new(Notify::new());
    let writer = WakeOn {
        needle: "did not stop within ABORT_SETTLE",
        written: Arc::default(),
        seen: Arc::clone(&seen),
    };
    let written = Arc::clone(&writer.written);
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::WARN)
        .with_writer(move || writer.clone())
        .finish();
    // `run` is polled on this thread (the test's `block_on`), which is where the drain warns.
    let _log = tracing::subscriber::set_default(subscriber);

    let (release, released) = std::sync::mpsc::channel::<()>();
    let (main_done, main_dropped) = tokio::sync::oneshot::channel::<()>();
    let shutdown = Shutdown::with_deadline(Duration::from_millis(20)).exit_on_force(false);
    let observer = shutdown.clone();
    let run = shutdown.run(move |shutdown| async move {
        let _done = main_done; // dropped (closing the channel) when main's future is
        shutdown.trigger();
        // asyncwise: allow(blocking_in_async) -- main blocks its thread on purpose: the abort cannot stop it
        let _ = released.recv();
        Err::<(), BoxError>("main gave up late".into())
    });
    tokio::select! {
        biased;
        () = seen.notified() => {} // `run` is now waiting for main's handle: dropped here
        report = run => panic!("run returned before the test dropped it: {:?}", report.map(|r| r.to_string())),
    }
    assert!(observer.is_triggered());
    release.send(()).expect("main is blocked, waiting");
    let _ = main_dropped.await; // main returned and its future is gone
    let report = observer.drain().await;
    let names = |tasks: &[asyncwise::TaskInfo]| -> Vec<String> {
        tasks.iter().map(|t| t.name.to_string()).collect()
    };
    assert_eq!(names(&report.stragglers), ["main"], "{report}");
    assert_eq!(
        names(&report.not_stopped),
        ["main"],
        "the dropped run's finding is lost\n{report}\nlog:\n{}",
        written.lock().unwrap()
    );
    let failures: Vec<(String, String)> = report
        .failures
        .iter()
        .map(|f| (f.task.name.to_string(), f.error.to_string()))
        .collect();
    assert_eq!(failures.len(), 1, "{report}");
    assert_eq!(failures[0].0, "main");
    assert!(failures[0].1.contains("main gave up late"), "{report}");
    assert!(matches!(report.failures[0].error, TaskError::Failed { .. }));
    assert_eq!(report.exit_code(), 1, "{report}");
    assert!(observer.running().is_empty());
}
