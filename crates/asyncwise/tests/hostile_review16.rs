//! Session 16's hostile review: each test quotes a sentence of the docs and tries the case a
//! hostile caller would (a sibling aborted for a group restart, a second shutdown, zero sizes, a
//! dropped handle, a callback that panics). Time is paused; nothing is asserted about how long
//! anything took.

use std::time::Duration;

use asyncwise::{BoxError, Jitter, RestartPolicy, RetryPolicy, Strategy, Supervisor};

#[path = "support/docs_setup.rs"]
mod docs_setup;

use docs_setup::cancelled_after;

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
        assert_eq!(deaf.restarts, 0, "stopped before the group restarted: {report}");
        assert!(deaf.last_error.is_none(), "{report}");
    }
}
