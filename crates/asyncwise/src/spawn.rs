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
//! The common group task needs only part of that: a group with no parent
//! and no grace, a slot already held (or none), no subscriber interested in
//! its span, no tracking shutdown and no running watchdog. Such a task is
//! wrapped by [`wrap_plain`] instead ([`Plain`]): the same cancellation
//! (cut before any further poll), panic capture, name and slot, without the
//! per-spawn and per-poll work for what it does not use (see the crate
//! README's benchmark). [`plain_fits`] decides, at spawn.
//!
//! With the `watchdog` feature, every such task is also
//! [instrumented](crate::watchdog) under its full path (`group/task`,
//! `supervisor/child`), so a running watchdog names and locates it when it
//! blocks its thread: the wrapper writes the task's watchdog slot around
//! each poll itself, so a task is not wrapped twice.

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
/// it does not have to be `Sync`, nor even an error type), and
/// `std::process::ExitCode` when it is not `ExitCode::SUCCESS` (its
/// message: `exit code N`). Every other implementation is always a success. The crate implements it for `()`,
/// the primitive types, `String`, `&'static str`, `Option<T>`, `Vec<T>`,
/// `Box<T>`, `std::process::ExitCode`, tuples of up to four elements and
/// [`BatchReport`](crate::BatchReport) (a batcher's worker is a task like any other);
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
/// assert_eq!(std::process::ExitCode::from(3).failure().as_deref(), Some("exit code 3"));
/// assert!(std::process::ExitCode::SUCCESS.failure().is_none());
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
    Duration,
);

/// A process's convention: zero is success. `ExitCode` has no getter on
/// stable Rust, but it compares, and every `ExitCode` a stable program can
/// make comes from a `u8` (`From<u8>`, `SUCCESS`, `FAILURE`), so its number
/// is found by comparison, on the failure path only.
impl TaskOutput for std::process::ExitCode {
    fn failure(&self) -> Option<String> {
        if self.is_failure() {
            let code = (1..=u8::MAX).find(|code| Self::from(*code) == *self);
            Some(match code {
                Some(code) => format!("exit code {code}"),
                None => format!("{self:?}"),
            })
        } else {
            None
        }
    }

