//! Testing async code for cancellation: drop a future at every point where
//! it can be suspended, and check your invariants each time.
//!
//! A future can be dropped at any `.await` that suspends it: a `select!`
//! whose other branch wins, a `timeout` that expires, a client that hangs up
//! and drops the request future, a [`TaskGroup`](crate::TaskGroup) or
//! [`Shutdown`](crate::Shutdown) that aborts its tasks. Code written as if
//! every line after an `.await` will run then leaves state half-updated: a
//! gauge incremented and never decremented, bytes read from a socket into a
//! local buffer and lost, a batch taken from a queue and never flushed.
//! [`cancel_at_each_await`] finds these bugs deterministically:
//!
//! 1. it runs the future once to completion and counts how often it returns
//!    `Pending` (its *suspensions*, `n`);
//! 2. for each `k` in `0..=n` it builds a fresh future, polls it until its
//!    `k`-th suspension (for `k = 0`: never polls it), drops it, lets the
//!    runtime run once so that tasks woken by the drop can react, and runs
//!    your check;
//! 3. it reports every point at which the check failed, with the
//!    suspension's index and, where the future was suspended inside a
//!    [`traced`] or [`pending_before`]/[`pending_after`] wrapper, that
//!    wrapper's source location.
//!
//! The count is deterministic because the harness polls the future only
//! when the future itself has woken it (a spurious poll from the runtime
//! does not count as a suspension), and because timers run on paused time
//! when the test is `#[tokio::test(start_paused = true)]`, which you should
//! use whenever the future sleeps.
//!
//! # Example: a gauge that a cancelled request leaves behind
//!
//! ```
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicI64, Ordering};
//! use asyncwise::testing::{cancel_at_each_await, traced};
//!
//! async fn handle(in_flight: Arc<AtomicI64>) {
//!     in_flight.fetch_add(1, Ordering::SeqCst);
//!     traced(tokio::task::yield_now()).await; // a cancelled request stops here...
//!     in_flight.fetch_sub(1, Ordering::SeqCst); // ...and never gets here
//! }
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let outcome = cancel_at_each_await(
//!     || {
//!         let gauge = Arc::new(AtomicI64::new(0));
//!         (gauge.clone(), handle(gauge))
//!     },
//!     |gauge, _stage| match gauge.load(Ordering::SeqCst) {
//!         0 => Ok(()),
//!         left => Err(format!("{left} request(s) still counted as in flight")),
//!     },
//! )
//! .await;
//! let error = outcome.unwrap_err();
//! assert_eq!(error.failures().len(), 1);
//! assert_eq!(error.failures()[0].stage.suspension(), Some(1));
//! assert!(error.to_string().contains("still counted as in flight"));
//! # }
//! ```
//!
//! The fix is a guard whose `Drop` undoes the increment (for instance
//! `scopeguard::guard`), so the decrement runs on every path; the same check
//! then passes. The analyzer reports this shape statically as
//! `cleanup_after_await`; a `read_exact` inside a `select!` loop is
//! `select_cancel_unsafe`. This module is the dynamic check of both, for
//! the code the analyzer cannot see through.
//!
//! # When to use this instead of loom
//!
//! [loom](https://docs.rs/loom) explores the interleavings of *threads*
//! around synchronisation primitives; use it when you write a lock, a queue
//! or an atomic protocol. This module explores the *cancellation points* of
//! one async computation, on one thread: use it for request handlers,
//! protocol state machines, batchers and anything that runs inside
//! `select!`, `timeout` or an abortable task.
//!
//! # Reaching await points that never suspend
//!
//! An `.await` whose future is ready at once is not a cancellation point in
//! that run, so the harness cannot stop there. Wrap such a future in
//! [`pending_before`] (the future is dropped before it runs) or
//! [`pending_after`] (it has run, but its output is dropped with the future:
//! a message received and never handled) to make it one.
//!
//! # Shutdown under virtual time
//!
//! [`DrainTest`] runs a service future on the test's paused time, triggers its
//! [`Shutdown`](crate::Shutdown) at a chosen virtual instant and checks that
//! every tracked task (and the service future itself) stops within the
//! drain deadline; when not, the error names the stragglers by path and
//! spawn location.
//!
//! Available with the `testing` cargo feature.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

thread_local! {
    /// Where the future being polled by the harness on this thread was
    /// suspended during the current poll: set by the innermost traced
    /// wrapper that returned `Pending`.
    static SUSPENDED_AT: Cell<Option<&'static Location<'static>>> = const { Cell::new(None) };
}

fn record_suspension(location: &'static Location<'static>) {
    SUSPENDED_AT.with(|slot| {
        // The innermost wrapper returns `Pending` first; outer wrappers
        // around the same suspension must not overwrite it.
        if slot.get().is_none() {
            slot.set(Some(location));
        }
    });
}

fn take_suspension() -> Option<&'static Location<'static>> {
    SUSPENDED_AT.with(Cell::take)
}

/// A point at which the harness dropped the future.
///
/// ```
/// use asyncwise::testing::Stage;
///
/// assert_eq!(Stage::Completed.suspension(), None);
/// assert_eq!(Stage::Cancelled { suspension: 2, of: 3, location: None }.suspension(), Some(2));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The future was dropped after its `suspension`-th `Pending` (0: before
    /// it was ever polled), out of `of` suspensions in a full run.
    Cancelled {
        /// How many times the future had returned `Pending` when it was
        /// dropped.
        suspension: usize,
        /// How many times it returns `Pending` when it runs to completion.
        of: usize,
        /// The innermost [`traced`], [`pending_before`] or [`pending_after`]
        /// wrapper the future was suspended in, if any.
        location: Option<&'static Location<'static>>,
    },
    /// The future ran to completion.
    Completed,
}

