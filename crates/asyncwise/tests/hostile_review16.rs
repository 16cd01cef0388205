//! Session 16's hostile review: each test quotes a sentence of the docs and tries the case a
//! hostile caller would (a sibling aborted for a group restart, a second shutdown, zero sizes, a
//! dropped handle, a callback that panics). Time is paused; nothing is asserted about how long
//! anything took.

use std::time::Duration;

use asyncwise::{BoxError, Jitter, RestartPolicy, RetryPolicy, Strategy, Supervisor};

#[path = "support/docs_setup.rs"]
mod docs_setup;

use docs_setup::{PanicOnDrop, cancelled_after};

mod supervisor {
    use super::*;

    /// `ChildReport::last_error`: "`None` when that last run ... was aborted"; it is set only
    /// for a run that "failed or panicked". A deaf sibling aborted at the end of the grace of a
    /// group restart did neither: when the supervisor stops before the group restarts, its
    /// report must not say it panicked.
    #[tokio::test(start_paused = true)]
    async fn a_sibling_aborted_for_a_group_restart_is_not_reported_as_panicked() {
        let report = Supervisor::new(cancelled_after(Duration::from_secs(5)))
            .strategy(Strategy::OneForAll)
            .shutdown_grace(Duration::from_secs(1))
            .restart_policy(RetryPolicy::exponential(Duration::from_secs(10)).jitter(Jitter::None))
            .child("deaf", RestartPolicy::Permanent, |_| {
                std::future::pending::<Result<(), BoxError>>()
            })
            .child("db", RestartPolicy::Transient, |_| async {
                Err::<(), BoxError>("lost connection".into())
            })
            .run()
            .await
            .expect("shut down");
        assert!(report.shut_down, "{report}");
        let deaf = &report.children[0];
        assert_eq!(
            deaf.restarts, 0,
            "stopped before the group restarted: {report}"
        );
        assert!(deaf.last_error.is_none(), "{report}");
    }

