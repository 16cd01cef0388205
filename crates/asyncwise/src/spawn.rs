//! The single spawn path of the crate.
//!
//! Every task that [`TaskGroup`](crate::TaskGroup), [`Shutdown`](crate::Shutdown)
//! and [`Supervisor`](crate::Supervisor) start is wrapped by [`wrap`] here:
//! it gets its `tracing` span (name and `#[track_caller]` spawn location),
//! its panics (while polled *and* while dropped) are caught and turned into
//! a message, its cancellation and grace period are enforced, and, when a
//! [`Shutdown`](crate::Shutdown) tracks it, it is never polled again once the
//! drain deadline has passed.
//!
//! With the `watchdog` feature, every such task is also
//! [instrumented](crate::watchdog) under its full path (`group/task`,
//! `supervisor/child`), so a running watchdog names and locates it when it
//! blocks its thread. Without the feature, [`Watched`] is the task itself.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::{AcquireError, OwnedSemaphorePermit, Semaphore};
use tokio::task::Id;
use tokio::time::{Instant, Sleep};
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use crate::TaskName;
use crate::shutdown::{Shutdown, Tracking};

/// What the crate knows about a task when it spawns it.
#[derive(Debug, Clone)]
pub(crate) struct TaskMeta {
    pub(crate) name: TaskName,
    pub(crate) location: &'static Location<'static>,
}

/// How the crate reads a task's output: as a success, or as a failure with
/// a message.
///
/// `Result<T, E>` is a failure when it is `Err` (`E` only needs `Display`:
/// it does not have to be `Sync`, nor even an error type). Every other
/// implementation is always a success. The crate implements it for `()`,
/// the primitive types, `String`, `&'static str`, `Option<T>`, `Vec<T>`,
/// `Box<T>`, `std::process::ExitCode` and tuples of up to four elements;
/// for an output type of your own, one line does it:
///
/// ```
/// use asyncwise::TaskOutput;
///
/// struct Stats { rows: u64 }
/// impl TaskOutput for Stats {}
///
/// assert!(Stats { rows: 3 }.failure().is_none());
/// assert_eq!(Err::<(), _>("disk full").failure().as_deref(), Some("disk full"));
/// # let _ = Stats { rows: 0 }.rows;
/// ```
pub trait TaskOutput {
    /// `Some(message)` when this output means the task failed.
    fn failure(&self) -> Option<String> {
        None
    }

    /// `true` when this output means the task failed; cheaper than
    /// [`failure`](Self::failure), which builds the message.
    ///
    /// ```
    /// use asyncwise::TaskOutput;
    ///
    /// assert!(Err::<u8, &str>("no").is_failure());
    /// assert!(!().is_failure());
    /// ```
    fn is_failure(&self) -> bool {
        self.failure().is_some()
    }
}

impl<T, E: fmt::Display> TaskOutput for Result<T, E> {
    fn failure(&self) -> Option<String> {
        self.as_ref().err().map(ToString::to_string)
    }

    fn is_failure(&self) -> bool {
        self.is_err()
    }
}

macro_rules! always_success {
    ($($ty:ty),* $(,)?) => { $(impl TaskOutput for $ty {})* };
}
always_success!(
    (),
    bool,
    char,
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    f32,
    f64,
    String,
    &'static str,
    std::process::ExitCode,
    Duration,
);
impl<T> TaskOutput for Option<T> {}
impl<T> TaskOutput for Vec<T> {}
impl<T: ?Sized> TaskOutput for Box<T> {}
impl<A, B> TaskOutput for (A, B) {}
impl<A, B, C> TaskOutput for (A, B, C) {}
impl<A, B, C, D> TaskOutput for (A, B, C, D) {}

/// How long cancelled tasks of a scope may keep running before they are
/// cut.
#[derive(Debug, Clone)]
pub(crate) enum Grace {
    /// A fixed period from the moment the cancellation is seen.
    Fixed(Duration),
    /// Until the drain deadline of this shutdown.
    UntilDrainDeadline(Shutdown),
}