    fn is_failure(&self) -> bool {
        *self != Self::SUCCESS
    }
}
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
    /// See [`watches`](Self::watches); fixed at construction.
    watches: bool,
    /// A failed task cancels the scope ([`ErrorPolicy::FailFast`](crate::ErrorPolicy)).
    /// Kept here rather than captured by each task's finish step: with only
    /// a pointer left to capture, the task is a word smaller.
    fail_fast: AtomicBool,
    grace: Grace,
    /// When cancelled tasks are cut: fixed by the first task that sees the
    /// cancellation, so every task of the scope gets the same deadline.
    grace_deadline: OnceLock<Instant>,
    slots: Option<Arc<Semaphore>>,
    /// Names of tasks that were aborted (their future dropped by Tokio, so
    /// no output carries the name), for the group to report, with the panic
    /// of the future's `Drop` if it panicked.
    aborted: Mutex<Vec<(Id, TaskName, Option<String>)>>,
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
            watches: parent.is_some() || !matches!(grace, Grace::Fixed(Duration::ZERO)),
            fail_fast: AtomicBool::new(false),
            grace,
            grace_deadline: OnceLock::new(),
            slots,
            aborted: Mutex::new(Vec::new()),
        }
    }

    /// Sets whether a failed task of this scope cancels it.
    pub(crate) fn set_fail_fast(&self, fail_fast: bool) {
        self.fail_fast.store(fail_fast, Ordering::Relaxed);
    }

    /// Whether a failed task cancels this scope.
    pub(crate) fn fail_fast(&self) -> bool {
        self.fail_fast.load(Ordering::Relaxed)
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
    #[inline]
    pub(crate) fn watches(&self) -> bool {
        self.watches
    }

    /// The name of aborted task `id`, if it had one, and the panic message of
    /// its future's `Drop` if that panicked.
    pub(crate) fn take_aborted(&self, id: Id) -> Option<(TaskName, Option<String>)> {
        let mut aborted = self.aborted.lock().unwrap_or_else(PoisonError::into_inner);
        let index = aborted
            .iter()
            .position(|(aborted_id, _, _)| *aborted_id == id)?;
        let (_, name, panic) = aborted.swap_remove(index);
        Some((name, panic))
    }

    /// When the cancelled tasks of this scope are cut.
    fn grace_deadline(&self) -> Instant {
        *self.grace_deadline.get_or_init(|| match &self.grace {
            Grace::Fixed(grace) => crate::instant_after(Instant::now(), *grace),
            Grace::UntilDrainDeadline(shutdown) => shutdown.group_grace_deadline(),
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
    /// Handed to `finish`, and kept for the scope if the task is aborted;
    /// shown (span, watchdog) instead of the `TaskMeta`'s name when set, so
    /// that a caller can move the name here rather than clone it.
    pub(crate) name: Option<TaskName>,
    /// The task's full path (`group/task`) when it is not just its name:
    /// the name a running watchdog reports it under. Build it only when
    /// [`watching`] says a watchdog runs.
    pub(crate) path: Option<TaskName>,
    /// The task's span when the caller built it already ([`task_span`]);
    /// otherwise [`wrap`] builds it.
    pub(crate) span: Option<tracing::Span>,
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
            span: None,
        }
    }
}

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
/// - with the `watchdog` feature and a running watchdog, each poll is
///   timed in the task's watchdog slot, registered under `setup.path` (or
///   its name).
///
/// Everything lives in one flat, pin-projected struct with one poll
/// function, so the task stays small: the per-task overhead over a bare
/// `tokio::spawn` is what the `task_group` benchmark measures.
#[inline]
pub(crate) fn wrap<F, R, Fin>(meta: &TaskMeta, setup: Setup, fut: F, finish: Fin) -> Wrapped<F, Fin>
where
    F: Future,
    Fin: FnMut(Outcome<F::Output>, Option<&CancelScope>, Option<TaskName>) -> R,
{
    // The task's own name, when it keeps one, is the one to show.
    let shown = setup.name.as_ref().unwrap_or(&meta.name);
    let span = match setup.span {
        Some(span) => span,
        None => task_span(shown, meta.location),
    };
    let (holds_slot, waits) = match setup.slot {
        Slot::None => (false, None),
        Slot::Held(permit) => {
            // Given back by `Wrapped`'s drop, through the scope's semaphore
            // (the one it came from): a flag is 16 bytes smaller than the
            // permit.
            let from_scope = setup
                .scope
                .as_deref()
                .and_then(|scope| scope.slots.as_ref())
                .is_some_and(|slots| Arc::ptr_eq(slots, permit.semaphore()));
            debug_assert!(from_scope, "a slot comes from the task's scope");
            if from_scope {
                permit.forget();
            }
            (from_scope, None)
        }
        Slot::Wait(slots) => {
            let acquire: AcquireSlot = Box::pin(slots.acquire_owned());
            let waits = Waits {
                acquire: Some(acquire),
                ..Waits::default()
            };
            (false, Some(Box::new(waits)))
        }
    };
    let span = (!span.is_disabled()).then_some(span);
    let path = setup.path;
    // The running watchdog's slot, under the task's full path (built only
    // when a watchdog runs).
    // The inlined flag first: without a running watchdog (the common case)
    // this saves the out-of-line call on every spawn.
    #[cfg(feature = "watchdog")]
    let watch = if watching() {
        crate::watchdog::task_slot(|| path.unwrap_or_else(|| shown.clone()), meta.location)
    } else {
        None
    };
    #[cfg(not(feature = "watchdog"))]
    let watch: Option<std::convert::Infallible> = {
        let _ = path;
        None
    };
    let observed = (span.is_some() || setup.tracking.is_some() || watch.is_some()).then(|| {
        Box::new(Observed {
            #[cfg(feature = "watchdog")]
            watch,
            span,
            tracking: setup.tracking,
        })
    });
    Wrapped {
        fut: Some(fut),
        observed,
        scope: setup.scope,
        started: false,
        holds_slot,
        waits,
        finish,
        name: setup.name,
    }
}

/// What only some tasks have, boxed together so that the common task (no
/// subscriber, not tracked, no watchdog) carries one null pointer for all
/// of it: a smaller task is moved by a few register moves where a larger
/// one takes a `memcpy` call, several times per spawn.
struct Observed {
    /// The task's slot in the running watchdog, written at every poll.
    #[cfg(feature = "watchdog")]
    watch: Option<Arc<crate::watchdog::TaskSlot>>,
    /// Present when a subscriber wants the task's span.
    span: Option<tracing::Span>,
    /// Last: deregisters from the shutdown after everything else is gone.
    tracking: Option<Tracking>,
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
        scope: Option<Arc<CancelScope>>,
        started: bool,
        // The task holds one permit of its scope's semaphore, for as long as
        // it exists (given back in `drop`).
        holds_slot: bool,
        waits: Option<Box<Waits>>,
        // Called once, when `fut` has just been dropped: `fut` being `None`
        // is the "finished" flag, so `finish` needs no `Option` of its own
        // (which would add a word whenever the closure has no niche).
        finish: Fin,
        name: Option<TaskName>,
        // Last: its tracking deregisters from the shutdown after everything
        // else is gone.
        observed: Option<Box<Observed>>,
    }

    impl<F, Fin> PinnedDrop for Wrapped<F, Fin> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            // Reached with a live future only when the task is aborted.
            if this.fut.is_some() {
                let _entered = this
                    .observed
                    .as_deref()
                    .and_then(|observed| observed.span.as_ref())
                    .map(tracing::Span::enter);
                let panic = catch_unwind(AssertUnwindSafe(|| this.fut.set(None)))
                    .err()
                    .map(|payload| panic_message(payload.as_ref()));
                if let Some(message) = &panic {
                    tracing::error!(panic = %message, "task panicked while being dropped after an abort");
                }
                // No output tells the shutdown that a tracked task ended
                // unfinished (or panicked in its drop): it is told here.
                if let Some(tracking) = this
                    .observed
                    .as_deref()
                    .and_then(|observed| observed.tracking.as_ref())
                {
                    tracking.record_abort(panic.as_deref());
                }
                if let (Some(scope), Some(name), Some(id)) =
                    (this.scope.as_deref(), this.name.take(), tokio::task::try_id())
                {
                    scope
                        .aborted
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push((id, name, panic));
                }
            }
            // The slot is free once the future is gone.
            if *this.holds_slot {
                *this.holds_slot = false;
                if let Some(slots) = this.scope.as_deref().and_then(|scope| scope.slots.as_ref()) {
                    slots.add_permits(1);
                }
            }
        }
    }
}