    /// `RestartPolicy::Temporary`: "Never restarted", also when a sibling's failure restarts
    /// the group (`Strategy::OneForAll`: the others "are stopped ... and all restart
    /// together"): a temporary child stopped for the group restart stays stopped (as
    /// Erlang/OTP does), and the group's other children restart once it has stopped (it takes
    /// 3 s after its token, longer than the 1 s restart delay).
    #[tokio::test(start_paused = true)]
    async fn a_temporary_sibling_is_not_restarted_by_a_group_restart() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, Ordering};
        let token = tokio_util::sync::CancellationToken::new();
        let stop = token.clone();
        let (runs_tx, mut runs_rx) = tokio::sync::mpsc::unbounded_channel();
        let once_stopped = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&once_stopped);
        let seen_by_db = Arc::new(AtomicBool::new(false));
        let seen = Arc::clone(&seen_by_db);
        let report = Supervisor::new(token)
            .strategy(Strategy::OneForAll)
            .restart_policy(RetryPolicy::exponential(Duration::from_secs(1)).jitter(Jitter::None))
            .shutdown_grace(Duration::from_secs(10))
            .child("once", RestartPolicy::Temporary, move |ctx| {
                let _ = runs_tx.send(ctx.restarts());
                let stopped = Arc::clone(&stopped);
                async move {
                    ctx.token().cancelled().await;
                    tokio::time::sleep(Duration::from_secs(3)).await; // cleaning up
                    stopped.store(true, Ordering::SeqCst);
                    Ok::<(), BoxError>(())
                }
            })
            .child("db", RestartPolicy::Transient, move |ctx| {
                let stop = stop.clone();
                let stopped = Arc::clone(&once_stopped);
                let seen = Arc::clone(&seen);
                async move {
                    if ctx.restarts() == 0 {
                        return Err::<(), BoxError>("lost connection".into());
                    }
                    seen.store(stopped.load(Ordering::SeqCst), Ordering::SeqCst);
                    stop.cancel(); // second run: end the test
                    Ok(())
                }
            })
            .run()
            .await
            .expect("shut down");
        let restarts: Vec<u32> = report.children.iter().map(|c| c.restarts).collect();
        assert_eq!(restarts, [0, 1], "{report}");
        assert_eq!(runs_rx.recv().await, Some(0));
        assert!(runs_rx.try_recv().is_err(), "the temporary child ran again");
        assert!(
            seen_by_db.load(Ordering::SeqCst),
            "the group restarted before its temporary child had stopped"
        );
    }

    /// `ChildContext::token`: cancelled when the supervisor "stops this run for a group restart";
    /// `Strategy::OneForAll`: "their token is cancelled; after the shutdown grace period they
    /// are aborted". A sibling that returns on its token, with a grace of an hour: it sees the
    /// cancellation (the restart does not wait for the grace's abort), and the group restarts.
    #[tokio::test(start_paused = true)]
    async fn a_sibling_sees_its_token_cancelled_for_a_group_restart() {
        let token = tokio_util::sync::CancellationToken::new();
        let stop = token.clone();
        let (seen_tx, mut seen_rx) = tokio::sync::mpsc::unbounded_channel();
        let report = Supervisor::new(token)
            .strategy(Strategy::OneForAll)
            .shutdown_grace(Duration::from_secs(3_600))
            .restart_policy(RetryPolicy::exponential(Duration::from_secs(1)).jitter(Jitter::None))
            .child("cache", RestartPolicy::Permanent, move |ctx| {
                let seen_tx = seen_tx.clone();
                async move {
                    ctx.token().cancelled().await;
                    let _ = seen_tx.send(ctx.restarts());
                    Ok::<(), BoxError>(())
                }
            })
            .child("db", RestartPolicy::Transient, move |ctx| {
                let stop = stop.clone();
                async move {
                    if ctx.restarts() == 0 {
                        return Err::<(), BoxError>("lost connection".into());
                    }
                    stop.cancel(); // second run: end the test
                    Ok(())
                }
            })
            .run()
            .await
            .expect("shut down");
        assert!(report.aborted.is_empty(), "{report}");
        let restarts: Vec<u32> = report.children.iter().map(|c| c.restarts).collect();
        assert_eq!(restarts, [1, 1], "{report}");
        assert_eq!(seen_rx.recv().await, Some(0), "the first run saw its token");
        assert_eq!(
            seen_rx.recv().await,
            Some(1),
            "the second run saw the shutdown"
        );
    }

    /// `ChildReport::last_error`: "How its last run ended, if it ended with an error: also a run
    /// that ended while the supervisor was stopping (it failed or panicked ...)"; `TaskGroup`
    /// reports a panic "while dropped" as `Panicked`. A deaf child aborted at the end of the
    /// grace whose future panics as it is dropped: the panic must not vanish.
    #[tokio::test(start_paused = true)]
    async fn a_child_panicking_in_drop_when_aborted_at_the_grace_reports_the_panic() {
        let report = Supervisor::new(cancelled_after(Duration::from_secs(1)))
            .shutdown_grace(Duration::from_secs(1))
            .child("deaf", RestartPolicy::Permanent, |_| {
                let guard = PanicOnDrop("cleanup exploded");
                async move {
                    let _guard = guard;
                    std::future::pending::<Result<(), BoxError>>().await
                }
            })
            .run()
            .await
            .expect("shut down");
        assert_eq!(report.aborted, ["deaf"], "{report}");
        match &report.children[0].last_error {
            Some(asyncwise::TaskError::Panicked { message, .. }) => {
                assert_eq!(message, "cleanup exploded");
            }
            other => panic!("the panic in drop is lost: {other:?}"),
        }
    }

    /// The same child in a supervisor made `with_shutdown`: `with_shutdown` promises "its
    /// failures and panics are recorded in the report" of the shutdown; the panic of its drop is
    /// in both reports, once in the shutdown's.
    #[tokio::test(start_paused = true)]
    async fn a_tracked_child_panicking_in_drop_when_aborted_is_in_both_reports() {
        let shutdown = asyncwise::Shutdown::with_deadline(Duration::from_secs(10));
        let supervisor = Supervisor::new(shutdown.child_token())
            .name("workers")
            .shutdown_grace(Duration::from_secs(1))
            .with_shutdown(&shutdown)
            .child("deaf", RestartPolicy::Permanent, |_| {
                let guard = PanicOnDrop("cleanup exploded");
                async move {
                    let _guard = guard;
                    std::future::pending::<Result<(), BoxError>>().await
                }
            });
        let supervised = tokio::spawn(supervisor.run());
        tokio::task::yield_now().await;
        let drained = shutdown.drain().await;
        let report = supervised.await.expect("no panic").expect("shut down");
        assert!(
            matches!(&report.children[0].last_error, Some(asyncwise::TaskError::Panicked { message, .. }) if message == "cleanup exploded"),
            "{report}"
        );
        let failures: Vec<String> = drained
            .failures
            .iter()
            .map(|failure| failure.error.to_string())
            .collect();
        assert_eq!(
            failures,
            ["task `workers/deaf` panicked: cleanup exploded"],
            "{drained}"
        );
    }
}

mod task_group {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use asyncwise::TaskGroup;

    /// `TaskGroup::shutdown`: "waits until every task has stopped (within the grace period)";
    /// the type's docs: "A poll that is already running ... runs on to its next `.await`:
    /// nothing can stop a poll midway". A task blocking its thread when the group shuts down
    /// (zero grace): `shutdown` returns only once that poll has ended, not at the end of the
    /// grace. Multi-thread: the task is released by a thread that waits for the group's token
    /// to fire, so the release comes after the shutdown began; nothing is timed.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_group_shutdown_waits_for_a_poll_that_blocks_its_thread() {
        let mut group = TaskGroup::<()>::new();
        let token = group.cancellation_token();
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let finished = Arc::new(AtomicBool::new(false));
        let done = Arc::clone(&finished);
        group
            .spawn("stuck", async move {
                let _ = started_tx.send(());
                while !token.is_cancelled() {
                    // asyncwise: allow(blocking_in_async) -- blocks its thread on purpose until the group is cancelled
                    std::thread::sleep(Duration::from_millis(1));
                }
                // Still in the same poll: the cancellation cannot cut it.
                // asyncwise: allow(blocking_in_async) -- the same poll, on purpose
                std::thread::sleep(Duration::from_millis(20));
                done.store(true, Ordering::SeqCst);
            })
            .expect("spawned");
        tokio::task::spawn_blocking(move || started_rx.recv())
            .await
            .expect("joined")
            .expect("the task started");
        group.shutdown().await;
        assert!(
            finished.load(Ordering::SeqCst),
            "shutdown returned while the task's poll still ran"
        );
        assert!(group.is_empty());
    }
}
