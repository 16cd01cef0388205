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
use std::task::Poll;

use tokio_util::sync::CancellationToken;

use crate::TaskName;

/// What the crate knows about a task when it spawns it.
#[derive(Debug, Clone)]
pub(crate) struct TaskMeta {
    pub(crate) name: TaskName,
    pub(crate) location: &'static Location<'static>,
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

/// Wraps `fut` so that it runs inside a span named after the task, a panic
/// while polling it becomes [`Outcome::Panicked`] instead of unwinding, and
/// (if `cancel` is given) the token's cancellation ends it with
/// [`Outcome::Cancelled`] at its next poll.
///
/// Everything lives in one poll function so that the task stays small: the
/// per-task overhead over a bare `tokio::spawn` is what the `task_group`
/// benchmark measures. The cancellation future is created only once `fut`
/// has returned `Pending`.
///
/// A panic raised while the future is *dropped* is not caught here; tokio's
/// task harness reports it as a `JoinError`.
pub(crate) fn wrap<F>(
    meta: &TaskMeta,
    cancel: Option<Arc<CancellationToken>>,
    fut: F,
) -> impl Future<Output = Outcome<F::Output>> + use<F>
where
    F: Future,
{
    let span = tracing::info_span!(
        "task",
        task.name = %meta.name,
        task.location = %meta.location,
    );
    async move {
        let mut fut = std::pin::pin!(fut);
        let mut cancelled = std::pin::pin!(None);
        std::future::poll_fn(|cx| {
            let _entered = span.enter();
            if cancel.as_ref().is_some_and(|token| token.is_cancelled()) {
                return Poll::Ready(Outcome::Cancelled);
            }
            match catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
                Ok(Poll::Ready(value)) => return Poll::Ready(Outcome::Completed(value)),
                Ok(Poll::Pending) => {}
                Err(payload) => {
                    return Poll::Ready(Outcome::Panicked(panic_message(payload.as_ref())));
                }
            }
            if let Some(token) = &cancel {
                if cancelled.is_none() {
                    cancelled.set(Some(token.cancelled()));
                }
                if let Some(cancelled) = cancelled.as_mut().as_pin_mut()
                    && cancelled.poll(cx).is_ready()
                {
                    return Poll::Ready(Outcome::Cancelled);
                }
            }
            Poll::Pending
        })
        .await
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
        assert_eq!(wrap(&meta, None, async { 7 }).await, Outcome::Completed(7));
        let caught = wrap(&meta, None, async {
            tokio::task::yield_now().await;
            panic!("kaboom {}", 42)
        })
        .await;
        assert_eq!(caught, Outcome::<()>::Panicked("kaboom 42".to_owned()));
        let token = Arc::new(CancellationToken::new());
        let cancel = Arc::clone(&token);
        let pending = wrap(&meta, Some(Arc::clone(&token)), async move {
            // Cancels its own token, then waits forever: ends at the next poll.
            cancel.cancel();
            std::future::pending::<()>().await
        });
        assert_eq!(pending.await, Outcome::Cancelled);
        let polled = std::sync::atomic::AtomicBool::new(false);
        let never = wrap(&meta, Some(token), async {
            polled.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        assert_eq!(never.await, Outcome::Cancelled);
        assert!(
            !polled.load(std::sync::atomic::Ordering::SeqCst),
            "polled after cancel"
        );
        let boxed: Box<dyn Any + Send> = Box::new(3_u8);
        assert_eq!(panic_message(boxed.as_ref()), "<non-string panic payload>");
    }
}