pin_project_lite::pin_project! {
    /// The lean form of [`Wrapped`] for the common group task: a scope that
    /// does not [watch](CancelScope::watches) its token (no parent, no
    /// grace), a slot already held or none, no span (no subscriber wants
    /// it), no shutdown tracking and no running watchdog. It keeps every
    /// promise of [`wrap`] that applies to such a task: the scope's
    /// cancellation cuts it before any further poll, a panic while polling
    /// or dropping it becomes [`Outcome::Panicked`], an aborted task leaves
    /// its name to the scope, and its slot is given back once its future is
    /// gone. Built by [`wrap_plain`]; what it leaves out is the per-poll
    /// work (span, watchdog, tracking, wait states) and the bytes for it.
    #[project = PlainProj]
    pub(crate) struct Plain<F, Fin> {
        // Dropped in place (inside `catch_unwind`) as soon as the task ends.
        #[pin]
        fut: Option<F>,
        scope: Arc<CancelScope>,
        holds_slot: bool,
        finish: Fin,
        name: TaskName,
    }

    impl<F, Fin> PinnedDrop for Plain<F, Fin> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            // Reached with a live future only when the task is aborted.
            if this.fut.is_some() {
                let panic = catch_unwind(AssertUnwindSafe(|| this.fut.set(None)))
                    .err()
                    .map(|payload| panic_message(payload.as_ref()));
                if let Some(message) = &panic {
                    tracing::error!(
                        panic = %message,
                        task.name = %this.name,
                        "task panicked while being dropped after an abort"
                    );
                }
                if let Some(id) = tokio::task::try_id() {
                    let name = std::mem::replace(this.name, TaskName::Borrowed(""));
                    this.scope
                        .aborted
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push((id, name, panic));
                }
            }
            if *this.holds_slot {
                *this.holds_slot = false;
                if let Some(slots) = &this.scope.slots {
                    slots.add_permits(1);
                }
            }
        }
    }
}

