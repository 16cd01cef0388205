//! [`TaskGroup`]: named tasks with an optional concurrency limit, typed
//! errors and an error policy.

use std::future::Future;
use std::panic::Location;
use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, TryAcquireError};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::TaskName;
use crate::error::{BoxError, SpawnError, TaskError};
use crate::spawn::{self, CancelScope, Outcome, TaskMeta};

/// What a [`TaskGroup`] does when one of its tasks fails or panics.
///
/// ```
/// use asyncwise::{ErrorPolicy, TaskGroup};
///
/// let group = TaskGroup::<()>::new().with_policy(ErrorPolicy::FailFast);
/// assert_eq!(group.policy(), ErrorPolicy::FailFast);
/// assert_eq!(ErrorPolicy::default(), ErrorPolicy::CollectAll);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ErrorPolicy {
    /// Let every task run to completion and report every error.
    #[default]
    CollectAll,
    /// The first failure or panic cancels the group's token, which cancels
    /// every sibling (they report [`TaskError::Cancelled`]) and makes further
    /// spawns fail with [`SpawnError::Cancelled`].
    FailFast,
}

/// A set of named tasks that are owned, limited and awaited together.
///
/// Every task spawned into the group:
/// - runs inside a `tracing` span carrying its name and spawn location;
/// - holds one of the group's slots (if the group is [bounded](Self::bounded))
///   until it has finished, panicked or been cancelled — the permit lives
///   inside the task, not in the spawning code;
/// - is cancelled when the group's [`CancellationToken`] is cancelled: its
///   future is dropped without being polled again, like `abort` — before
///   its first poll if the group itself was cancelled, at its next `.await`
///   if the cancellation came through a parent token — and it reports
///   [`TaskError::Cancelled`] with its name;
/// - reports a panic as [`TaskError::Panicked`] and an `Err` as
///   [`TaskError::Failed`], both with its name.
///
/// Dropping the group cancels its token and aborts every task it still owns.
///
/// ```
/// use asyncwise::{BoxError, TaskGroup};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut group = TaskGroup::bounded(2);
/// for n in 1..=4_u32 {
///     // Waits for a free slot when two tasks are already running.
///     group.spawn(format!("square-{n}"), async move { Ok::<_, BoxError>(n * n) }).await?;
/// }
/// let mut squares: Vec<u32> = group.try_join_all().await?;
/// squares.sort();
/// assert_eq!(squares, [1, 4, 9, 16]);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct TaskGroup<T> {
    set: JoinSet<Result<T, TaskError>>,
    slots: Option<Arc<Semaphore>>,
    limit: Option<usize>,
    /// Shared through an `Arc` because cloning a `CancellationToken` takes a
    /// mutex in its tree (twice per task, clone and drop); an `Arc` clone is
    /// one atomic increment.
    scope: Arc<CancelScope>,
    policy: ErrorPolicy,
}

impl<T: Send + 'static> Default for TaskGroup<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Send + 'static> TaskGroup<T> {
    /// A group without a concurrency limit and with [`ErrorPolicy::CollectAll`].
    ///
    /// ```
    /// let group = asyncwise::TaskGroup::<()>::new();
    /// assert_eq!(group.limit(), None);
    /// assert!(group.is_empty());
    /// ```
    pub fn new() -> Self {
        TaskGroup {
            set: JoinSet::new(),
            slots: None,
            limit: None,
            scope: Arc::new(CancelScope::root(None)),
            policy: ErrorPolicy::CollectAll,
        }
    }

    /// A group that runs at most `limit` tasks at once.
    ///
    /// A `limit` of 0 is treated as 1 (a group that can never run anything
    /// would deadlock its first `spawn`); a limit above
    /// [`Semaphore::MAX_PERMITS`] is clamped to it.
    ///
    /// ```
    /// let group = asyncwise::TaskGroup::<()>::bounded(64);
    /// assert_eq!(group.limit(), Some(64));
    /// assert_eq!(asyncwise::TaskGroup::<()>::bounded(0).limit(), Some(1));
    /// ```
    pub fn bounded(limit: usize) -> Self {
        let limit = limit.clamp(1, Semaphore::MAX_PERMITS);
        let slots = Arc::new(Semaphore::new(limit));
        TaskGroup {
            set: JoinSet::new(),
            scope: Arc::new(CancelScope::root(Some(Arc::clone(&slots)))),
            slots: Some(slots),
            limit: Some(limit),
            policy: ErrorPolicy::CollectAll,
        }
    }