impl Stage {
    /// The suspension index at which the future was dropped, or `None` if
    /// it completed.
    ///
    /// ```
    /// use asyncwise::testing::Stage;
    ///
    /// assert_eq!(Stage::Cancelled { suspension: 0, of: 1, location: None }.suspension(), Some(0));
    /// assert_eq!(Stage::Completed.suspension(), None);
    /// ```
    pub fn suspension(&self) -> Option<usize> {
        match self {
            Stage::Cancelled { suspension, .. } => Some(*suspension),
            Stage::Completed => None,
        }
    }

    /// The source location of the await point at which the future was
    /// dropped, where a traced wrapper knows it.
    ///
    /// ```
    /// use asyncwise::testing::{cancel_at_each_await, traced};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let error = cancel_at_each_await(
    ///     || ((), async { traced(tokio::task::yield_now()).await }),
    ///     |_, stage| if stage.suspension() == Some(1) { Err("dropped mid-way") } else { Ok(()) },
    /// )
    /// .await
    /// .unwrap_err();
    /// let location = error.failures()[0].stage.location().unwrap();
    /// assert_eq!(location.file(), file!()); // the line of the `traced(..)` call
    /// # }
    /// ```
    pub fn location(&self) -> Option<&'static Location<'static>> {
        match self {
            Stage::Cancelled { location, .. } => *location,
            Stage::Completed => None,
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stage::Completed => f.write_str("after running to completion"),
            Stage::Cancelled { suspension: 0, .. } => {
                f.write_str("when dropped before its first poll")
            }
            Stage::Cancelled {
                suspension,
                of,
                location,
            } => {
                write!(f, "when cancelled at suspension {suspension} of {of}")?;
                if let Some(location) = location {
                    write!(f, " (await at {location})")?;
                }
                Ok(())
            }
        }
    }
}

/// One failed check.
///
/// ```
/// use asyncwise::testing::{Failure, Stage, cancel_at_each_await};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let error = cancel_at_each_await(|| ((), async {}), |_, _| Err("always fails"))
///     .await
///     .unwrap_err();
/// let first: &Failure = &error.failures()[0];
/// assert_eq!(first.stage, Stage::Completed); // the run to completion is checked first
/// assert_eq!(first.message, "always fails");
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Where the future was dropped (or that it completed).
    pub stage: Stage,
    /// The message of the failed check.
    pub message: String,
}

/// What [`cancel_at_each_await`] checked when every check passed.
///
/// ```
/// use asyncwise::testing::cancel_at_each_await;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let report = cancel_at_each_await(
///     || ((), async { tokio::task::yield_now().await }),
///     |_, _| Ok::<_, String>(()),
/// )
/// .await
/// .unwrap();
/// assert_eq!(report.suspensions, 1);
/// assert_eq!(report.checks, 3); // dropped unpolled, at suspension 1, completed
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CancelReport {
    /// How often the future returns `Pending` in a full run.
    pub suspensions: usize,
    /// How many times the check ran (`suspensions + 2`).
    pub checks: usize,
}

