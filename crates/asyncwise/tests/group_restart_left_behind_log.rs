//! `Strategy::OneForAll`: a sibling left behind by a group restart "a `tracing` warning names
//! it". A binary of its own, because it reads that warning from a subscriber set for its thread
//! (see `support/captured_log.rs`).

use std::time::Duration;

use asyncwise::{BoxError, CancellationToken, RestartPolicy, Strategy, Supervisor};

#[path = "support/captured_log.rs"]
mod captured_log;
#[path = "support/docs_setup.rs"]
mod docs_setup;
#[path = "support/supervised.rs"]
mod supervised;

use supervised::ThreadBlocker;

/// A child stuck in sync code beside a sibling that fails once it blocks: the group restarts
/// without it (the sibling's second run stops the supervisor), and one warning, naming it and
/// only it, says it was left behind by the group restart. Multi-thread, real time (grace 10 ms,
/// settle 1 s, twice); the stuck child is released after `run` returned. A minute's guard turns
/// a hang into a failure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sibling_left_behind_by_a_group_restart_is_named_in_a_warning() {
    // `run` is polled on this thread (the test's `block_on`), where the supervisor warns.
    let (log, _guard) = captured_log::capture(tracing::Level::WARN);
    let blocker = ThreadBlocker::new();
    let started = std::sync::Arc::clone(&blocker.started);
    let token = CancellationToken::new();
    let stop = token.clone();
    let supervisor = Supervisor::new(token)
        .strategy(Strategy::OneForAll)
        .shutdown_grace(Duration::from_millis(10))
        .child("stuck", RestartPolicy::Permanent, blocker.child())
        .child("crashy", RestartPolicy::Permanent, move |ctx| {
            let started = std::sync::Arc::clone(&started);
            let stop = stop.clone();
            async move {
                if ctx.restarts() == 0 {
                    started.notified().await; // fails only once `stuck` blocks its thread
                    return Err::<(), BoxError>("crash".into());
                }
                stop.cancel(); // restarted without `stuck`: end the test
                Ok(())
            }
        });
    let report = tokio::time::timeout(Duration::from_secs(60), supervisor.run())
        .await
        .expect("the group restart waited for the stuck child")
        .expect("shut down");
    blocker.release();
    assert_eq!(report.children[1].restarts, 1, "{report}");
    assert_eq!(report.not_stopped, ["stuck"], "{report}");
    let text = log.text();
    let left_behind: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("the group restarts without it"))
        .collect();
    assert_eq!(left_behind.len(), 1, "{text}");
    assert!(left_behind[0].contains("child=stuck"), "{text}");
}