    /// Sets the error policy.
    ///
    /// ```
    /// use asyncwise::{ErrorPolicy, TaskGroup};
    ///
    /// let group = TaskGroup::<()>::bounded(8).with_policy(ErrorPolicy::FailFast);
    /// assert_eq!(group.policy(), ErrorPolicy::FailFast);
    /// ```
    pub fn with_policy(mut self, policy: ErrorPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Makes the group's token a child of `parent`: cancelling `parent` (for
    /// example the token of a [`Shutdown`](crate::Shutdown)) cancels the group,
    /// while cancelling the group leaves `parent` alone.
    ///
    /// ```
    /// use tokio_util::sync::CancellationToken;
    ///
    /// let parent = CancellationToken::new();
    /// let group = asyncwise::TaskGroup::<()>::new().with_parent(&parent);
    /// parent.cancel();
    /// assert!(group.is_cancelled());
    /// ```
    pub fn with_parent(mut self, parent: &CancellationToken) -> Self {
        self.scope = Arc::new(CancelScope::child_of(parent, self.slots.clone()));
        self
    }

    /// The error policy.
    ///
    /// ```
    /// assert_eq!(asyncwise::TaskGroup::<()>::new().policy(), asyncwise::ErrorPolicy::CollectAll);
    /// ```
    pub fn policy(&self) -> ErrorPolicy {
        self.policy
    }

    /// The concurrency limit, or `None` when the group is unbounded.
    ///
    /// ```
    /// assert_eq!(asyncwise::TaskGroup::<()>::bounded(3).limit(), Some(3));
    /// ```
    pub fn limit(&self) -> Option<usize> {
        self.limit
    }

    /// Free slots right now, or `None` when the group is unbounded.
    ///
    /// ```
    /// use asyncwise::BoxError;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), asyncwise::SpawnError> {
    /// let mut group = asyncwise::TaskGroup::bounded(2);
    /// group.spawn("wait", std::future::pending::<Result<(), BoxError>>()).await?;
    /// assert_eq!(group.available_slots(), Some(1));
    /// # Ok(())
    /// # }
    /// ```
    pub fn available_slots(&self) -> Option<usize> {
        self.slots.as_ref().map(|s| s.available_permits())
    }

    /// Tasks owned by the group: running ones and finished ones whose result
    /// has not been joined yet.
    ///
    /// ```
    /// assert_eq!(asyncwise::TaskGroup::<()>::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.set.len()
    }

    /// `true` when the group owns no task.
    ///
    /// ```
    /// assert!(asyncwise::TaskGroup::<()>::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// A child of the group's token: cancelled with the group, so tasks that
    /// want to clean up before they are dropped, or nested groups
    /// ([`with_parent`](Self::with_parent)), can watch it. Cancelling it does
    /// not cancel the group; use [`cancel`](Self::cancel) for that.
    ///
    /// ```
    /// let group = asyncwise::TaskGroup::<()>::new();
    /// let token = group.cancellation_token();
    /// token.cancel();
    /// assert!(!group.is_cancelled());
    /// group.cancel();
    /// assert!(group.cancellation_token().is_cancelled());
    /// ```
    pub fn cancellation_token(&self) -> CancellationToken {
        self.scope.token().child_token()
    }

    /// Cancels every task of the group; each reports [`TaskError::Cancelled`]
    /// from `join_next`. Further spawns fail with [`SpawnError::Cancelled`].
    ///
    /// ```
    /// let group = asyncwise::TaskGroup::<()>::new();
    /// group.cancel();
    /// assert!(group.is_cancelled());
    /// ```
    pub fn cancel(&self) {
        self.scope.cancel();
    }