/// A cancellation token plus a lock-free "known cancelled" flag and the
/// grace period that cancelled tasks get.
///
/// `CancellationToken::is_cancelled` takes the mutex of the token's tree
/// node; checking it before every task's polls would make all tasks of a
/// group contend on one lock. The flag is set by every cancellation the
/// owner performs and by every task that sees the token fire, so the hot
/// path reads one atomic.
///
/// Tasks register on the token (a boxed wait future, created at their first
/// `Pending`) only when the scope [watches](Self::watches) it: when a parent
/// token can cancel it or when cancelled tasks get a grace period. A plain
/// group (no parent, no grace) does not need that: it is cancelled only
/// through [`CancelScope::cancel`], its parked tasks are aborted by the
/// group itself ([`TaskGroup`](crate::TaskGroup) aborts them on its next
/// join or on drop), and a task that wakes for its own reasons sees the flag
/// before its future is polled.
///
/// If the scope limits concurrency, cancelling it also closes the
/// semaphore, so producers waiting for a slot give up at once.
///
/// Aligned to 128 bytes so that, behind an `Arc`, the flag does not share a
/// cache line with the reference counts that every spawn and every finished
/// task update.
#[derive(Debug)]
#[repr(align(128))]
pub(crate) struct CancelScope {
    token: CancellationToken,
    cancelled: AtomicBool,
    has_parent: bool,
    grace: Grace,
    /// When cancelled tasks are cut: fixed by the first task that sees the
    /// cancellation, so every task of the scope gets the same deadline.
    grace_deadline: OnceLock<Instant>,
    slots: Option<Arc<Semaphore>>,
    /// Names of tasks that were aborted (their future dropped by Tokio, so
    /// no output carries the name), for the group to report.
    aborted: Mutex<Vec<(Id, TaskName)>>,
}

impl CancelScope {
    /// A scope with its own root token, or a child of `parent`'s.
    pub(crate) fn new(
        parent: Option<&CancellationToken>,
        grace: Grace,
        slots: Option<Arc<Semaphore>>,
    ) -> Self {
        CancelScope {
            token: parent.map_or_else(CancellationToken::new, CancellationToken::child_token),
            cancelled: AtomicBool::new(false),
            has_parent: parent.is_some(),
            grace,
            grace_deadline: OnceLock::new(),
            slots,
            aborted: Mutex::new(Vec::new()),
        }
    }

    /// The scope's token. Hand out only child tokens of it, so that every
    /// cancellation of the scope goes through [`CancelScope::cancel`].
    pub(crate) fn token(&self) -> &CancellationToken {
        &self.token
    }

    pub(crate) fn cancel(&self) {
        self.mark_cancelled();
        if let Some(slots) = &self.slots {
            slots.close();
        }
        self.token.cancel();
    }

    fn mark_cancelled(&self) {
        self.cancelled.store(true, Ordering::Release);
    }

    /// Lock-free; may miss a cancellation that came from a parent token.
    pub(crate) fn known_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }

    /// Exact. Takes the token's lock only for a scope with a parent whose
    /// flag is not set yet.
    pub(crate) fn is_cancelled(&self) -> bool {
        self.known_cancelled() || (self.has_parent && self.token.is_cancelled())
    }

    /// Whether tasks must register on the token to be woken by a
    /// cancellation (see the type's documentation).
    pub(crate) fn watches(&self) -> bool {
        self.has_parent || !matches!(self.grace, Grace::Fixed(Duration::ZERO))
    }

    /// The name of aborted task `id`, if it had one.
    pub(crate) fn take_aborted(&self, id: Id) -> Option<TaskName> {
        let mut aborted = self.aborted.lock().unwrap_or_else(PoisonError::into_inner);
        let index = aborted
            .iter()
            .position(|(aborted_id, _)| *aborted_id == id)?;
        Some(aborted.swap_remove(index).1)
    }

    /// When the cancelled tasks of this scope are cut.
    fn grace_deadline(&self) -> Instant {
        *self.grace_deadline.get_or_init(|| match &self.grace {
            Grace::Fixed(grace) => Instant::now() + *grace,
            Grace::UntilDrainDeadline(shutdown) => shutdown.drain_deadline(),
        })
    }
}

/// How a wrapped task ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome<T> {
    /// The future returned this value.
    Completed(T),
    /// Polling or dropping the future panicked with this message.
    Panicked(String),
    /// The task was cut by its scope's cancellation: before its first poll,
    /// or when its grace period ended. Its future is dropped without being
    /// polled again.
    Cancelled,
}

type AcquireSlot =
    Pin<Box<dyn Future<Output = Result<OwnedSemaphorePermit, AcquireError>> + Send + 'static>>;

/// The concurrency slot of a task in a bounded group.
pub(crate) enum Slot {
    /// Unbounded group.
    None,
    /// Taken at spawn time.
    Held(OwnedSemaphorePermit),
    /// The task waits for a slot before its first poll.
    Wait(Arc<Semaphore>),
}