/// The checks that failed: the run to completion first, then the cancellations in the order
/// of their suspension points; and, as failures of their own, runs whose number of
/// suspensions differed from the first run's.
///
/// Its `Display` lists every failure with its stage and location.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use asyncwise::testing::{CancelSafetyError, cancel_at_each_await};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let outcome = cancel_at_each_await(
///     || {
///         let done = Arc::new(AtomicBool::new(false));
///         let flag = Arc::clone(&done);
///         (done, async move {
///             tokio::task::yield_now().await;
///             flag.store(true, Ordering::SeqCst);
///         })
///     },
///     |done, _| if done.load(Ordering::SeqCst) { Ok(()) } else { Err("not done") },
/// )
/// .await;
/// let error: CancelSafetyError = outcome.unwrap_err();
/// // Dropped before its first poll and at its one suspension: two failures.
/// assert_eq!(error.failures().len(), 2);
/// assert!(error.to_string().starts_with(CancelSafetyError::RULES));
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CancelSafetyError {
    failures: Vec<Failure>,
    suspensions: usize,
    /// How many times the check ran.
    checks: usize,
    /// How many of `failures` are failed checks (the others are changed suspension counts).
    failed_checks: usize,
}

impl CancelSafetyError {
    /// The analyzer rules whose pitfalls this check finds at run time, named in the error's
    /// message so that a failure reads like the static finding: state left half-updated when
    /// a future is dropped at an await (`cleanup_after_await`), and data lost by a future
    /// recreated in a `select!` loop (`select_cancel_unsafe`).
    ///
    /// ```
    /// use asyncwise::testing::CancelSafetyError;
    ///
    /// assert_eq!(CancelSafetyError::RULES, "cleanup_after_await/select_cancel_unsafe");
    /// ```
    pub const RULES: &'static str = "cleanup_after_await/select_cancel_unsafe";

    /// The failed checks.
    ///
    /// ```
    /// use asyncwise::testing::cancel_at_each_await;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let error = cancel_at_each_await(|| ((), async {}), |_, _| Err("no"))
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(error.failures().len(), 2); // dropped unpolled, and completed
    /// # }
    /// ```
    pub fn failures(&self) -> &[Failure] {
        &self.failures
    }

    /// How often the future returns `Pending` in a full run.
    ///
    /// ```
    /// use asyncwise::testing::cancel_at_each_await;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let error = cancel_at_each_await(
    ///     || ((), async {
    ///         tokio::task::yield_now().await;
    ///         tokio::task::yield_now().await;
    ///     }),
    ///     |_, _| Err("no"),
    /// )
    /// .await
    /// .unwrap_err();
    /// assert_eq!(error.suspensions(), 2);
    /// # }
    /// ```
    pub fn suspensions(&self) -> usize {
        self.suspensions
    }

    /// How many times the check ran: `suspensions + 2`, less one for each run that completed
    /// before reaching the suspension it was to be dropped at (that stage was not checked).
    ///
    /// ```
    /// use asyncwise::testing::cancel_at_each_await;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let error = cancel_at_each_await(
    ///     || ((), async { tokio::task::yield_now().await }),
    ///     |_, _| Err("no"),
    /// )
    /// .await
    /// .unwrap_err();
    /// assert_eq!(error.checks(), 3); // unpolled, at suspension 1, completed
    /// # }
    /// ```
    pub fn checks(&self) -> usize {
        self.checks
    }
}

impl fmt::Display for CancelSafetyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A changed suspension count is a failure but not a failed check: it is said apart, so
        // that the count of failed checks never exceeds the checks run.
        let unstable = self.failures.len() > self.failed_checks;
        if self.failed_checks == 0 && unstable {
            write!(
                f,
                "{}: the future's cancellation points cannot be checked: its number of \
                 suspensions changed from one run to the next ({} checks passed)",
                Self::RULES,
                self.checks
            )?;
        } else {
            write!(
                f,
                "{}: the future is not cancel-safe: {} of {} checks failed",
                Self::RULES,
                self.failed_checks,
                self.checks
            )?;
            if unstable {
                f.write_str("; its number of suspensions changed from one run to the next")?;
            }
        }
        for failure in &self.failures {
            write!(f, "\n  - {}: {}", failure.stage, failure.message)?;
        }
        Ok(())
    }
}

