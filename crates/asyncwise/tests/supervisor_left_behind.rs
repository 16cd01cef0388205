//! A supervisor's child that blocks its thread through its abort, on the escalation path: the
//! error names it in `not_stopped` and the `tracing` warning names it too. A binary of its own,
//! because it reads that warning from a subscriber set for its thread (see
//! `support/captured_log.rs`).

use std::time::Duration;

use asyncwise::{BoxError, CancellationToken, RestartPolicy, Supervisor};

#[path = "support/captured_log.rs"]
mod captured_log;
#[path = "support/docs_setup.rs"]
mod docs_setup;
#[path = "support/supervised.rs"]
mod supervised;

use supervised::{ThreadBlocker, escalation};

/// `SupervisorError::Escalated::not_stopped`: "Aborted children that had still not stopped
/// `Shutdown::ABORT_SETTLE` after their abort ... Each is also in `aborted`, and named by a
/// `tracing` warning"; `Supervisor::run`: "a `tracing` warning names it in either case". A child
/// stuck in sync code beside a sibling that fails at once with a restart intensity of zero: the
/// escalation names the stuck child among the aborted and as not stopped, and the warning names
/// it as left behind (and only it). Multi-thread, real time (grace 10 ms, settle 1 s); the stuck child is
/// released after `run` returned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_escalation_names_a_child_blocking_its_thread_in_a_warning() {
    // `run` is polled on this thread (the test's `block_on`), where the supervisor warns.
    let (log, _guard) = captured_log::capture(tracing::Level::WARN);
    let blocker = ThreadBlocker::new();
    let started = std::sync::Arc::clone(&blocker.started);
    let supervisor = Supervisor::new(CancellationToken::new())
        .restart_intensity(0, Duration::from_secs(60))
        .shutdown_grace(Duration::from_millis(10))
        .child("stuck", RestartPolicy::Permanent, blocker.child())
        .child("crashy", RestartPolicy::Permanent, move |_| {
            let started = std::sync::Arc::clone(&started);
            async move {
                started.notified().await; // fails only once `stuck` blocks its thread
                Err::<(), BoxError>("crash".into())
            }
        });
    let escalated = escalation(supervisor.run().await);
    blocker.release();
    assert_eq!(escalated.child, "crashy");
    assert_eq!(escalated.aborted, ["stuck"]);
    assert_eq!(escalated.not_stopped, ["stuck"]);
    let text = log.text();
    let left_behind: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("did not stop within ABORT_SETTLE"))
        .collect();
    assert_eq!(left_behind.len(), 1, "{text}");
    assert!(left_behind[0].contains("child=stuck"), "{text}");
}