    /// `true` once the group has been cancelled, by [`cancel`](Self::cancel),
    /// its parent token or a fail-fast failure.
    ///
    /// ```
    /// assert!(!asyncwise::TaskGroup::<()>::new().is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.scope.is_cancelled()
    }

    /// Spawns a named task, first waiting for a free slot if the group is
    /// bounded (backpressure for the producer).
    ///
    /// The task's `Err(e)` is reported as [`TaskError::Failed`]; `e` can be
    /// any error that converts into [`BoxError`].
    ///
    /// # Errors
    /// [`SpawnError::Cancelled`] if the group is cancelled before or while
    /// waiting for a slot; the future is then dropped without being polled.
    ///
    /// # Cancel safety
    /// Dropping the returned future while it waits for a slot gives up its
    /// place in the queue; nothing is spawned.
    ///
    /// ```
    /// use asyncwise::{BoxError, TaskGroup};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), asyncwise::SpawnError> {
    /// let mut group = TaskGroup::bounded(1);
    /// group.spawn("greet", async { Ok::<_, BoxError>("hello") }).await?;
    /// assert_eq!(group.join_next().await.unwrap().unwrap(), "hello");
    /// # Ok(())
    /// # }
    /// ```
    #[track_caller]
    pub fn spawn<F, E>(
        &mut self,
        name: impl Into<TaskName>,
        task: F,
    ) -> impl Future<Output = Result<(), SpawnError>> + Send + '_
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        E: Into<BoxError> + 'static,
    {
        let meta = TaskMeta {
            name: name.into(),
            location: Location::caller(),
        };
        async move {
            let permit = match &self.slots {
                None => None,
                Some(slots) => match Arc::clone(slots).try_acquire_owned() {
                    Ok(permit) => Some(permit),
                    Err(TryAcquireError::Closed) => return Err(SpawnError::Cancelled),
                    // No need to also watch the token here: a cancelled group
                    // closes the semaphore, and on a cancellation through a
                    // parent token every running task stops at its next
                    // `.await` and frees its slot; `spawn_with_permit` then
                    // sees the cancellation.
                    Err(TryAcquireError::NoPermits) => Some(
                        Arc::clone(slots)
                            .acquire_owned()
                            .await
                            .map_err(|_| SpawnError::Cancelled)?,
                    ),
                },
            };
            self.spawn_with_permit(meta, permit, task)
        }
    }

    /// Spawns a named task if a slot is free right now.
    ///
    /// # Errors
    /// [`SpawnError::Full`] when every slot is taken (the future is dropped
    /// without being polled), [`SpawnError::Cancelled`] when the group has
    /// been cancelled.
    ///
    /// ```
    /// use asyncwise::{BoxError, SpawnError, TaskGroup};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut group = TaskGroup::<()>::bounded(1);
    /// group.try_spawn("first", std::future::pending::<Result<(), BoxError>>()).unwrap();
    /// let second = group.try_spawn("second", async { Ok::<_, BoxError>(()) });
    /// assert_eq!(second, Err(SpawnError::Full { limit: 1 }));
    /// # }
    /// ```
    #[track_caller]
    pub fn try_spawn<F, E>(&mut self, name: impl Into<TaskName>, task: F) -> Result<(), SpawnError>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        E: Into<BoxError> + 'static,
    {
        let meta = TaskMeta {
            name: name.into(),
            location: Location::caller(),
        };
        let permit = match (&self.slots, self.limit) {
            (Some(slots), Some(limit)) => Some(Arc::clone(slots).try_acquire_owned().map_err(
                |error| match error {
                    TryAcquireError::NoPermits => SpawnError::Full { limit },
                    TryAcquireError::Closed => SpawnError::Cancelled,
                },
            )?),
            _ => None,
        };
        self.spawn_with_permit(meta, permit, task)
    }

    /// The one place where a task enters the group.
    fn spawn_with_permit<F, E>(
        &mut self,
        meta: TaskMeta,
        permit: Option<OwnedSemaphorePermit>,
        task: F,
    ) -> Result<(), SpawnError>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        E: Into<BoxError> + 'static,
    {
        if self.scope.is_cancelled() {
            return Err(SpawnError::Cancelled);
        }
        let fail_fast = self.policy == ErrorPolicy::FailFast;
        let name = meta.name.clone();
        // The permit is the task's guard: the slot is held for as long as the
        // task exists.
        self.set.spawn(spawn::wrap(
            &meta,
            Some(Arc::clone(&self.scope)),
            permit,
            task,
            move |outcome, scope| {
                let error = match outcome {
                    Outcome::Completed(Ok(value)) => return Ok(value),
                    Outcome::Completed(Err(error)) => TaskError::Failed {
                        name,
                        source: error.into(),
                    },
                    Outcome::Panicked(message) => TaskError::Panicked { name, message },
                    Outcome::Cancelled => return Err(TaskError::Cancelled { name }),
                };
                tracing::warn!(%error, "task did not succeed");
                if let (true, Some(scope)) = (fail_fast, scope) {
                    scope.cancel();
                }
                Err(error)
            },
        ));
        Ok(())
    }

    /// Waits for the next task to finish and returns its result, in
    /// completion order; `None` when the group owns no task.
    ///
    /// # Cancel safety
    /// Cancel safe: if the future is dropped, no result is lost.
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncwise::{BoxError, TaskGroup};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() -> Result<(), asyncwise::SpawnError> {
    /// let mut group = TaskGroup::new();
    /// group.spawn("slow", async {
    ///     tokio::time::sleep(Duration::from_secs(2)).await;
    ///     Ok::<_, BoxError>("slow")
    /// }).await?;
    /// group.spawn("fast", async { Ok::<_, BoxError>("fast") }).await?;
    /// assert_eq!(group.join_next().await.unwrap().unwrap(), "fast");
    /// assert_eq!(group.join_next().await.unwrap().unwrap(), "slow");
    /// assert!(group.join_next().await.is_none());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn join_next(&mut self) -> Option<Result<T, TaskError>> {
        let joined = self.set.join_next().await?;
        Some(joined.unwrap_or_else(|join_error| {
            // Panics while polling are caught inside the task, and the group
            // only aborts tasks when it is dropped, so this is reached only if
            // the runtime shuts down under us or a future panics in `Drop`.
            let name = TaskName::Borrowed("<unknown>");
            if join_error.is_panic() {
                let message = spawn::panic_message(join_error.into_panic().as_ref());
                Err(TaskError::Panicked { name, message })
            } else {
                Err(TaskError::Cancelled { name })
            }
        }))
    }

    /// Waits for every task and returns all results in completion order.
    ///
    /// ```
    /// use asyncwise::{BoxError, TaskGroup};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), asyncwise::SpawnError> {
    /// let mut group = TaskGroup::new();
    /// group.spawn("ok", async { Ok::<_, BoxError>(1) }).await?;
    /// group.spawn("bad", async { Err::<i32, BoxError>("nope".into()) }).await?;
    /// let results = group.join_all().await;
    /// assert_eq!(results.len(), 2);
    /// assert_eq!(results.iter().filter(|r| r.is_err()).count(), 1);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn join_all(&mut self) -> Vec<Result<T, TaskError>> {
        let mut results = Vec::with_capacity(self.set.len());
        while let Some(result) = self.join_next().await {
            results.push(result);
        }
        results
    }

    /// Waits for every task; on the first failure or panic, cancels the rest,
    /// waits for them to stop, and returns that failure.
    ///
    /// # Errors
    /// The first [`TaskError::Failed`] or [`TaskError::Panicked`] seen, or a
    /// [`TaskError::Cancelled`] if the group was cancelled from outside.
    ///
    /// ```
    /// use asyncwise::{BoxError, TaskGroup};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), asyncwise::SpawnError> {
    /// let mut group = TaskGroup::new();
    /// group.spawn("forever", std::future::pending::<Result<(), BoxError>>()).await?;
    /// group.spawn("broken", async { Err::<(), BoxError>("bad input".into()) }).await?;
    /// let err = group.try_join_all().await.unwrap_err();
    /// assert_eq!(err.name(), "broken");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn try_join_all(&mut self) -> Result<Vec<T>, TaskError> {
        let mut values = Vec::with_capacity(self.set.len());
        let mut first_error: Option<TaskError> = None;
        while let Some(result) = self.join_next().await {
            match result {
                Ok(value) => values.push(value),
                Err(error) => {
                    self.scope.cancel();
                    // A failure beats a cancellation as the reported cause.
                    let replace = match &first_error {
                        None => true,
                        Some(previous) => previous.is_cancelled() && !error.is_cancelled(),
                    };
                    if replace {
                        first_error = Some(error);
                    }
                }
            }
        }
        match first_error {
            Some(error) => Err(error),
            None => Ok(values),
        }
    }

    /// Cancels every task and waits until all have stopped, discarding their
    /// results.
    ///
    /// ```
    /// use asyncwise::{BoxError, TaskGroup};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), asyncwise::SpawnError> {
    /// let mut group = TaskGroup::<()>::new();
    /// group.spawn("forever", std::future::pending::<Result<(), BoxError>>()).await?;
    /// group.shutdown().await;
    /// assert!(group.is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn shutdown(&mut self) {
        self.scope.cancel();
        while self.set.join_next().await.is_some() {}
    }
}

impl<T> Drop for TaskGroup<T> {
    fn drop(&mut self) {
        // Cancel first so that tasks observing the token (and child groups)
        // see it; the `JoinSet` field, dropped right after, aborts every task.
        self.scope.cancel();
    }
}
