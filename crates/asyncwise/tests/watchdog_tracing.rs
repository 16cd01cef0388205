//! The watchdog's `tracing` events. The `Blocking` report is emitted on the monitor thread, so
//! the subscriber is the process's global one: this binary holds this one test only.

// asyncwise: allow-file(blocking_in_async) -- the test blocks the executor on purpose, for the watchdog to report

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use asyncwise::watchdog::{self, Watchdog};

/// What the global subscriber wrote.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Log {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log")).into_owned()
    }
}

impl std::io::Write for Log {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log").extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Module docs: a blocking poll is reported as "a `tracing` warning with `rule =
/// "blocking_in_async"`, the task, its spawn location, the worker thread, how long it has
/// blocked so far and, on Linux, what the thread is doing", then "a second event gives its
/// total"; `on_blocked`: "Reports are always emitted as `tracing` warnings", and (this audit)
/// a callback's panic is a `tracing` error.
#[test]
fn reports_are_tracing_warnings_with_the_rule_the_task_and_its_location() {
    let log = Log::default();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::WARN)
        .with_writer({
            let log = log.clone();
            move || log.clone()
        })
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");

    let called = Arc::new(AtomicBool::new(false));
    let _watchdog = Watchdog::builder()
        .threshold(Duration::from_millis(10))
        .on_blocked({
            let called = Arc::clone(&called);
            move |_| {
                called.store(true, Ordering::SeqCst);
                panic!("callback bug");
            }
        })
        .start()
        .expect("watchdog");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let line = line!() + 3;
    let watched = runtime.block_on(async {
        let called = Arc::clone(&called);
        watchdog::spawn("traced", async move {
            let start = Instant::now();
            while !called.load(Ordering::SeqCst) && start.elapsed() < Duration::from_secs(10) {
                std::thread::sleep(Duration::from_millis(2));
            }
            called.load(Ordering::SeqCst)
        })
        .await
        .expect("no panic")
    });
    assert!(watched, "never reported");
    // The callback sets the flag before it panics: the monitor thread may
    // still be writing the error event of the `Blocking` report.
    let start = Instant::now();
    while log.text().matches("on_blocked callback panicked").count() < 2
        && start.elapsed() < Duration::from_secs(10)
    {
        std::thread::sleep(Duration::from_millis(1));
    }
    let text = log.text();
    let lines: Vec<&str> = text.lines().collect();
    let location = format!("spawned_at={}:{line}:", file!());
    let blocking = lines
        .iter()
        .find(|l| l.contains("has been blocking its executor thread"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(blocking.contains("WARN"), "{blocking}");
    assert!(
        blocking.contains(r#"rule="blocking_in_async""#),
        "{blocking}"
    );
    assert!(blocking.contains("task=traced"), "{blocking}");
    assert!(blocking.contains(&location), "{blocking}");
    assert!(blocking.contains("thread="), "{blocking}");
    assert!(blocking.contains("blocked_ms="), "{blocking}");
    if cfg!(target_os = "linux") {
        assert!(blocking.contains("sleep"), "{blocking}");
    }
    let returned = lines
        .iter()
        .find(|l| l.contains("blocking poll returned after"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(returned.contains("WARN") && returned.contains("task=traced"));
    assert!(returned.contains(&location), "{returned}");
    let panics: Vec<&&str> = lines
        .iter()
        .filter(|l| l.contains("on_blocked callback panicked"))
        .collect();
    assert_eq!(panics.len(), 2, "{text}");
    assert!(
        panics
            .iter()
            .all(|l| l.contains("ERROR") && l.contains("callback bug"))
    );
}