/// What a task needs besides its future: see [`wrap`].
pub(crate) struct Setup {
    pub(crate) scope: Option<Arc<CancelScope>>,
    pub(crate) slot: Slot,
    pub(crate) tracking: Option<Tracking>,
    /// Handed to `finish`, and kept for the scope if the task is aborted.
    pub(crate) name: Option<TaskName>,
    /// The task's full path (`group/task`) when it is not just its name:
    /// the name a running watchdog reports it under. Build it only when
    /// [`watching`] says a watchdog runs.
    pub(crate) path: Option<TaskName>,
}

impl Setup {
    /// A task with no scope, slot or tracking.
    pub(crate) fn plain() -> Self {
        Setup {
            scope: None,
            slot: Slot::None,
            tracking: None,
            name: None,
            path: None,
        }
    }
}

/// A spawned task as the runtime sees it: instrumented for the watchdog
/// with the `watchdog` feature, the task itself without.
#[cfg(feature = "watchdog")]
pub(crate) type Watched<F> = crate::watchdog::Instrumented<F>;
/// A spawned task as the runtime sees it: instrumented for the watchdog
/// with the `watchdog` feature, the task itself without.
#[cfg(not(feature = "watchdog"))]
pub(crate) type Watched<F> = F;

/// Whether a watchdog runs, so that building a task's full path for it is
/// worth a `format!`. Always `false` without the `watchdog` feature.
#[inline]
pub(crate) fn watching() -> bool {
    #[cfg(feature = "watchdog")]
    {
        crate::watchdog::is_running()
    }
    #[cfg(not(feature = "watchdog"))]
    {
        false
    }
}

/// Hands `fut` to the running watchdog (if any) under `name()` and
/// `location`; without the `watchdog` feature, returns `fut` unchanged.
#[inline]
pub(crate) fn watched<F: Future>(
    name: impl FnOnce() -> TaskName,
    location: &'static Location<'static>,
    fut: F,
) -> Watched<F> {
    #[cfg(feature = "watchdog")]
    {
        crate::watchdog::instrument_named_by(name, location, fut)
    }
    #[cfg(not(feature = "watchdog"))]
    {
        let _ = (name, location);
        fut
    }
}

/// Wraps `fut` into the future that is actually spawned: the one place
/// where every task of the crate starts.
///
/// - `fut` runs inside a span named `task` with its name and location;
/// - a panic while polling it, or while dropping it after it completed or
///   was cut, becomes [`Outcome::Panicked`] instead of unwinding;
/// - with a scope, the scope's cancellation cuts it: before its first poll
///   (a task that has not started has nothing to flush), or when the
///   scope's grace period ends; during the grace period it keeps being
///   polled so that it can react to its token. Once the cancellation is
///   seen and the grace is over, `fut` is never polled again;
/// - with [`Slot::Wait`], it waits for a slot of the group before its first
///   poll; the slot (a permit) lives as long as `fut` does;
/// - with a [`Tracking`], it is registered in a [`Shutdown`] until its
///   future is dropped, and it is never polled after the drain deadline;
/// - `finish` turns the outcome into the task's output;
/// - with the `watchdog` feature, the whole task is [`watched`] under
///   `setup.path` (or its name).
///
/// Everything lives in one flat, pin-projected struct with one poll
/// function, so the task stays small: the per-task overhead over a bare
/// `tokio::spawn` is what the `task_group` benchmark measures.
pub(crate) fn wrap<F, R, Fin>(
    meta: &TaskMeta,
    setup: Setup,
    fut: F,
    finish: Fin,
) -> Watched<Wrapped<F, Fin>>
where
    F: Future,
    Fin: FnOnce(Outcome<F::Output>, Option<&CancelScope>, Option<TaskName>) -> R,
{
    let span = tracing::info_span!(
        "task",
        task.name = %meta.name,
        task.location = %meta.location,
    );
    let (permit, waits) = match setup.slot {
        Slot::None => (None, None),
        Slot::Held(permit) => (Some(permit), None),
        Slot::Wait(slots) => {
            let acquire: AcquireSlot = Box::pin(slots.acquire_owned());
            let waits = Waits {
                acquire: Some(acquire),
                ..Waits::default()
            };
            (None, Some(Box::new(waits)))
        }
    };
    let wrapped = Wrapped {
        fut: Some(fut),
        span: (!span.is_disabled()).then(|| Box::new(span)),
        scope: setup.scope,
        started: false,
        waits,
        permit,
        finish: Some(finish),
        tracking: setup.tracking.map(Box::new),
        name: setup.name,
    };
    let path = setup.path;
    watched(
        || path.unwrap_or_else(|| meta.name.clone()),
        meta.location,
        wrapped,
    )
}