/// Drops a fresh future at each of its suspension points and checks an
/// invariant each time; see the [module docs](self).
///
/// `make` builds the state the check inspects and the future under test;
/// it is called `n + 3` times for a future that suspends `n` times (the last
/// run, not checked, makes sure no run suspends more often). `check`
/// is given that state and the [`Stage`] at which the future was dropped (or
/// [`Stage::Completed`]) and returns `Err(message)` when the invariant does
/// not hold. After dropping the future the harness yields to the runtime
/// once, so tasks woken by the drop can run before the check: on a
/// current-thread runtime (the default of `#[tokio::test]`) they have run by
/// then; on a multi-thread runtime another worker may still be running them.
///
/// Run it inside a Tokio runtime (usually `#[tokio::test(start_paused =
/// true)]`); the future is polled on the calling task, so it needs not be
/// `Send`. A future that never completes keeps the harness waiting for
/// ever (its first run never ends): bound the harness with
/// `tokio::time::timeout` if that can happen.
///
/// # Errors
///
/// [`CancelSafetyError`] lists every stage whose check failed. A future
/// whose number of suspensions changes from one run to the next is reported
/// as a failure too, since its cancellation points cannot be checked; it is
/// not counted as a failed check, and a stage that a run completed before
/// reaching is not checked ([`CancelSafetyError::checks`] says how many
/// were).
///
/// # Panics
///
/// A panic of `make`, of `check` or of the future (while it is polled or
/// dropped) is not caught: it unwinds out of the harness and fails the test.
///
/// ```
/// use std::cell::RefCell;
/// use std::collections::VecDeque;
/// use std::rc::Rc;
/// use asyncwise::testing::{cancel_at_each_await, pending_after};
///
/// // Takes a job from the queue, then awaits: a drop at that await loses the job.
/// async fn take_and_run(queue: Rc<RefCell<VecDeque<u32>>>, done: Rc<RefCell<Vec<u32>>>) {
///     let job = pending_after(async { queue.borrow_mut().pop_front() }).await;
///     if let Some(job) = job {
///         done.borrow_mut().push(job);
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let result = cancel_at_each_await(
///     || {
///         let queue = Rc::new(RefCell::new(VecDeque::from([7])));
///         let done = Rc::new(RefCell::new(Vec::new()));
///         ((queue.clone(), done.clone()), take_and_run(queue, done))
///     },
///     |(queue, done), _| {
///         let accounted = queue.borrow().len() + done.borrow().len();
///         if accounted == 1 { Ok(()) } else { Err("job 7 was lost") }
///     },
/// )
/// .await;
/// assert_eq!(result.unwrap_err().failures()[0].stage.suspension(), Some(1));
/// # }
/// ```
pub async fn cancel_at_each_await<S, F, M, C, E>(
    mut make: M,
    mut check: C,
) -> Result<CancelReport, CancelSafetyError>
where
    M: FnMut() -> (S, F),
    F: Future,
    C: FnMut(&S, Stage) -> Result<(), E>,
    E: fmt::Display,
{
    let mut failures = Vec::new();
    let (mut checks, mut failed_checks) = (0, 0);
    let mut run_check = |failures: &mut Vec<Failure>, state: &S, stage: Stage| {
        checks += 1;
        if let Err(message) = check(state, stage) {
            failed_checks += 1;
            failures.push(Failure {
                stage,
                message: message.to_string(),
            });
        }
    };

    let (state, future) = make();
    let suspensions = drive(future, None).await.suspensions();
    run_check(&mut failures, &state, Stage::Completed);
    drop(state);

    for k in 0..=suspensions {
        let (state, future) = make();
        let location = if k == 0 {
            drop(future);
            None
        } else {
            match drive(future, Some(k)).await {
                Driven::Stopped { location, .. } => location,
                Driven::Completed { suspensions: seen } => {
                    failures.push(Failure {
                        stage: Stage::Completed,
                        message: format!(
                            "the future suspended {suspensions} times in its first run but \
                             completed after {seen} in a later one; run it on paused time with \
                             nothing else driving it"
                        ),
                    });
                    continue;
                }
            }
        };
        tokio::task::yield_now().await;
        let stage = Stage::Cancelled {
            suspension: k,
            of: suspensions,
            location,
        };
        run_check(&mut failures, &state, stage);
    }

    // The loop stops every run within the first run's count, so a run that
    // suspends more often would go unnoticed: one more run must complete.
    let (state, future) = make();
    if let Driven::Stopped { .. } = drive(future, Some(suspensions + 1)).await {
        failures.push(Failure {
            stage: Stage::Completed,
            message: format!(
                "the future suspended {suspensions} times in its first run but more than that \
                 in a later one; run it on paused time with nothing else driving it"
            ),
        });
    }
    drop(state);

    if failures.is_empty() {
        Ok(CancelReport {
            suspensions,
            checks: suspensions + 2,
        })
    } else {
        Err(CancelSafetyError {
            failures,
            suspensions,
            checks,
            failed_checks,
        })
    }
}

enum Driven {
    Completed {
        suspensions: usize,
    },
    Stopped {
        suspensions: usize,
        location: Option<&'static Location<'static>>,
    },
}

impl Driven {
    fn suspensions(&self) -> usize {
        match self {
            Driven::Completed { suspensions } | Driven::Stopped { suspensions, .. } => *suspensions,
        }
    }
}

/// Wakes the harness only when the future under test asked to be woken, so
/// a spurious poll of the harness is not counted as a suspension.
struct WakeFlag {
    woken: AtomicBool,
    outer: Mutex<Option<Waker>>,
}

impl Wake for WakeFlag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        let outer = self
            .outer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(outer) = outer {
            outer.wake();
        }
    }
}

