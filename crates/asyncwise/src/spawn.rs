//! The single spawn path of the crate.
//!
//! Every task that [`TaskGroup`](crate::TaskGroup), [`Shutdown`](crate::Shutdown)
//! and [`Supervisor`](crate::Supervisor) start is wrapped by [`wrap`] here:
//! it gets its `tracing` span (name and `#[track_caller]` spawn location) and
//! its panic is caught and turned into a message. A later poll-instrumenting
//! watchdog hooks in here, in one place, without touching any caller.

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use tokio::sync::Semaphore;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use crate::TaskName;

/// What the crate knows about a task when it spawns it.
#[derive(Debug, Clone)]
pub(crate) struct TaskMeta {
    pub(crate) name: TaskName,
    pub(crate) location: &'static Location<'static>,
}

/// A cancellation token plus a lock-free "known cancelled" flag.
///
/// `CancellationToken::is_cancelled` takes the mutex of the token's tree
/// node; checking it before every task's first poll would make all tasks of
/// a group contend on one lock. The flag is set by every cancellation the
/// owner performs and by every task that sees the token fire, so the hot
/// path reads one atomic. The token stays the source of truth: a
/// cancellation coming from a parent token is seen at the task's next
/// `.await` through the token itself.
///
/// If the scope limits concurrency, cancelling it also closes the semaphore,
/// so producers waiting for a slot give up at once.
///
/// Aligned to 128 bytes so that, behind an `Arc`, the flag does not share a
/// cache line with the reference counts that every spawn and every finished
/// task update.
#[derive(Debug)]
#[repr(align(128))]
pub(crate) struct CancelScope {
    token: CancellationToken,
    cancelled: AtomicBool,
    /// Without a parent, the token is only ever cancelled through
    /// [`CancelScope::cancel`] (its holders hand out child tokens only), so
    /// the flag alone is exact.
    has_parent: bool,
    slots: Option<Arc<Semaphore>>,
}

impl CancelScope {
    /// A scope with its own root token.
    pub(crate) fn root(slots: Option<Arc<Semaphore>>) -> Self {
        CancelScope {
            token: CancellationToken::new(),
            cancelled: AtomicBool::new(false),
            has_parent: false,
            slots,
        }
    }

    /// A scope that is also cancelled when `parent` is.
    pub(crate) fn child_of(parent: &CancellationToken, slots: Option<Arc<Semaphore>>) -> Self {
        CancelScope {
            token: parent.child_token(),
            cancelled: AtomicBool::new(false),
            has_parent: true,
            slots,
        }
    }

    /// The scope's token. Hand out only child tokens of it, so that every
    /// cancellation of the scope goes through [`CancelScope::cancel`].
    pub(crate) fn token(&self) -> &CancellationToken {
        &self.token
    }

    pub(crate) fn cancel(&self) {
        self.cancelled.store(true, Ordering::Release);
        if let Some(slots) = &self.slots {
            slots.close();
        }
        self.token.cancel();
    }

    /// Lock-free; may miss a cancellation that came from a parent token.
    fn known_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }

    /// Exact. Takes the token's lock only for a scope with a parent whose
    /// flag is not set yet.
    pub(crate) fn is_cancelled(&self) -> bool {
        self.known_cancelled() || (self.has_parent && self.token.is_cancelled())
    }
}

/// How a wrapped task ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome<T> {
    /// The future returned this value.
    Completed(T),
    /// Polling the future panicked with this message.
    Panicked(String),
    /// The cancellation token fired before the future completed; the future
    /// is dropped without being polled again.
    Cancelled,
}

/// Wraps `fut` into the future that is actually spawned: the one place
/// where every task of the crate starts.
///
/// - `fut` runs inside a span named `task` with its name and location;
/// - a panic while polling it becomes [`Outcome::Panicked`] instead of
///   unwinding;
/// - if `cancel` is given, the scope's cancellation ends it with
///   [`Outcome::Cancelled`]: before its first poll if the scope already
///   knows, otherwise at its next `.await`;
/// - `guard` (a semaphore permit, a registry entry) lives as long as the
///   task's future, and is dropped after `fut`;
/// - `finish` turns the outcome into the task's output.
///
/// Everything lives in one flat, pin-projected struct with one poll
/// function, so the task stays small (an `async` block would store `fut`
/// twice): the per-task overhead over a bare `tokio::spawn` is what the
/// `task_group` benchmark measures. The cancellation future is allocated
/// only once `fut` has returned `Pending`: tasks that finish in one poll
/// never pay for it, tasks that wait pay one small allocation.
///
/// A panic raised while the future is *dropped* is not caught here; tokio's
/// task harness reports it as a `JoinError`.
pub(crate) fn wrap<F, G, R, Fin>(
    meta: &TaskMeta,
    cancel: Option<Arc<CancelScope>>,
    guard: G,
    fut: F,
    finish: Fin,
) -> Wrapped<F, G, Fin>
where
    F: Future,
    Fin: FnOnce(Outcome<F::Output>, Option<&CancelScope>) -> R,
{
    let span = tracing::info_span!(
        "task",
        task.name = %meta.name,
        task.location = %meta.location,
    );
    Wrapped {
        fut,
        span,
        cancel,
        cancelled: None,
        finish: Some(finish),
        _guard: guard,
    }
}