/// What a task waits for besides its future: allocated only for tasks that
/// wait for a slot or for their scope's cancellation, so that the common
/// task stays small (every byte of a task is moved several times on spawn).
#[derive(Default)]
struct Waits {
    /// The scope's cancellation, once the task has returned `Pending` in a
    /// scope that [watches](CancelScope::watches) it.
    cancel: Option<Pin<Box<WaitForCancellationFutureOwned>>>,
    /// Set once the cancellation has been seen: when the grace ends.
    grace: Option<Pin<Box<Sleep>>>,
    /// A slot of the group, before the first poll.
    acquire: Option<AcquireSlot>,
}

pin_project_lite::pin_project! {
    /// The future every task of the crate runs as; see [`wrap`].
    pub(crate) struct Wrapped<F, Fin> {
        // Dropped in place (inside `catch_unwind`) as soon as the task ends,
        // so a panic in its `Drop` is reported with the task's name.
        #[pin]
        fut: Option<F>,
        // Boxed, and absent when no subscriber wants it: most tasks run
        // without tracing, and a small task moves less.
        span: Option<Box<tracing::Span>>,
        scope: Option<Arc<CancelScope>>,
        started: bool,
        waits: Option<Box<Waits>>,
        // The slot is held for as long as the task's future exists.
        permit: Option<OwnedSemaphorePermit>,
        finish: Option<Fin>,
        name: Option<TaskName>,
        // Last: deregisters from the shutdown after everything else is gone.
        // Boxed: most tasks are not tracked, and a small task moves less.
        tracking: Option<Box<Tracking>>,
    }

    impl<F, Fin> PinnedDrop for Wrapped<F, Fin> {
        fn drop(this: Pin<&mut Self>) {
            // Reached with a live future only when the task is aborted.
            let mut this = this.project();
            if this.fut.is_some() {
                let _entered = this.span.as_deref().map(tracing::Span::enter);
                if let Err(payload) = catch_unwind(AssertUnwindSafe(|| this.fut.set(None))) {
                    tracing::error!(
                        panic = %panic_message(payload.as_ref()),
                        "task panicked while being dropped after an abort"
                    );
                }
                if let (Some(scope), Some(name), Some(id)) =
                    (this.scope.as_deref(), this.name.take(), tokio::task::try_id())
                {
                    scope
                        .aborted
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push((id, name));
                }
            }
        }
    }
}

/// What the cancellation state says before the task's future is polled.
enum Gate {
    Poll,
    Cut,
    Wait,
}

impl<F, R, Fin> Future for Wrapped<F, Fin>
where
    F: Future,
    Fin: FnOnce(Outcome<F::Output>, Option<&CancelScope>, Option<TaskName>) -> R,
{
    type Output = R;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<R> {
        let mut this = self.project();
        let _entered = this.span.as_deref().map(tracing::Span::enter);
        if this.finish.is_none() || this.tracking.as_deref().is_some_and(Tracking::halted) {
            // Finished already (tokio never polls again), or the drain
            // deadline has passed: the abort is on its way, and nothing of
            // the task may run any more.
            return Poll::Pending;
        }
        let gate = match this.scope.as_deref() {
            None => Gate::Poll,
            Some(scope) => gate(scope, this.started, this.waits, this.permit, cx),
        };
        let outcome = match gate {
            Gate::Wait => return Poll::Pending,
            Gate::Cut => Outcome::Cancelled,
            Gate::Poll => {
                *this.started = true;
                let polled =
                    catch_unwind(AssertUnwindSafe(|| match this.fut.as_mut().as_pin_mut() {
                        Some(fut) => fut.poll(cx),
                        None => Poll::Pending,
                    }));
                match polled {
                    Ok(Poll::Ready(value)) => Outcome::Completed(value),
                    Err(payload) => Outcome::Panicked(panic_message(payload.as_ref())),
                    Ok(Poll::Pending) => {
                        let Some(scope) = this.scope.as_deref() else {
                            return Poll::Pending;
                        };
                        if !scope.watches() {
                            return Poll::Pending;
                        }
                        let waits = this.waits.get_or_insert_with(Box::default);
                        if waits.cancel.is_some() || waits.grace.is_some() {
                            return Poll::Pending;
                        }
                        let wait = waits
                            .cancel
                            .insert(Box::pin(scope.token.clone().cancelled_owned()));
                        if wait.as_mut().poll(cx).is_pending()
                            || !start_grace(scope, &mut waits.grace, cx)
                        {
                            return Poll::Pending;
                        }
                        // Cancelled while this poll ran: cut now (the
                        // future has just been polled, not polled again).
                        Outcome::Cancelled
                    }
                }
            }
        };
        // Drop the future here, where a panic in its `Drop` is caught.
        let outcome = match catch_unwind(AssertUnwindSafe(|| this.fut.set(None))) {
            Ok(()) => outcome,
            Err(payload) => Outcome::Panicked(panic_message(payload.as_ref())),
        };
        match this.finish.take() {
            Some(finish) => Poll::Ready(finish(outcome, this.scope.as_deref(), this.name.take())),
            None => Poll::Pending,
        }
    }
}