/// Polls `future` until it completes or until its `stop_after`-th `Pending`.
async fn drive<F: Future>(future: F, stop_after: Option<usize>) -> Driven {
    let mut future = pin!(future);
    let flag = Arc::new(WakeFlag {
        woken: AtomicBool::new(true),
        outer: Mutex::new(None),
    });
    let waker = Waker::from(flag.clone());
    let mut suspensions = 0;
    std::future::poll_fn(|cx| {
        *flag.outer.lock().unwrap_or_else(PoisonError::into_inner) = Some(cx.waker().clone());
        if !flag.woken.swap(false, Ordering::AcqRel) {
            return Poll::Pending;
        }
        take_suspension();
        let polled = future.as_mut().poll(&mut Context::from_waker(&waker));
        let location = take_suspension();
        match polled {
            Poll::Ready(_) => Poll::Ready(Driven::Completed { suspensions }),
            Poll::Pending => {
                suspensions += 1;
                if stop_after == Some(suspensions) {
                    Poll::Ready(Driven::Stopped {
                        suspensions,
                        location,
                    })
                } else {
                    Poll::Pending
                }
            }
        }
    })
    .await
}

pin_project_lite::pin_project! {
    /// A future that records its source location when it suspends; see
    /// [`traced`].
    ///
    /// ```
    /// use asyncwise::testing::{Traced, traced};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let wrapped: Traced<_> = traced(async { "same output" });
    /// assert_eq!(wrapped.await, "same output");
    /// # }
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub struct Traced<F> {
        #[pin]
        inner: F,
        location: &'static Location<'static>,
    }
}

/// Marks an await point so that [`cancel_at_each_await`] can name its
/// source location when it cancels the future there.
///
/// The wrapper costs one thread-local access when the future returns
/// `Pending` and nothing otherwise; it changes nothing about the future.
///
/// ```
/// use asyncwise::testing::traced;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let value = traced(async { 21 * 2 }).await;
/// assert_eq!(value, 42);
/// # }
/// ```
#[track_caller]
pub fn traced<F: Future>(future: F) -> Traced<F> {
    Traced {
        inner: future,
        location: Location::caller(),
    }
}

impl<F: Future> Future for Traced<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let polled = this.inner.poll(cx);
        if polled.is_pending() {
            record_suspension(this.location);
        }
        polled
    }
}

