//! Behaviour of `Shutdown`: drain deadlines and the straggler report.

use std::time::Duration;

use asyncwise::{BoxError, Shutdown, Trigger};
use tokio::sync::oneshot;
use tokio::time::Instant;

struct DropGuard(Option<oneshot::Sender<()>>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        if let Some(tx) = self.0.take() {
            let _ = tx.send(());
        }
    }
}

#[tokio::test(start_paused = true)]
async fn straggler_report_names_the_tasks_that_did_not_stop_and_aborts_them() {
    let shutdown = Shutdown::with_deadline(Duration::from_secs(5));

    let token = shutdown.child_token();
    shutdown.spawn("polite", async move { token.cancelled().await });

    let token = shutdown.child_token();
    shutdown.spawn("slow-flush", async move {
        token.cancelled().await;
        // Needs 3s to flush after the trigger: within the 5s deadline.
        tokio::time::sleep(Duration::from_secs(3)).await;
    });

    let (tx, deaf_dropped) = oneshot::channel();
    let deaf_line = line!() + 1;
    shutdown.spawn("deaf", async move {
        let _guard = DropGuard(Some(tx));
        std::future::pending::<()>().await;
    });

    let token = shutdown.child_token();
    let too_slow_line = line!() + 1;
    shutdown.spawn(format!("too-slow-{}", 7), async move {
        token.cancelled().await;
        tokio::time::sleep(Duration::from_secs(60)).await;
    });

    shutdown.spawn("already-done", async {});
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(shutdown.running().len(), 4);

    let start = Instant::now();
    shutdown.trigger();
    let report = shutdown.drain().await;
    assert_eq!(start.elapsed(), Duration::from_secs(5));
    assert_eq!(report.drain_time, Duration::from_secs(5));
    assert_eq!(report.trigger, Trigger::Requested);

    let named: Vec<(&str, &str, u32)> = report
        .stragglers
        .iter()
        .map(|t| (t.name.as_ref(), t.location.file(), t.location.line()))
        .collect();
    assert_eq!(
        named,
        [
            ("deaf", file!(), deaf_line),
            ("too-slow-7", file!(), too_slow_line)
        ]
    );
    // Started 15s before the report was built.
    assert_eq!(
        report.stragglers[0].started.elapsed(),
        Duration::from_secs(15)
    );
    assert_eq!(report.code(), 124);
    let text = report.to_string();
    assert!(text.contains("2 task(s) did not stop"), "{text}");
    assert!(
        text.contains(&format!("`deaf` spawned at {}:{deaf_line}", file!())),
        "{text}"
    );
    assert!(
        !text.contains("polite") && !text.contains("slow-flush"),
        "{text}"
    );

    // The stragglers were aborted: their futures are dropped.
    tokio::time::timeout(Duration::from_secs(1), deaf_dropped)
        .await
        .expect("aborted promptly")
        .expect("guard fired");
    tokio::task::yield_now().await;
    assert!(shutdown.running().is_empty());
}

#[tokio::test(start_paused = true)]
async fn drain_returns_as_soon_as_everything_stopped() {
    let shutdown = Shutdown::with_deadline(Duration::from_secs(30));
    for i in 0..5_u64 {
        let token = shutdown.child_token();
        shutdown.spawn(format!("worker-{i}"), async move {
            token.cancelled().await;
            tokio::time::sleep(Duration::from_millis(100 * i)).await;
        });
    }
    let start = Instant::now();
    let report = shutdown.drain().await;
    assert_eq!(start.elapsed(), Duration::from_millis(400));
    assert!(report.stragglers.is_empty());
    assert!(report.is_clean());
}

#[tokio::test(start_paused = true)]
async fn tasks_spawned_during_the_drain_are_waited_for() {
    let shutdown = Shutdown::with_deadline(Duration::from_secs(10));
    let spawner = shutdown.clone();
    shutdown.spawn("batcher", async move {
        spawner.triggered().await;
        spawner.spawn("final-flush", async {
            tokio::time::sleep(Duration::from_secs(2)).await;
        });
    });
    let start = Instant::now();
    let report = shutdown.drain().await;
    assert_eq!(start.elapsed(), Duration::from_secs(2));
    assert!(report.is_clean());
}

#[tokio::test(start_paused = true)]
async fn a_panicking_tracked_task_still_reaches_its_handle() {
    let shutdown = Shutdown::new();
    let handle = shutdown.spawn("bad", async {
        tokio::task::yield_now().await;
        panic!("tracked panic");
    });
    let err = handle.await.unwrap_err();
    assert!(err.is_panic());
    assert_eq!(
        err.into_panic()
            .downcast_ref::<String>()
            .map(String::as_str),
        Some("tracked panic")
    );
    assert!(shutdown.running().is_empty());
}

#[tokio::test(start_paused = true)]
async fn run_reports_a_stuck_main_as_a_straggler() {
    let report = Shutdown::with_deadline(Duration::from_secs(1))
        .run(|shutdown| async move {
            let trigger = shutdown.clone();
            shutdown.spawn("trigger", async move {
                tokio::time::sleep(Duration::from_secs(3)).await;
                trigger.trigger();
            });
            // Ignores the shutdown entirely.
            std::future::pending::<Result<(), BoxError>>().await
        })
        .await
        .unwrap();
    assert_eq!(report.trigger, Trigger::Requested);
    let names: Vec<_> = report.stragglers.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(names, ["main"]);
    assert_eq!(report.stragglers[0].location.file(), file!());
    assert_eq!(report.code(), 124);
}