/// Decides, before the task's future is polled, whether it may be polled.
fn gate(
    scope: &CancelScope,
    started: &mut bool,
    waits: &mut Option<Box<Waits>>,
    permit: &mut Option<OwnedSemaphorePermit>,
    cx: &mut Context<'_>,
) -> Gate {
    if let Some(Waits {
        cancel,
        acquire: acquire @ Some(_),
        ..
    }) = waits.as_deref_mut()
    {
        if scope.is_cancelled() {
            return Gate::Cut;
        }
        // A parent's cancellation does not close the semaphore: watch it.
        if scope.has_parent {
            let wait =
                cancel.get_or_insert_with(|| Box::pin(scope.token.clone().cancelled_owned()));
            if wait.as_mut().poll(cx).is_ready() {
                scope.mark_cancelled();
                return Gate::Cut;
            }
        }
        if let Some(waiting) = acquire.as_mut() {
            match waiting.as_mut().poll(cx) {
                Poll::Pending => return Gate::Wait,
                Poll::Ready(Err(_closed)) => return Gate::Cut,
                Poll::Ready(Ok(slot)) => {
                    *permit = Some(slot);
                    *acquire = None;
                }
            }
        }
    }
    if !*started {
        // A task that has not started has nothing to flush.
        return if scope.is_cancelled() {
            Gate::Cut
        } else {
            Gate::Poll
        };
    }
    let in_grace = waits.as_ref().is_some_and(|waits| waits.grace.is_some());
    if !in_grace {
        let seen = scope.known_cancelled()
            || waits
                .as_mut()
                .and_then(|waits| waits.cancel.as_mut())
                .is_some_and(|wait| wait.as_mut().poll(cx).is_ready());
        if seen && start_grace(scope, &mut waits.get_or_insert_with(Box::default).grace, cx) {
            return Gate::Cut;
        }
    }
    match waits.as_mut().and_then(|waits| waits.grace.as_mut()) {
        Some(sleep) => {
            if sleep.as_mut().poll(cx).is_ready() {
                Gate::Cut
            } else {
                Gate::Poll
            }
        }
        None => Gate::Poll,
    }
}

/// The task has seen its scope's cancellation: starts its grace period.
/// Returns `true` when the grace is already over (cut the task now).
fn start_grace(
    scope: &CancelScope,
    grace: &mut Option<Pin<Box<Sleep>>>,
    cx: &mut Context<'_>,
) -> bool {
    scope.mark_cancelled();
    let deadline = scope.grace_deadline();
    if deadline <= Instant::now() {
        return true;
    }
    let sleep = grace.insert(Box::pin(tokio::time::sleep_until(deadline)));
    sleep.as_mut().poll(cx).is_ready()
}

/// The `finish` for tasks spawned without a cancel scope.
pub(crate) fn uncancellable<T>(outcome: Outcome<T>) -> Result<T, String> {
    match outcome {
        Outcome::Completed(value) => Ok(value),
        Outcome::Panicked(message) => Err(message),
        Outcome::Cancelled => unreachable!("a task without a cancel scope is never cancelled"),
    }
}

/// The text of a panic payload (`&str` or `String`), or a placeholder.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_task_stays_small() {
        let meta = TaskMeta {
            name: "t".into(),
            location: Location::caller(),
        };
        let wrapped = wrap(&meta, Setup::plain(), async { 1_u64 }, |o, _, _| o);
        eprintln!(
            "wrapped {} span {} name {} permit {} tracking {}",
            std::mem::size_of_val(&wrapped),
            std::mem::size_of::<tracing::Span>(),
            std::mem::size_of::<Option<TaskName>>(),
            std::mem::size_of::<Option<OwnedSemaphorePermit>>(),
            std::mem::size_of::<Option<Box<Tracking>>>(),
        );
        // The watchdog's instrumentation adds its slot pointer (8 bytes);
        // without the feature the task is exactly the wrapper.
        let watchdog_slot = if cfg!(feature = "watchdog") { 8 } else { 0 };
        assert!(std::mem::size_of_val(&wrapped) <= 80 + watchdog_slot);
    }
}