pin_project_lite::pin_project! {
    /// A future that suspends once more than its inner future: before it
    /// first polls it, or after it completed; see [`pending_before`] and
    /// [`pending_after`].
    ///
    /// ```
    /// use asyncwise::testing::{InjectPending, cancel_at_each_await, pending_after};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let report = cancel_at_each_await(
    ///     || {
    ///         let ready: InjectPending<_> = pending_after(async { 7 });
    ///         ((), ready)
    ///     },
    ///     |_, _| Ok::<_, String>(()),
    /// )
    /// .await
    /// .unwrap();
    /// assert_eq!(report.suspensions, 1); // ready at once, yet one cancellation point
    /// # }
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub struct InjectPending<F: Future> {
        #[pin]
        inner: F,
        when: Inject,
        output: Option<F::Output>,
        location: &'static Location<'static>,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Inject {
    Before,
    After,
    Done,
}

/// Makes `future` suspend once before it is first polled, so that a
/// cancellation can happen at this await point even when the future would
/// be ready at once. Dropped there, the inner future has not run.
///
/// ```
/// use asyncwise::testing::{cancel_at_each_await, pending_before};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let report = cancel_at_each_await(
///     || ((), pending_before(async { 1 })),
///     |_, _| Ok::<_, String>(()),
/// )
/// .await
/// .unwrap();
/// assert_eq!(report.suspensions, 1);
/// # }
/// ```
#[track_caller]
pub fn pending_before<F: Future>(future: F) -> InjectPending<F> {
    InjectPending {
        inner: future,
        when: Inject::Before,
        output: None,
        location: Location::caller(),
    }
}

/// Makes `future` suspend once after it has completed and before its output
/// is returned, so that a cancellation at this await point drops an output
/// that was already produced (a message received, a batch taken): the
/// classic way cancellation loses data.
///
/// ```
/// use asyncwise::testing::pending_after;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// assert_eq!(pending_after(async { "ready" }).await, "ready");
/// # }
/// ```
#[track_caller]
pub fn pending_after<F: Future>(future: F) -> InjectPending<F> {
    InjectPending {
        inner: future,
        when: Inject::After,
        output: None,
        location: Location::caller(),
    }
}

impl<F: Future> Future for InjectPending<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let mut this = self.project();
        match *this.when {
            Inject::Before => {
                *this.when = Inject::Done;
                record_suspension(this.location);
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Inject::After => {
                if let Some(output) = this.output.take() {
                    *this.when = Inject::Done;
                    return Poll::Ready(output);
                }
                match this.inner.as_mut().poll(cx) {
                    Poll::Ready(output) => {
                        *this.output = Some(output);
                        record_suspension(this.location);
                        cx.waker().wake_by_ref();
                        Poll::Pending
                    }
                    Poll::Pending => {
                        record_suspension(this.location);
                        Poll::Pending
                    }
                }
            }
            Inject::Done => {
                let polled = this.inner.poll(cx);
                if polled.is_pending() {
                    record_suspension(this.location);
                }
                polled
            }
        }
    }
}

/// A shutdown test: run a service, trigger its [`Shutdown`](crate::Shutdown) after a virtual
/// delay, and require that it drains within a deadline.
///
/// Run it on paused time (`#[tokio::test(start_paused = true)]`): the
/// delays are then virtual, and the test takes no real time however long
/// the deadline is. It does not pause time itself: without paused time (a
/// multi-thread runtime cannot pause it) the delays are real. The service gets the [`Shutdown`](crate::Shutdown) (made with the
/// deadline) and spawns its tasks through it, or through groups and
/// supervisors made `with_shutdown`.
///
/// ```
/// use std::time::Duration;
/// use asyncwise::Shutdown;
/// use asyncwise::testing::DrainTest;
///
/// async fn service(shutdown: Shutdown) {
///     let token = shutdown.token();
///     shutdown.spawn("polite", async move { token.cancelled().await });
///     shutdown.spawn("deaf", tokio::time::sleep(Duration::from_secs(3600)));
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let error = DrainTest::trigger_after(Duration::from_secs(10))
///     .within(Duration::from_secs(2))
///     .run(service)
///     .await
///     .unwrap_err();
/// assert_eq!(error.stragglers(), ["deaf"]);
/// assert!(error.to_string().contains("`deaf` spawned at "));
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
#[must_use = "a drain test does nothing until `run` is awaited"]
pub struct DrainTest {
    trigger_after: std::time::Duration,
    within: std::time::Duration,
}

impl DrainTest {
    /// The default drain deadline, one second.
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncwise::testing::DrainTest;
    ///
    /// assert_eq!(DrainTest::DEFAULT_DEADLINE, Duration::from_secs(1));
    /// ```
    pub const DEFAULT_DEADLINE: std::time::Duration = std::time::Duration::from_secs(1);

    /// Triggers the shutdown `after` the service started (virtual time): the
    /// service future is polled first, so with `Duration::ZERO` it has run
    /// to its first suspension before the trigger.
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncwise::testing::DrainTest;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let started = tokio::time::Instant::now();
    /// let report = DrainTest::trigger_after(Duration::from_secs(30))
    ///     .run(|shutdown| async move {
    ///         let token = shutdown.token();
    ///         shutdown.spawn("worker", async move { token.cancelled().await });
    ///     })
    ///     .await
    ///     .unwrap();
    /// assert!(report.is_clean());
    /// assert_eq!(started.elapsed(), Duration::from_secs(30)); // virtual time
    /// # }
    /// ```
    pub fn trigger_after(after: std::time::Duration) -> Self {
        DrainTest {
            trigger_after: after,
            within: Self::DEFAULT_DEADLINE,
        }
    }

    /// The drain deadline: every task must have stopped this long after the
    /// trigger (default [`DEFAULT_DEADLINE`](Self::DEFAULT_DEADLINE)).
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncwise::testing::DrainTest;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// // A task that needs 3 s to flush fails a 2 s deadline and passes a 5 s one.
    /// let service = |shutdown: asyncwise::Shutdown| async move {
    ///     let token = shutdown.token();
    ///     shutdown.spawn("flusher", async move {
    ///         token.cancelled().await;
    ///         tokio::time::sleep(Duration::from_secs(3)).await;
    ///     });
    /// };
    /// let test = DrainTest::trigger_after(Duration::ZERO);
    /// assert!(test.within(Duration::from_secs(2)).run(service).await.is_err());
    /// assert!(test.within(Duration::from_secs(5)).run(service).await.is_ok());
    /// # }
    /// ```
    pub fn within(mut self, deadline: std::time::Duration) -> Self {
        self.within = deadline;
        self
    }

    /// Runs `service` with a fresh [`Shutdown`](crate::Shutdown), triggers it at the chosen
    /// instant (whether or not the service future has returned: a service
    /// may just spawn its tasks and return), drains it and keeps polling
    /// the service future until it returns or the drain deadline passes.
    /// Like the main future of [`Shutdown::run`](crate::Shutdown::run), the
    /// service future counts as a tracked task until it returns: the drain
    /// waits for it, and the tasks it spawns during the drain (a service
    /// still starting up when the shutdown comes) are waited for and cut at
    /// the deadline like the others.
    ///
    /// # Errors
    ///
    /// [`DrainTimeout`] when a tracked task was still running at the
    /// deadline or the service future itself had not returned by then.
    /// Failures of tasks are in the report, not an error, and so are tasks
    /// that ignored their cancellation but were cut in time by their group
    /// or supervisor at the end of a grace period of its own
    /// ([`ShutdownReport::cut`](crate::ShutdownReport::cut)): assert that
    /// `cut` is empty to require that every task heeds its token. A task of
    /// a group made `with_shutdown` has the drain deadline as its grace: if
    /// it is cut then, it is a straggler and the test fails.
    ///
    /// # Panics
    ///
    /// A panic of the service future itself is not caught: it fails the
    /// test (a tracked task's panic is in the report).
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncwise::testing::DrainTest;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// // A service still starting when the shutdown comes: its late task is waited for.
    /// let report = DrainTest::trigger_after(Duration::from_secs(1))
    ///     .within(Duration::from_secs(10))
    ///     .run(|shutdown| async move {
    ///         tokio::time::sleep(Duration::from_secs(2)).await; // slow start-up
    ///         shutdown.spawn("late", async { Err::<(), _>("failed at start") });
    ///     })
    ///     .await
    ///     .unwrap();
    /// assert_eq!(report.failures.len(), 1); // a failure is in the report, not an error
    /// # }
    /// ```
    pub async fn run<S, Fut>(self, service: S) -> Result<crate::ShutdownReport, DrainTimeout>
    where
        S: FnOnce(crate::Shutdown) -> Fut,
        Fut: Future<Output = ()>,
    {
        let shutdown = crate::Shutdown::with_deadline(self.within);
        // The service future counts as a tracked task, as `run`'s main does:
        // a drain that began while it was still starting waits for it and for
        // the tasks it spawns meanwhile, instead of ending at once and
        // refusing them unpolled.
        let mut service_running = Some(shutdown.hold_drain());
        let mut service = pin!(service(shutdown.clone()));
        let mut service_done = false;
        let mut trigger = pin!(tokio::time::sleep(self.trigger_after));
        loop {
            tokio::select! {
                // The service first: it has started before the trigger, even
                // a trigger after zero.
                biased;
                () = service.as_mut(), if !service_done => {
                    service_done = true;
                    service_running = None;
                }
                () = trigger.as_mut() => break,
            }
        }
        let deadline = crate::instant_after(tokio::time::Instant::now(), self.within);
        let mut drain = pin!(shutdown.drain());
        let mut hold_ends = pin!(tokio::time::sleep_until(deadline));
        let report = loop {
            tokio::select! {
                biased;
                () = service.as_mut(), if !service_done => {
                    service_done = true;
                    service_running = None;
                }
                // At the deadline the drain stops waiting for the service (the
                // check below reports one that had not returned) and settles
                // only the tasks it cut.
                () = hold_ends.as_mut(), if service_running.is_some() => service_running = None,
                report = drain.as_mut() => break report,
            }
        };
        // The drain ends as soon as no tracked task runs; a service that
        // cleans up in its own future still has until the deadline.
        if !service_done {
            service_done = tokio::time::timeout_at(deadline, service.as_mut())
                .await
                .is_ok();
        }
        if report.stragglers.is_empty() && service_done {
            Ok(report)
        } else {
            Err(DrainTimeout {
                report,
                service_returned: service_done,
                within: self.within,
            })
        }
    }
}

/// A [`DrainTest`] whose service did not stop within the deadline.
///
/// No analyzer rule finds a task that ignores its shutdown, so unlike
/// [`CancelSafetyError`] this error names none.
///
/// ```
/// use std::time::Duration;
/// use asyncwise::testing::{DrainTest, DrainTimeout};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let error: DrainTimeout = DrainTest::trigger_after(Duration::ZERO)
///     .run(|_shutdown| std::future::pending::<()>()) // the service never returns
///     .await
///     .unwrap_err();
/// assert!(!error.service_returned);
/// assert!(error.report.stragglers.is_empty());
/// assert!(error.to_string().contains("the service future itself had not returned"));
/// # }
/// ```
#[derive(Debug)]
pub struct DrainTimeout {
    /// The shutdown's report: its `stragglers` are the tasks that were still
    /// running at the deadline (and were aborted), with their spawn
    /// locations.
    pub report: crate::ShutdownReport,
    /// Whether the service future itself had returned by the drain
    /// deadline.
    pub service_returned: bool,
    within: std::time::Duration,
}

impl DrainTimeout {
    /// The paths of the tasks still running at the deadline, in spawn
    /// order.
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncwise::testing::DrainTest;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let error = DrainTest::trigger_after(Duration::ZERO)
    ///     .run(|shutdown| async move {
    ///         shutdown.spawn("stuck", std::future::pending::<()>());
    ///         let token = shutdown.token();
    ///         shutdown.spawn("polite", async move { token.cancelled().await });
    ///         shutdown.spawn("also-stuck", std::future::pending::<()>());
    ///     })
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(error.stragglers(), ["stuck", "also-stuck"]);
    /// # }
    /// ```
    pub fn stragglers(&self) -> Vec<&str> {
        self.report
            .stragglers
            .iter()
            .map(|task| task.name.as_ref())
            .collect()
    }
}

impl fmt::Display for DrainTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the service did not drain within {:?}", self.within)?;
        if !self.service_returned {
            write!(f, "; the service future itself had not returned")?;
        }
        for task in &self.report.stragglers {
            write!(f, "\n  - {task}")?;
        }
        Ok(())
    }
}

impl std::error::Error for DrainTimeout {}
