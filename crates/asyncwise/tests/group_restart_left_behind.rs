//! Session 16: a supervisor's group restart (`Strategy::OneForAll`) beside a sibling that blocks
//! its thread, and what an escalation says about a child it left behind.
//!
//! A child stuck in sync code cannot be stopped: its token is not read and an abort acts only
//! when it yields. The docs promise that the group restart goes on without it once its abort has
//! had `Shutdown::ABORT_SETTLE` to act, that its run and a new one never overlap (it is restarted
//! once its stuck run ends), and that a supervisor which stops while it is still stuck names it
//! in `not_stopped` (the report's or the escalation's). These tests need a multi-thread runtime
//! and real time (a blocked worker thread stops paused time from advancing); they learn where the
//! supervisor is from channels and assert on reports and states, never on how long anything
//! took. A guard of a minute turns a hang (the behaviour before session 16) into a failure.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use asyncwise::{
    BoxError, CancellationToken, ChildContext, Jitter, RestartPolicy, RetryPolicy, Strategy,
    Supervisor, SupervisorError, SupervisorReport,
};
use tokio::sync::{Notify, mpsc};

/// Long enough for any of these runs (each takes about two `ABORT_SETTLE`s) on a loaded machine;
/// reached only when the supervisor hangs.
const HANG_GUARD: Duration = Duration::from_secs(60);

/// Children of a group: `stuck`, whose first run blocks its worker thread until the test lets it
/// go and whose later runs report their restart count and wait for their token, and `db`, whose
/// first run fails once `stuck` blocks and whose later runs report their restart count and wait
/// for their token (or fail again, for an escalation).
struct Group {
    /// Notified (a stored permit) when `stuck`'s first run has started blocking.
    stuck_blocking: Arc<Notify>,
    release: std::sync::mpsc::Sender<()>,
    released: Arc<Mutex<std::sync::mpsc::Receiver<()>>>,
    stuck_runs: mpsc::UnboundedSender<u32>,
    db_runs: mpsc::UnboundedSender<u32>,
}

/// What the test reads: the restart count of each later run of `stuck` and of `db`.
struct Runs {
    stuck: mpsc::UnboundedReceiver<u32>,
    db: mpsc::UnboundedReceiver<u32>,
}

impl Group {
    fn new() -> (Self, Runs) {
        let (release, released) = std::sync::mpsc::channel();
        let (stuck_runs, stuck) = mpsc::unbounded_channel();
        let (db_runs, db) = mpsc::unbounded_channel();
        let group = Group {
            stuck_blocking: Arc::new(Notify::new()),
            release,
            released: Arc::new(Mutex::new(released)),
            stuck_runs,
            db_runs,
        };
        (group, Runs { stuck, db })
    }

    /// A `OneForAll` supervisor with a jitter-free restart delay of 10 ms, a grace of 10 ms,
    /// and `stuck` then `db`; `db`'s later runs fail too when `db_keeps_failing`.
    fn supervisor(
        &self,
        token: CancellationToken,
        max_restarts: usize,
        db_keeps_failing: bool,
    ) -> Supervisor {
        self.supervisor_with(token, Strategy::OneForAll, max_restarts, db_keeps_failing)
    }

    /// The same with `strategy`; under `RestForOne` the children are added as `db` then
    /// `stuck`, so that `stuck` is restarted with `db`.
    fn supervisor_with(
        &self,
        token: CancellationToken,
        strategy: Strategy,
        max_restarts: usize,
        db_keeps_failing: bool,
    ) -> Supervisor {
        let blocking = Arc::clone(&self.stuck_blocking);
        let released = Arc::clone(&self.released);
        let stuck_runs = self.stuck_runs.clone();
        let stuck_blocking = Arc::clone(&self.stuck_blocking);
        let db_runs = self.db_runs.clone();
        let supervisor = Supervisor::new(token)
            .strategy(strategy)
            .restart_intensity(max_restarts, Duration::from_secs(600))
            .restart_policy(
                RetryPolicy::exponential(Duration::from_millis(10)).jitter(Jitter::None),
            )
            .shutdown_grace(Duration::from_millis(10));
        let stuck = move |ctx: ChildContext| {
            let blocking = Arc::clone(&blocking);
            let released = Arc::clone(&released);
            let stuck_runs = stuck_runs.clone();
            async move {
                if ctx.restarts() == 0 {
                    // Woken from this worker, `db` would wait in its LIFO slot, which no
                    // other worker takes from, behind the block below: notify from a thread
                    // of its own.
                    drop(std::thread::spawn(move || blocking.notify_one()));
                    // asyncwise: allow(blocking_in_async) -- blocks its thread on purpose: no token or abort can stop it
                    let _ = released.lock().expect("release channel").recv();
                    return Ok::<(), BoxError>(());
                }
                let _ = stuck_runs.send(ctx.restarts());
                ctx.token().cancelled().await;
                Ok(())
            }
        };
        let db = move |ctx: ChildContext| {
            let stuck_blocking = Arc::clone(&stuck_blocking);
            let db_runs = db_runs.clone();
            async move {
                if ctx.restarts() == 0 {
                    stuck_blocking.notified().await;
                    return Err::<(), BoxError>("lost connection".into());
                }
                let _ = db_runs.send(ctx.restarts());
                if db_keeps_failing {
                    return Err("lost connection again".into());
                }
                ctx.token().cancelled().await;
                Ok(())
            }
        };
        match strategy {
            Strategy::RestForOne => supervisor.child("db", RestartPolicy::Permanent, db).child(
                "stuck",
                RestartPolicy::Permanent,
                stuck,
            ),
            _ => supervisor
                .child("stuck", RestartPolicy::Permanent, stuck)
                .child("db", RestartPolicy::Permanent, db),
        }
    }

