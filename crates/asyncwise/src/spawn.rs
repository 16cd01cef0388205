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
use std::task::Poll;

use tracing::Instrument;

use crate::TaskName;

/// What the crate knows about a task when it spawns it.
#[derive(Debug, Clone)]
pub(crate) struct TaskMeta {
    pub(crate) name: TaskName,
    pub(crate) location: &'static Location<'static>,
}

/// Wraps `fut` so that it runs inside a span named after the task and so that
/// a panic while polling it becomes `Err(message)` instead of unwinding.
///
/// A panic raised while the future is *dropped* is not caught here; tokio's
/// task harness reports it as a `JoinError`.
pub(crate) fn wrap<F>(
    meta: &TaskMeta,
    fut: F,
) -> impl Future<Output = Result<F::Output, String>> + use<F>
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
        std::future::poll_fn(
            |cx| match catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
                Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
                Ok(Poll::Pending) => Poll::Pending,
                Err(payload) => Poll::Ready(Err(panic_message(payload.as_ref()))),
            },
        )
        .await
    }
    .instrument(span)
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
        assert_eq!(wrap(&meta, async { 7 }).await, Ok(7));
        let caught = wrap(&meta, async {
            tokio::task::yield_now().await;
            panic!("kaboom {}", 42)
        })
        .await;
        assert_eq!(caught, Err::<(), _>("kaboom 42".to_owned()));
        let boxed: Box<dyn Any + Send> = Box::new(3_u8);
        assert_eq!(panic_message(boxed.as_ref()), "<non-string panic payload>");
    }
}
