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
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;

use tokio_util::sync::CancellationToken;

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
#[derive(Debug)]
pub(crate) struct CancelScope {
    token: CancellationToken,
    cancelled: AtomicBool,
}

impl CancelScope {
    pub(crate) fn new(token: CancellationToken) -> Self {
        CancelScope {
            token,
            cancelled: AtomicBool::new(false),
        }
    }

    pub(crate) fn token(&self) -> &CancellationToken {
        &self.token
    }

    pub(crate) fn cancel(&self) {
        self.cancelled.store(true, Ordering::Release);
        self.token.cancel();
    }

    /// Lock-free; may miss a cancellation that came from a parent token.
    fn known_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }

    /// Exact (takes the token's lock unless the flag is already set).
    pub(crate) fn is_cancelled(&self) -> bool {
        self.known_cancelled() || self.token.is_cancelled()
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
/// - `guard` (a semaphore permit, a registry entry) lives until the task
///   ends, and is dropped after `fut`;
/// - `finish` turns the outcome into the task's output.
///
/// Everything lives in one state machine with one poll function, so the
/// task stays small: the per-task overhead over a bare `tokio::spawn` is
/// what the `task_group` benchmark measures. The cancellation future is
/// created only once `fut` has returned `Pending`.
///
/// A panic raised while the future is *dropped* is not caught here; tokio's
/// task harness reports it as a `JoinError`.
pub(crate) fn wrap<F, G, R, Fin>(
    meta: &TaskMeta,
    cancel: Option<Arc<CancelScope>>,
    guard: G,
    fut: F,
    finish: Fin,
) -> impl Future<Output = R> + use<F, G, R, Fin>
where
    F: Future,
    Fin: FnOnce(Outcome<F::Output>, Option<&CancelScope>) -> R,
{
    let span = tracing::info_span!(
        "task",
        task.name = %meta.name,
        task.location = %meta.location,
    );
    async move {
        let _guard = guard;
        let mut fut = std::pin::pin!(fut);
        let mut cancelled = std::pin::pin!(None);
        let outcome = std::future::poll_fn(|cx| {
            let _entered = span.enter();
            if cancel.as_ref().is_some_and(|scope| scope.known_cancelled()) {
                return Poll::Ready(Outcome::Cancelled);
            }
            match catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
                Ok(Poll::Ready(value)) => return Poll::Ready(Outcome::Completed(value)),
                Ok(Poll::Pending) => {}
                Err(payload) => {
                    return Poll::Ready(Outcome::Panicked(panic_message(payload.as_ref())));
                }
            }
            if let Some(scope) = &cancel {
                if cancelled.is_none() {
                    cancelled.set(Some(scope.token.cancelled()));
                }
                if let Some(cancelled) = cancelled.as_mut().as_pin_mut()
                    && cancelled.poll(cx).is_ready()
                {
                    scope.cancelled.store(true, Ordering::Release);
                    return Poll::Ready(Outcome::Cancelled);
                }
            }
            Poll::Pending
        })
        .await;
        let _entered = span.enter();
        finish(outcome, cancel.as_deref())
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
        let scope = Arc::new(CancelScope::new(parent.child_token()));
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
        let scope = CancelScope::new(CancellationToken::new());
        scope.cancel();
        assert!(scope.known_cancelled() && scope.token().is_cancelled());
        let boxed: Box<dyn Any + Send> = Box::new(3_u8);
        assert_eq!(panic_message(boxed.as_ref()), "<non-string panic payload>");
    }
}