    /// Lets `stuck`'s first run return.
    fn release(&self) {
        let _ = self.release.send(());
    }
}

/// Runs `supervisor` beside `drive` (on this thread), failing on a hang.
async fn run_beside(
    supervisor: Supervisor,
    drive: impl Future<Output = ()>,
) -> Result<SupervisorReport, SupervisorError> {
    let (result, ()) =
        tokio::time::timeout(HANG_GUARD, async { tokio::join!(supervisor.run(), drive) })
            .await
            .expect(
                "the supervisor hung: its group restart waited for a child blocking its thread",
            );
    result
}

/// `Strategy::OneForAll` / `Supervisor::run`: a sibling that blocks its thread through its
/// abort does not hold the group back: once the abort has had `ABORT_SETTLE`, the others
/// restart without it; it is restarted only once its stuck run has ended (runs of one child
/// never overlap), and its aborted run is no error of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_restart_goes_on_without_a_sibling_blocking_its_thread() {
    let (group, mut runs) = Group::new();
    let token = CancellationToken::new();
    let supervisor = group.supervisor(token.clone(), 10, false);
    let drive = async {
        assert_eq!(runs.db.recv().await, Some(1), "db restarted with the group");
        assert!(
            runs.stuck.try_recv().is_err(),
            "stuck restarted while its first run still ran"
        );
        group.release();
        assert_eq!(
            runs.stuck.recv().await,
            Some(1),
            "stuck restarted once its run ended"
        );
        token.cancel();
    };
    let report = run_beside(supervisor, drive).await.expect("shut down");
    assert!(report.shut_down, "{report}");
    let restarts: Vec<u32> = report.children.iter().map(|c| c.restarts).collect();
    assert_eq!(restarts, [1, 1], "{report}");
    assert!(report.aborted.is_empty(), "{report}");
    assert!(report.not_stopped.is_empty(), "{report}");
    assert!(report.children[0].last_error.is_none(), "{report}");
}

/// The same under `Strategy::RestForOne` ("The child that ended and every child added after
/// it, the same way"), with `stuck` added after `db`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rest_for_one_restart_goes_on_without_a_later_child_blocking_its_thread() {
    let (group, mut runs) = Group::new();
    let token = CancellationToken::new();
    let supervisor = group.supervisor_with(token.clone(), Strategy::RestForOne, 10, false);
    let drive = async {
        assert_eq!(runs.db.recv().await, Some(1), "db restarted without stuck");
        group.release();
        assert_eq!(
            runs.stuck.recv().await,
            Some(1),
            "stuck restarted once its run ended"
        );
        token.cancel();
    };
    let report = run_beside(supervisor, drive).await.expect("shut down");
    let restarts: Vec<(&str, u32)> = report
        .children
        .iter()
        .map(|c| (c.name.as_ref(), c.restarts))
        .collect();
    assert_eq!(restarts, [("db", 1), ("stuck", 1)], "{report}");
    assert!(report.not_stopped.is_empty(), "{report}");
}

/// `SupervisorReport::not_stopped` for a sibling left behind by a group restart and still stuck
/// when the supervisor shuts down: the group restarted without it (db's second run), and the
/// report names it among the aborted and as not stopped; it never ran again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sibling_still_blocking_its_thread_at_shutdown_is_named_as_not_stopped() {
    let (group, mut runs) = Group::new();
    let token = CancellationToken::new();
    let supervisor = group.supervisor(token.clone(), 10, false);
    let drive = async {
        assert_eq!(runs.db.recv().await, Some(1), "db restarted with the group");
        token.cancel();
    };
    let report = run_beside(supervisor, drive).await.expect("shut down");
    group.release();
    assert!(report.shut_down, "{report}");
    let restarts: Vec<u32> = report.children.iter().map(|c| c.restarts).collect();
    assert_eq!(restarts, [0, 1], "{report}");
    assert_eq!(report.aborted, ["stuck"], "{report}");
    assert_eq!(report.not_stopped, ["stuck"], "{report}");
    assert!(
        runs.stuck.try_recv().is_err(),
        "stuck ran again while blocked"
    );
}

/// `SupervisorError::Escalated::not_stopped`: an escalation while a sibling left behind by the
/// group restart still blocks its thread names it there (and among the aborted), as a report
/// would.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_escalation_while_a_sibling_is_left_behind_names_it_as_not_stopped() {
    let (group, mut runs) = Group::new();
    let supervisor = group.supervisor(CancellationToken::new(), 1, true);
    let result = run_beside(supervisor, async {}).await;
    group.release();
    match result {
        Err(SupervisorError::Escalated {
            child,
            aborted,
            not_stopped,
            ..
        }) => {
            assert_eq!(child, "db");
            assert_eq!(aborted, ["stuck"]);
            assert_eq!(not_stopped, ["stuck"]);
        }
        other => panic!("expected an escalation: {other:?}"),
    }
    assert_eq!(runs.db.recv().await, Some(1), "db ran again with the group");
    assert!(runs.stuck.try_recv().is_err(), "stuck never ran again");
}
