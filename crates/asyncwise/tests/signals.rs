//! Real signals sent to this test process. Kept in its own test binary (and
//! in one test function, run sequentially) so the signals cannot reach any
//! other test: once `Shutdown::run` has installed Tokio's handlers, SIGTERM
//! and SIGINT no longer kill the process.
#![cfg(unix)]

use std::time::Duration;

use asyncwise::{BoxError, Shutdown, Signal, Trigger};

/// Sends `signal` to this process with the shell's `kill` builtin (the
/// workspace forbids `unsafe`, so no direct `libc::kill`).
async fn send(signal: &str) {
    let status = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(r#"kill -s "$1" "$2""#)
        .arg("sh")
        .arg(signal)
        .arg(std::process::id().to_string())
        .status()
        .await
        .expect("run sh");
    assert!(status.success(), "kill -s {signal} failed: {status}");
}

#[tokio::test]
async fn sigterm_drains_and_a_second_signal_forces_exit() {
    // 1. One SIGTERM: graceful drain, clean exit.
    let report = Shutdown::with_deadline(Duration::from_secs(30))
        .run(|shutdown| async move {
            let token = shutdown.child_token();
            shutdown.spawn("polite", async move { token.cancelled().await });
            send("TERM").await;
            shutdown.triggered().await;
            Ok::<_, BoxError>(())
        })
        .await
        .expect("signal handlers installed");
    assert_eq!(report.trigger, Trigger::Signal(Signal::Terminate));
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.code(), 0);

    // 2. SIGINT starts the drain, a task ignores it, SIGTERM forces the exit
    //    long before the 60 s deadline.
    let started = std::time::Instant::now();
    let report = Shutdown::with_deadline(Duration::from_secs(60))
        .run(|shutdown| async move {
            shutdown.spawn("stubborn", std::future::pending::<()>());
            send("INT").await;
            shutdown.triggered().await;
            send("TERM").await;
            std::future::pending::<Result<(), BoxError>>().await
        })
        .await
        .expect("signal handlers installed");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "was not forced"
    );
    assert_eq!(report.trigger, Trigger::Signal(Signal::Interrupt));
    assert_eq!(report.forced_by, Some(Signal::Terminate));
    assert_eq!(report.code(), 143);
    let names: Vec<_> = report.stragglers.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(names, ["main", "stubborn"]);
    eprintln!("{report}");
}
