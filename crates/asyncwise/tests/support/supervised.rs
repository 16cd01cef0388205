//! Stand-in supervisor children for the tests of a supervisor that stops (`tests/hostile_drain.rs`):
//! a child that stops its own supervisor and then ends in a chosen way, one that never stops,
//! one that blocks its thread, and the fields of an escalation. Each helper does only the set-up;
//! what a test checks stays in the test. Load `support/docs_setup.rs` as `docs_setup` in the
//! same test binary: these helpers use its drop flag and child type.

#![allow(dead_code, reason = "each test binary uses a part of it")]

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asyncwise::{
    Backoff, BoxError, CancellationToken, ChildContext, RestartPolicy, Supervisor, SupervisorError,
    SupervisorReport, TaskError, TaskName,
};
use tokio::sync::Notify;

// The test binary loads `docs_setup.rs` beside this file (`#[path = "support/docs_setup.rs"]
// mod docs_setup;`): one copy of the module per binary.
use super::docs_setup::{ChildRun, DropFlag};

/// How a child's run ends once it has seen its token cancelled.
#[derive(Clone, Copy)]
pub enum Ending {
    /// Returns `Ok(())`.
    Ok,
    /// Returns an error with this message.
    Fails(&'static str),
    /// Panics with this message.
    Panics(&'static str),
}

/// A supervisor with one permanent child `name` that stops the supervisor itself: its first
/// run fails with "first run failed" when `first_run_fails` (restarted within 1 s: a full-jitter
/// backoff of at most 1 s);
/// the run after that (or the first, otherwise) cancels the supervisor's token, waits for its
/// own and ends as `ending` says.
pub fn stopped_by_its_child(
    name: &'static str,
    first_run_fails: bool,
    ending: Ending,
) -> Supervisor {
    let token = CancellationToken::new();
    let stop = token.clone();
    Supervisor::new(token)
        .backoff(Backoff::new(Duration::from_secs(1), Duration::from_secs(1)))
        .child(name, RestartPolicy::Permanent, move |ctx: ChildContext| {
            let stop = stop.clone();
            async move {
                if first_run_fails && ctx.restarts() == 0 {
                    return Err::<(), BoxError>("first run failed".into());
                }
                stop.cancel();
                ctx.token().cancelled().await;
                match ending {
                    Ending::Ok => Ok(()),
                    Ending::Fails(message) => Err(message.into()),
                    Ending::Panics(message) => panic!("{message}"),
                }
            }
        })
}

/// A child factory whose runs ignore their token and never end; each run holds a guard that
/// sets `dropped` when the run's future is dropped.
pub fn deaf_holding(
    dropped: &Arc<AtomicBool>,
) -> impl FnMut(ChildContext) -> ChildRun + Send + 'static {
    let dropped = Arc::clone(dropped);
    move |_ctx| {
        let guard = DropFlag(Arc::clone(&dropped));
        Box::pin(async move {
            let _guard = guard;
            std::future::pending::<Result<(), BoxError>>().await
        })
    }
}

/// A child whose run blocks its worker thread (sync code that never yields, so an abort cannot
/// act) until the test lets it go: `started` is notified when it blocks.
pub struct ThreadBlocker {
    /// Notified (a stored permit) when the run has started blocking.
    pub started: Arc<Notify>,
    release: std::sync::mpsc::Sender<()>,
    released: Arc<Mutex<std::sync::mpsc::Receiver<()>>>,
}

impl ThreadBlocker {
    /// A blocker whose child has not run yet.
    pub fn new() -> Self {
        let (release, released) = std::sync::mpsc::channel();
        ThreadBlocker {
            started: Arc::new(Notify::new()),
            release,
            released: Arc::new(Mutex::new(released)),
        }
    }

    /// The child factory: every run blocks its thread until [`release`](Self::release), then
    /// returns `Ok`.
    pub fn child(&self) -> impl FnMut(ChildContext) -> ChildRun + Send + 'static {
        let started = Arc::clone(&self.started);
        let released = Arc::clone(&self.released);
        move |_ctx| {
            let started = Arc::clone(&started);
            let released = Arc::clone(&released);
            Box::pin(async move {
                // Woken from this worker, a task waiting for `started` would sit in the worker's
                // LIFO slot, which no other worker takes from, behind the block below: notify
                // from a thread of its own.
                drop(std::thread::spawn(move || started.notify_one()));
                // asyncwise: allow(blocking_in_async) -- the child blocks its thread on purpose: an abort cannot stop it
                let _ = released.lock().expect("release channel").recv();
                Ok::<(), BoxError>(())
            })
        }
    }

    /// Lets the blocked run (and the next one) return.
    pub fn release(&self) {
        let _ = self.release.send(());
        let _ = self.release.send(());
    }
}

/// The fields of [`SupervisorError::Escalated`].
pub struct Escalation {
    pub child: TaskName,
    pub max_restarts: usize,
    pub last_error: Option<TaskError>,
    pub aborted: Vec<TaskName>,
    pub not_stopped: Vec<TaskName>,
}

/// The escalation `result` must be; panics with what it was otherwise.
pub fn escalation(result: Result<SupervisorReport, SupervisorError>) -> Escalation {
    match result {
        Err(SupervisorError::Escalated {
            child,
            max_restarts,
            last_error,
            aborted,
            not_stopped,
            ..
        }) => Escalation {
            child,
            max_restarts,
            last_error,
            aborted,
            not_stopped,
        },
        other => panic!("expected an escalation: {other:?}"),
    }
}