/// Whether a task of `scope` with `slot` may run as a [`Plain`] task, given
/// that it is not tracked: nothing of what [`Wrapped`] adds would be used.
/// `span` is the task's span as [`wrap`] would build it.
#[inline]
pub(crate) fn plain_fits(scope: &CancelScope, slot: &Slot, span: &tracing::Span) -> bool {
    !scope.watches() && !matches!(slot, Slot::Wait(_)) && span.is_disabled() && !watching()
}

/// The task's span, as [`wrap`] names it: `task` with its name and spawn
/// location. Disabled (and cheap) when no subscriber is interested.
#[inline]
pub(crate) fn task_span(name: &TaskName, location: &'static Location<'static>) -> tracing::Span {
    tracing::info_span!("task", task.name = %name, task.location = %location)
}

/// Wraps a task that [`plain_fits`] into a [`Plain`] future.
#[inline]
pub(crate) fn wrap_plain<F, R, Fin>(
    scope: Arc<CancelScope>,
    slot: Slot,
    name: TaskName,
    fut: F,
    finish: Fin,
) -> Plain<F, Fin>
where
    F: Future,
    Fin: FnMut(Outcome<F::Output>, &CancelScope, TaskName) -> R,
{
    let holds_slot = match slot {
        Slot::Held(permit) => {
            // Given back by `Plain`'s drop through the scope's semaphore.
            let from_scope = scope
                .slots
                .as_ref()
                .is_some_and(|slots| Arc::ptr_eq(slots, permit.semaphore()));
            debug_assert!(from_scope, "a slot comes from the task's scope");
            if from_scope {
                permit.forget();
            }
            from_scope
        }
        Slot::None | Slot::Wait(_) => false,
    };
    Plain {
        fut: Some(fut),
        scope,
        holds_slot,
        finish,
        name,
    }
}

impl<F, R, Fin> Future for Plain<F, Fin>
where
    F: Future,
    Fin: FnMut(Outcome<F::Output>, &CancelScope, TaskName) -> R,
{
    type Output = R;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<R> {
        let mut this = self.project();
        let outcome = if this.scope.known_cancelled() {
            if this.fut.is_none() {
                return Poll::Pending;
            }
            // With no parent and no grace the flag is exact: a cancelled
            // task is cut, never polled again.
            Outcome::Cancelled
        } else {
            // One `catch_unwind` for the poll and, once it is ready, the
            // drop of the future: a panic in either is the task's panic.
            let polled = catch_unwind(AssertUnwindSafe(|| {
                match this.fut.as_mut().as_pin_mut().map(|fut| fut.poll(cx)) {
                    Some(Poll::Ready(value)) => {
                        this.fut.set(None);
                        Poll::Ready(value)
                    }
                    // Pending, or finished already (tokio never polls
                    // again).
                    Some(Poll::Pending) | None => Poll::Pending,
                }
            }));
            match polled {
                Ok(Poll::Pending) => return Poll::Pending,
                Ok(Poll::Ready(value)) => {
                    return Poll::Ready(finish_plain(this, Outcome::Completed(value)));
                }
                Err(payload) => Outcome::Panicked(panic_message(payload.as_ref())),
            }
        };
        // Cut, or its poll panicked: drop the future here, where a panic in
        // its `Drop` is caught too.
        let outcome = match catch_unwind(AssertUnwindSafe(|| this.fut.set(None))) {
            Ok(()) => outcome,
            Err(payload) => match outcome {
                // The first panic is the one to report.
                Outcome::Panicked(message) => Outcome::Panicked(message),
                _ => Outcome::Panicked(panic_message(payload.as_ref())),
            },
        };
        Poll::Ready(finish_plain(this, outcome))
    }
}