pin_project_lite::pin_project! {
    /// The future every task of the crate runs as; see [`wrap`].
    ///
    /// One flat struct (the task's future is stored once, inline) so that
    /// the per-task overhead stays small.
    pub(crate) struct Wrapped<F, G, Fin> {
        // Fields drop in declaration order: the task's future before the guard.
        #[pin]
        fut: F,
        span: tracing::Span,
        cancel: Option<Arc<CancelScope>>,
        // Boxed and created lazily: a task that completes on its first poll
        // never pays for it, and every task stays ~100 bytes smaller.
        cancelled: Option<Pin<Box<WaitForCancellationFutureOwned>>>,
        finish: Option<Fin>,
        _guard: G,
    }
}

impl<F, G, R, Fin> Future for Wrapped<F, G, Fin>
where
    F: Future,
    Fin: FnOnce(Outcome<F::Output>, Option<&CancelScope>) -> R,
{
    type Output = R;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<R> {
        let mut this = self.project();
        let _entered = this.span.enter();
        let outcome = if this
            .cancel
            .as_deref()
            .is_some_and(CancelScope::known_cancelled)
        {
            Outcome::Cancelled
        } else {
            match catch_unwind(AssertUnwindSafe(|| this.fut.as_mut().poll(cx))) {
                Ok(Poll::Ready(value)) => Outcome::Completed(value),
                Err(payload) => Outcome::Panicked(panic_message(payload.as_ref())),
                Ok(Poll::Pending) => match this.cancel.as_deref() {
                    None => return Poll::Pending,
                    Some(scope) => {
                        let cancelled = this
                            .cancelled
                            .get_or_insert_with(|| Box::pin(scope.token.clone().cancelled_owned()));
                        if cancelled.as_mut().poll(cx).is_pending() {
                            return Poll::Pending;
                        }
                        scope.cancelled.store(true, Ordering::Release);
                        Outcome::Cancelled
                    }
                },
            }
        };
        match this.finish.take() {
            Some(finish) => Poll::Ready(finish(outcome, this.cancel.as_deref())),
            // Polled again after completion: a caller bug that tokio never
            // commits; stay pending rather than panic.
            None => Poll::Pending,
        }
    }
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

    #[tokio::test]
    async fn wrap_passes_values_and_catches_panics() {
        let meta = TaskMeta {
            name: "t".into(),
            location: Location::caller(),
        };
        assert_eq!(
            wrap(&meta, None, (), async { 7 }, |o, _| o).await,
            Outcome::Completed(7)
        );
        let caught = wrap(
            &meta,
            None,
            (),
            async {
                tokio::task::yield_now().await;
                panic!("kaboom {}", 42)
            },
            |o, _| o,
        )
        .await;
        assert_eq!(caught, Outcome::<()>::Panicked("kaboom 42".to_owned()));
        // A parent token fires while the task waits: seen at the await, and
        // recorded in the flag for later tasks.
        let parent = CancellationToken::new();
        let scope = Arc::new(CancelScope::child_of(&parent, None));
        let pending = wrap(
            &meta,
            Some(Arc::clone(&scope)),
            (),
            async move {
                parent.cancel();
                std::future::pending::<()>().await
            },
            |o, _| o,
        );
        assert_eq!(pending.await, Outcome::Cancelled);
        assert!(scope.known_cancelled());
        let polled = AtomicBool::new(false);
        let never = wrap(
            &meta,
            Some(Arc::clone(&scope)),
            (),
            async {
                polled.store(true, Ordering::SeqCst);
            },
            |o, _| o,
        );
        assert_eq!(never.await, Outcome::Cancelled);
        assert!(!polled.load(Ordering::SeqCst), "polled after cancel");
        // Cancelled through the scope: known without taking the token's lock.
        let slots = Arc::new(Semaphore::new(1));
        let scope = CancelScope::root(Some(Arc::clone(&slots)));
        scope.cancel();
        assert!(scope.known_cancelled() && scope.token().is_cancelled());
        assert!(slots.is_closed());
        let boxed: Box<dyn Any + Send> = Box::new(3_u8);
        assert_eq!(panic_message(boxed.as_ref()), "<non-string panic payload>");
    }
}