/// Hands a [`Plain`] task's outcome and name to its `finish`.
#[inline]
fn finish_plain<F, R, Fin>(this: PlainProj<'_, F, Fin>, outcome: Outcome<F::Output>) -> R
where
    F: Future,
    Fin: FnMut(Outcome<F::Output>, &CancelScope, TaskName) -> R,
{
    let name = std::mem::replace(this.name, TaskName::Borrowed(""));
    (this.finish)(outcome, this.scope, name)
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
    Fin: FnMut(Outcome<F::Output>, Option<&CancelScope>, Option<TaskName>) -> R,
{
    type Output = R;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<R> {
        let mut this = self.project();
        let observed = this.observed.as_deref();
        let _entered = observed
            .and_then(|observed| observed.span.as_ref())
            .map(tracing::Span::enter);
        #[cfg(feature = "watchdog")]
        let _timing = observed
            .and_then(|observed| observed.watch.as_deref())
            .map(crate::watchdog::PollTiming::start);
        if this.fut.is_none()
            || observed
                .is_some_and(|observed| observed.tracking.as_ref().is_some_and(Tracking::halted))
        {
            // Finished already (tokio never polls again), or the drain
            // deadline has passed: the abort is on its way, and nothing of
            // the task may run any more.
            return Poll::Pending;
        }
        let gate = match this.scope.as_deref() {
            None => Gate::Poll,
            // The common case, decided by one atomic load: nothing to wait
            // for, no parent whose cancellation the flag may have missed,
            // and no cancellation seen.
            Some(scope)
                if this.waits.is_none() && !scope.has_parent && !scope.known_cancelled() =>
            {
                Gate::Poll
            }
            Some(scope) => gate(scope, this.started, this.waits, this.holds_slot, cx),
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
        // Cut by its scope (its group's cancellation, before its first poll
        // or at the end of the grace): a tracked task's shutdown learns that
        // it ended unfinished. A started task that outlived a grace period
        // ignored its cancellation (a cut, or a straggler when the grace was
        // the drain's); any other cut was the group's decision (an abort).
        if matches!(outcome, Outcome::Cancelled)
            && let Some(tracking) = observed.and_then(|observed| observed.tracking.as_ref())
        {
            match this.scope.as_deref().map(|scope| &scope.grace) {
                Some(Grace::UntilDrainDeadline(_)) if *this.started => tracking.record_cut(),
                Some(Grace::Fixed(grace)) if *this.started && !grace.is_zero() => {
                    tracking.record_cut();
                }
                _ => tracking.record_abort(None),
            }
        }
        Poll::Ready((this.finish)(
            outcome,
            this.scope.as_deref(),
            this.name.take(),
        ))
    }
}

/// Decides, before the task's future is polled, whether it may be polled.
fn gate(
    scope: &CancelScope,
    started: &mut bool,
    waits: &mut Option<Box<Waits>>,
    holds_slot: &mut bool,
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
                    // Given back by `Wrapped`'s drop (see `wrap`).
                    slot.forget();
                    *holds_slot = true;
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
        // The span, the shutdown tracking and the watchdog slot share one
        // pointer, with or without the `watchdog` feature.
        assert!(
            std::mem::size_of_val(&wrapped) <= 64,
            "{}",
            std::mem::size_of_val(&wrapped)
        );
    }

    /// A scope like a plain group's: no parent, no grace, `limit` slots.
    fn plain_scope(limit: usize) -> Arc<CancelScope> {
        Arc::new(CancelScope::new(
            None,
            Grace::Fixed(Duration::ZERO),
            Some(Arc::new(Semaphore::new(limit))),
        ))
    }

    fn held_slot(scope: &CancelScope) -> Slot {
        let slots = scope.slots.clone().expect("a bounded scope");
        Slot::Held(slots.try_acquire_owned().expect("a free slot"))
    }

    fn free_slots(scope: &CancelScope) -> usize {
        scope
            .slots
            .as_ref()
            .map_or(0, |slots| slots.available_permits())
    }

    /// What a finished plain task reports: its outcome, as text, and name.
    fn report<T: fmt::Debug>(outcome: Outcome<T>, _: &CancelScope, name: TaskName) -> String {
        format!("{name}: {outcome:?}")
    }

    struct PanicOnDrop;
    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            panic!("drop exploded");
        }
    }

    #[tokio::test]
    async fn a_plain_task_cut_by_its_scope_is_never_polled_again() {
        let scope = plain_scope(1);
        let slot = held_slot(&scope);
        let polls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = Arc::clone(&polls);
        let task = std::future::poll_fn(move |_| {
            counted.fetch_add(1, Ordering::SeqCst);
            Poll::<()>::Pending
        });
        let plain = wrap_plain(Arc::clone(&scope), slot, "cut".into(), task, report);
        let mut plain = Box::pin(plain);
        assert!(futures_util::poll!(plain.as_mut()).is_pending());
        assert_eq!(
            free_slots(&scope),
            0,
            "the slot is held while the task lives"
        );
        scope.cancel();
        let ended = futures_util::poll!(plain.as_mut());
        assert_eq!(ended, Poll::Ready("cut: Cancelled".to_owned()));
        assert_eq!(
            polls.load(Ordering::SeqCst),
            1,
            "not polled after the cancel"
        );
        assert!(futures_util::poll!(plain.as_mut()).is_pending(), "finished");
        assert_eq!(polls.load(Ordering::SeqCst), 1);
        drop(plain);
        // The slot is given back with the task (the semaphore is closed by
        // the cancel, but its permits still count).
        assert_eq!(free_slots(&scope), 1);
    }

    #[tokio::test]
    async fn a_plain_task_reports_panics_while_polled_and_while_dropped() {
        let scope = plain_scope(2);
        let slot = held_slot(&scope);
        let boom = wrap_plain(
            Arc::clone(&scope),
            slot,
            "boom".into(),
            async { panic!("poll exploded") },
            report::<()>,
        );
        assert_eq!(boom.await, "boom: Panicked(\"poll exploded\")");
        // Ready, then its drop panics: the drop's panic is the task's.
        let guard = PanicOnDrop;
        let finished = wrap_plain(
            Arc::clone(&scope),
            Slot::None,
            "guarded".into(),
            async move {
                let _guard = guard;
                7
            },
            report,
        );
        assert_eq!(finished.await, "guarded: Panicked(\"drop exploded\")");
        assert_eq!(free_slots(&scope), 2, "slots are given back after panics");
    }

    #[tokio::test]
    async fn an_aborted_plain_task_leaves_its_name_and_its_slot() {
        let scope = plain_scope(1);
        let slot = held_slot(&scope);
        let guard = PanicOnDrop;
        let plain = wrap_plain(
            Arc::clone(&scope),
            slot,
            "stuck".into(),
            async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            },
            report,
        );
        let handle = tokio::spawn(plain);
        tokio::task::yield_now().await;
        let id = handle.id();
        handle.abort();
        let join_error = handle.await.expect_err("aborted");
        assert!(join_error.is_cancelled(), "the drop's panic is caught");
        let (name, panic) = scope.take_aborted(id).expect("its name is left");
        assert_eq!(name, "stuck");
        assert_eq!(panic.as_deref(), Some("drop exploded"));
        assert_eq!(free_slots(&scope), 1);
    }
}
