//! [`TaskGroup`]: named tasks with an optional concurrency limit, typed
//! errors, an error policy and graceful cancellation.

use std::collections::VecDeque;
use std::future::Future;
use std::panic::Location;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::{Semaphore, TryAcquireError};
use tokio::task::{Id, JoinError, JoinSet};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::TaskName;
use crate::error::{BoxError, SpawnError, TaskError};
use crate::shutdown::Shutdown;
use crate::spawn::{self, CancelScope, Grace, Outcome, Setup, Slot, TaskMeta, TaskOutput};

/// What a [`TaskGroup`] does when one of its tasks fails or panics.
///
/// A task fails when its output is a failure for [`TaskOutput`] (an `Err`).
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
    /// The first failure or panic cancels the group (see
    /// [`TaskGroup::cancel`]): siblings get the group's grace period and
    /// then report [`TaskError::Cancelled`], and further spawns fail with
    /// [`SpawnError::Cancelled`].
    FailFast,
}

/// A finished task of a [`TaskGroup`], with its id and name.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), asyncwise::SpawnError> {
/// let mut group = asyncwise::TaskGroup::new();
/// let id = group.spawn("seven", async { 7 })?;
/// let joined = group.join_next_named().await.unwrap();
/// assert_eq!((joined.id, joined.name.as_ref()), (id, "seven"));
/// assert_eq!(joined.result.unwrap(), 7);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct Joined<T> {
    /// The Tokio task id that [`TaskGroup::spawn`] returned.
    pub id: Id,
    /// The name the task was spawned with.
    pub name: TaskName,
    /// Its output, or why there is none.
    pub result: Result<T, TaskError>,
}

/// Why a task of the group produced no output; the name is added when it
/// is joined.
#[derive(Debug)]
enum Fault {
    /// Boxed: a fault is rare, and a pointer-sized fault keeps every
    /// output (moved several times between the task and `join_next`)
    /// small; `Box<str>` would be two words.
    #[expect(
        clippy::box_collection,
        reason = "one word instead of three in every task's output"
    )]
    Panicked(Box<String>),
    Cancelled,
}

/// What a task of a group returns to the `JoinSet`: its name and outcome.
type Output<T> = (TaskName, Result<T, Fault>);

/// What the `JoinSet` hands back for one task.
type JoinResult<T> = Result<(Id, Output<T>), JoinError>;

/// A set of named tasks that are owned, limited and awaited together: a
/// `JoinSet` (+ `Semaphore`) that names its tasks, reads their outputs,
/// and cancels gracefully.
///
/// Every task spawned into the group:
/// - runs inside a `tracing` span carrying its name and spawn location;
/// - may return any [`TaskOutput`]: `Result` outputs are a failure when
///   they are `Err` (which matters for [`ErrorPolicy::FailFast`],
///   [`try_join_all`](Self::try_join_all) and a tracking
///   [`Shutdown`]), other outputs are successes; `join_next` hands back the
///   output itself, like `JoinSet`;
/// - holds one of the group's slots (if the group is [bounded](Self::bounded))
///   from its first poll until it has finished, panicked or been cancelled —
///   the permit lives inside the task, not in the spawning code;
/// - reports a panic (while polled or while dropped) as
///   [`TaskError::Panicked`] with its name.
///
/// # Cancellation and grace
/// The group is cancelled by [`cancel`](Self::cancel), by its parent token
/// ([`with_parent`](Self::with_parent), [`with_shutdown`](Self::with_shutdown)),
/// by a fail-fast failure, or by being dropped. Then:
/// 1. its token fires: tasks that watch [`cancellation_token`](Self::cancellation_token)
///    can finish their work (flush a buffer, answer a request);
/// 2. tasks that have not started yet are dropped without being polled;
/// 3. running tasks get the group's grace period: zero by default,
///    [`with_grace`](Self::with_grace) sets it, and a group made with
///    [`with_shutdown`](Self::with_shutdown) gets until the shutdown's
///    drain deadline. During it they are polled as usual;
/// 4. when the grace ends, whatever is left is cut: its future is dropped
///    and never polled again, and it reports [`TaskError::Cancelled`].
///
/// With a zero grace (the default) a task is cut as soon as its
/// cancellation is seen, without being polled again: once the cancellation
/// has returned (`cancel`, the parent's `cancel`, the failing task's end),
/// no poll of the group's tasks begins. A poll that is already running on
/// another worker thread at that moment runs on to its next `.await`:
/// nothing can stop a poll midway. A group with neither parent nor grace
/// also aborts its waiting tasks on the next join.
///
/// Dropping the group cancels it; with a zero grace its tasks are aborted
/// at once, otherwise they are left to finish within their grace (their
/// results are discarded).
///
/// ```
/// use std::time::Duration;
/// use asyncwise::TaskGroup;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> Result<(), asyncwise::SpawnError> {
/// let mut group = TaskGroup::new().with_grace(Duration::from_secs(5));
/// let token = group.cancellation_token();
/// group.spawn("flusher", async move {
///     token.cancelled().await;
///     tokio::time::sleep(Duration::from_secs(2)).await; // flushing
///     "flushed"
/// })?;
/// group.spawn("deaf", async {
///     tokio::time::sleep(Duration::from_secs(3600)).await;
///     "finished"
/// })?;
/// tokio::task::yield_now().await;
/// group.cancel();
/// let start = tokio::time::Instant::now();
/// let mut results = Vec::new();
/// while let Some(joined) = group.join_next_named().await {
///     results.push((joined.name.into_owned(), joined.result.map_err(|e| e.is_cancelled())));
/// }
/// results.sort();
/// assert_eq!(results, [("deaf".into(), Err(true)), ("flusher".into(), Ok("flushed"))]);
/// assert_eq!(start.elapsed(), Duration::from_secs(5)); // the grace, not an hour
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct TaskGroup<T: 'static> {
    set: JoinSet<Output<T>>,
    slots: Option<Arc<Semaphore>>,
    limit: Option<usize>,
    parent: Option<CancellationToken>,
    grace: Grace,
    tracked: Option<(Shutdown, TaskName)>,
    /// Shared through an `Arc` because cloning a `CancellationToken` takes a
    /// mutex in its tree; an `Arc` clone is one atomic increment.
    scope: Arc<CancelScope>,
    policy: ErrorPolicy,
    /// The parked tasks of a cancelled plain group have been aborted.
    aborted: bool,
    /// Tasks spawned through [`Spawner`]s, once one was asked for.
    shared: Option<Arc<Shared<T>>>,
    /// Results taken from the tasks by a `join_all` or `try_join_all` that has
    /// not returned yet: kept here so that a call dropped half-way loses none
    /// (the next join hands them out first).
    unclaimed: VecDeque<Joined<T>>,
}

impl<T: Send + 'static> Default for TaskGroup<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Send + 'static> TaskGroup<T> {
    /// A group without a concurrency limit, with [`ErrorPolicy::CollectAll`]
    /// and no grace period.
    ///
    /// ```
    /// let group = asyncwise::TaskGroup::<()>::new();
    /// assert_eq!(group.limit(), None);
    /// assert!(group.is_empty());
    /// ```
    pub fn new() -> Self {
        Self::with_slots(None)
    }

    /// A group that runs at most `limit` tasks at once.
    ///
    /// A `limit` of 0 is treated as 1 (a group that can never run anything
    /// would deadlock); a limit above [`Semaphore::MAX_PERMITS`] is clamped
    /// to it.
    ///
    /// ```
    /// let group = asyncwise::TaskGroup::<()>::bounded(64);
    /// assert_eq!(group.limit(), Some(64));
    /// assert_eq!(asyncwise::TaskGroup::<()>::bounded(0).limit(), Some(1));
    /// ```
    pub fn bounded(limit: usize) -> Self {
        Self::with_slots(Some(limit.clamp(1, Semaphore::MAX_PERMITS)))
    }

    fn with_slots(limit: Option<usize>) -> Self {
        let slots = limit.map(|limit| Arc::new(Semaphore::new(limit)));
        let grace = Grace::Fixed(Duration::ZERO);
        TaskGroup {
            set: JoinSet::new(),
            scope: Arc::new(CancelScope::new(None, grace.clone(), slots.clone())),
            slots,
            limit,
            parent: None,
            grace,
            tracked: None,
            policy: ErrorPolicy::CollectAll,
            aborted: false,
            shared: None,
            unclaimed: VecDeque::new(),
        }
    }

    /// Rebuilds the scope after a builder call changed its inputs.
    fn rescope(mut self) -> Self {
        self.scope = Arc::new(CancelScope::new(
            self.parent.as_ref(),
            self.grace.clone(),
            self.slots.clone(),
        ));
        self.scope
            .set_fail_fast(self.policy == ErrorPolicy::FailFast);
        self
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
        // The scope carries the policy, so its tasks need not (and tasks
        // already spawned, and spawners, follow it).
        self.scope.set_fail_fast(policy == ErrorPolicy::FailFast);
        self
    }

    /// Makes the group's token a child of `parent`: cancelling `parent`
    /// cancels the group, while cancelling the group leaves `parent` alone.
    /// (For a [`Shutdown`]'s token prefer [`with_shutdown`](Self::with_shutdown),
    /// which also gives the tasks the drain deadline as grace.) It and
    /// `with_shutdown` both set the parent: the later call decides.
    ///
    /// ```
    /// use asyncwise::CancellationToken;
    ///
    /// let parent = CancellationToken::new();
    /// let group = asyncwise::TaskGroup::<()>::new().with_parent(&parent);
    /// parent.cancel();
    /// assert!(group.is_cancelled());
    /// ```
    pub fn with_parent(mut self, parent: &CancellationToken) -> Self {
        self.parent = Some(parent.clone());
        self.rescope()
    }

    /// How long cancelled tasks may keep running (see the type's
    /// documentation). Default: zero. [`with_shutdown`](Self::with_shutdown)
    /// sets the grace too: the later of the two calls decides. `Duration::MAX` never cuts them (any
    /// grace past about 30 years is taken as 30 years). A tracked task (the
    /// group made `with_shutdown`, then given this grace) that is cut when a
    /// non-zero grace ends is named in
    /// [`ShutdownReport::cut`](crate::ShutdownReport::cut), or among the
    /// [stragglers](crate::ShutdownReport::stragglers) if the drain deadline
    /// had passed by then; with zero grace it is
    /// [`aborted`](crate::ShutdownReport::aborted).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let group = asyncwise::TaskGroup::<()>::new().with_grace(Duration::from_secs(2));
    /// # drop(group);
    /// ```
    pub fn with_grace(mut self, grace: Duration) -> Self {
        self.grace = Grace::Fixed(grace);
        self.rescope()
    }

    /// Ties the group to a [`Shutdown`]: the group is cancelled when the
    /// shutdown is triggered, its tasks get until the drain deadline as
    /// grace (cancelled on its own before the shutdown is triggered, the
    /// group gives them the shutdown's deadline from then, without fixing
    /// the drain's), and each task is tracked by the shutdown as `name/task` — the
    /// drain waits for it, aborts it at the deadline and names it in the
    /// report if it straggles (also when the group itself cuts it at the end
    /// of this grace, the same instant), and its failure or panic is recorded in the
    /// report (and triggers the shutdown if the shutdown is configured so).
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncwise::{Shutdown, TaskGroup};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() -> Result<(), asyncwise::SpawnError> {
    /// let shutdown = Shutdown::with_deadline(Duration::from_secs(10));
    /// let mut group = TaskGroup::new().with_shutdown(&shutdown, "uploads");
    /// let token = group.cancellation_token();
    /// group.spawn("flush", async move {
    ///     token.cancelled().await;
    ///     tokio::time::sleep(Duration::from_secs(3)).await; // within the deadline
    /// })?;
    /// group.spawn("stuck", std::future::pending::<()>())?;
    /// tokio::task::yield_now().await;
    /// let report = shutdown.drain().await;
    /// assert_eq!(report.stragglers[0].name, "uploads/stuck");
    /// assert_eq!(report.drain_time, Duration::from_secs(10));
    /// let mut ended: Vec<_> = group.join_all().await.into_iter().map(|r| r.is_ok()).collect();
    /// ended.sort();
    /// assert_eq!(ended, [false, true]); // "flush" finished, "stuck" was cut
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_shutdown(mut self, shutdown: &Shutdown, name: impl Into<TaskName>) -> Self {
        self.parent = Some(shutdown.token());
        self.grace = Grace::UntilDrainDeadline(shutdown.clone());
        self.tracked = Some((shutdown.clone(), name.into()));
        self.rescope()
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
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), asyncwise::SpawnError> {
    /// let mut group = asyncwise::TaskGroup::bounded(2);
    /// group.spawn("wait", std::future::pending::<()>())?;
    /// assert_eq!(group.available_slots(), Some(1));
    /// # Ok(())
    /// # }
    /// ```
    pub fn available_slots(&self) -> Option<usize> {
        self.slots.as_ref().map(|s| s.available_permits())
    }

    /// Tasks owned by the group: running ones, ones waiting for a slot,
    /// and finished ones whose result has not been joined yet.
    ///
    /// ```
    /// assert_eq!(asyncwise::TaskGroup::<()>::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.set.len()
            + self.shared.as_ref().map_or(0, |shared| shared.set().len())
            + self.unclaimed.len()
    }

    /// `true` when the group owns no task.
    ///
    /// ```
    /// assert!(asyncwise::TaskGroup::<()>::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A child of the group's token: cancelled with the group, so tasks
    /// that want to clean up within their grace period, or nested groups
    /// ([`with_parent`](Self::with_parent)), can watch it. Cancelling it
    /// does not cancel the group; use [`cancel`](Self::cancel) for that.
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

    /// Cancels the group (see "Cancellation and grace" above). Further
    /// spawns fail with [`SpawnError::Cancelled`].
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
}

impl<T: TaskOutput + Send + 'static> TaskGroup<T> {
    /// Spawns a named task at once and returns its id. In a bounded group
    /// without a free slot the task is queued: it waits for a slot before
    /// its first poll (the limit still holds). Use
    /// [`spawn_wait`](Self::spawn_wait) when the producer should wait
    /// instead (backpressure), or [`try_spawn`](Self::try_spawn).
    ///
    /// # Errors
    /// [`SpawnError::Cancelled`] if the group is cancelled; the future is
    /// then dropped without being polled.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), asyncwise::SpawnError> {
    /// let mut group = asyncwise::TaskGroup::new();
    /// group.spawn("greet", async { "hello" })?;
    /// assert_eq!(group.join_next().await.unwrap().unwrap(), "hello");
    /// # Ok(())
    /// # }
    /// ```
    #[track_caller]
    pub fn spawn<F>(&mut self, name: impl Into<TaskName>, task: F) -> Result<Id, SpawnError>
    where
        F: Future<Output = T> + Send + 'static,
    {
        let meta = TaskMeta {
            name: name.into(),
            location: Location::caller(),
        };
        let slot = slot_now(self.slots.as_ref())?;
        self.spawn_with_slot(meta, slot, task)
    }

    /// Spawns a named task, first waiting for a free slot if the group is
    /// bounded (backpressure for the producer).
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
    /// use std::time::Duration;
    /// use asyncwise::TaskGroup;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() -> Result<(), asyncwise::SpawnError> {
    /// let mut group = TaskGroup::bounded(1);
    /// group.spawn("first", tokio::time::sleep(Duration::from_secs(1)))?;
    /// let start = tokio::time::Instant::now();
    /// group.spawn_wait("second", tokio::time::sleep(Duration::from_secs(1))).await?;
    /// assert_eq!(start.elapsed(), Duration::from_secs(1)); // waited for the slot
    /// # Ok(())
    /// # }
    /// ```
    #[track_caller]
    pub fn spawn_wait<F>(
        &mut self,
        name: impl Into<TaskName>,
        task: F,
    ) -> impl Future<Output = Result<Id, SpawnError>> + Send + '_
    where
        F: Future<Output = T> + Send + 'static,
    {
        let meta = TaskMeta {
            name: name.into(),
            location: Location::caller(),
        };
        async move {
            let slot = slot_wait(self.slots.as_ref()).await?;
            self.spawn_with_slot(meta, slot, task)
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
    /// use asyncwise::{SpawnError, TaskGroup};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut group = TaskGroup::<()>::bounded(1);
    /// group.try_spawn("first", std::future::pending()).unwrap();
    /// let second = group.try_spawn("second", async {});
    /// assert_eq!(second, Err(SpawnError::Full { limit: 1 }));
    /// # }
    /// ```
    #[track_caller]
    pub fn try_spawn<F>(&mut self, name: impl Into<TaskName>, task: F) -> Result<Id, SpawnError>
    where
        F: Future<Output = T> + Send + 'static,
    {
        let meta = TaskMeta {
            name: name.into(),
            location: Location::caller(),
        };
        let slot = slot_if_free(self.slots.as_ref(), self.limit)?;
        self.spawn_with_slot(meta, slot, task)
    }

    /// Spawns a named blocking closure on Tokio's blocking pool as a task
    /// of the group, like [`spawn`](Self::spawn) (same slot, name and
    /// panic handling). Cancellation cannot stop a closure that runs: when
    /// the task is cut, the group stops waiting for it and the closure
    /// finishes in the background. In a group made
    /// [`with_shutdown`](Self::with_shutdown) that holds at the drain
    /// deadline too: the task is a straggler, but the closure is no tracked
    /// task of its own, so it is not in
    /// [`ShutdownReport::not_stopped`](crate::ShutdownReport::not_stopped)
    /// and the drain does not wait for it; use
    /// [`Shutdown::spawn_blocking`] for a closure the drain must account for.
    ///
    /// # Errors
    /// [`SpawnError::Cancelled`] if the group is cancelled.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), asyncwise::SpawnError> {
    /// let mut group = asyncwise::TaskGroup::bounded(2);
    /// group.spawn_blocking("checksum", || (1..=10_u32).sum::<u32>())?;
    /// assert_eq!(group.join_next().await.unwrap().unwrap(), 55);
    /// # Ok(())
    /// # }
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F>(
        &mut self,
        name: impl Into<TaskName>,
        task: F,
    ) -> Result<Id, SpawnError>
    where
        F: FnOnce() -> T + Send + 'static,
    {
        self.spawn(name, async move {
            match tokio::task::spawn_blocking(task).await {
                Ok(output) => output,
                Err(join_error) if join_error.is_panic() => {
                    std::panic::resume_unwind(join_error.into_panic())
                }
                // The runtime is shutting down: nothing to return.
                Err(_) => std::future::pending().await,
            }
        })
    }

    /// Like [`spawn`](Self::spawn), for a future that is not `Send` (it
    /// holds an `Rc`, a `RefCell` borrow across an await, a `!Send` client):
    /// the task runs on the current [`LocalSet`](tokio::task::LocalSet),
    /// with the same name, limit, cancellation, grace period, tracking and
    /// watchdog as every other task of the group. Its output must still be
    /// `Send`, like the group's.
    ///
    /// # Errors
    /// [`SpawnError::Cancelled`] if the group is cancelled.
    ///
    /// # Panics
    /// Outside a `LocalSet`, as [`tokio::task::spawn_local`] does.
    ///
    /// ```
    /// use std::rc::Rc;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), asyncwise::SpawnError> {
    /// let local = tokio::task::LocalSet::new();
    /// local
    ///     .run_until(async {
    ///         let mut group = asyncwise::TaskGroup::bounded(2);
    ///         let shared = Rc::new(40); // not Send
    ///         let held = Rc::clone(&shared);
    ///         group.spawn_local("local", async move {
    ///             tokio::task::yield_now().await;
    ///             *held + 2
    ///         })?;
    ///         assert_eq!(group.join_next().await.unwrap().unwrap(), 42);
    ///         Ok(())
    ///     })
    ///     .await
    /// # }
    /// ```
    #[track_caller]
    pub fn spawn_local<F>(&mut self, name: impl Into<TaskName>, task: F) -> Result<Id, SpawnError>
    where
        F: Future<Output = T> + 'static,
    {
        let meta = TaskMeta {
            name: name.into(),
            location: Location::caller(),
        };
        let slot = match &self.slots {
            None => Slot::None,
            Some(slots) => match Arc::clone(slots).try_acquire_owned() {
                Ok(permit) => Slot::Held(permit),
                Err(TryAcquireError::Closed) => return Err(SpawnError::Cancelled),
                Err(TryAcquireError::NoPermits) => Slot::Wait(Arc::clone(slots)),
            },
        };
        spawn_local_into(
            &mut self.set,
            &self.scope,
            self.tracked.as_ref(),
            meta,
            slot,
            task,
        )
    }

    /// The one place where a task enters the group.
    #[inline]
    fn spawn_with_slot<F>(&mut self, meta: TaskMeta, slot: Slot, task: F) -> Result<Id, SpawnError>
    where
        F: Future<Output = T> + Send + 'static,
    {
        spawn_into(
            &mut self.set,
            &self.scope,
            self.tracked.as_ref(),
            meta,
            slot,
            task,
        )
    }

    /// A cloneable handle that spawns into this group from `&self`, for
    /// code that cannot hold `&mut TaskGroup` (a request handler, a
    /// callback). Its tasks are the group's: limited, cancelled, joined and
    /// dropped with it. The handle copies the group's configuration: call
    /// it after the builder methods.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), asyncwise::SpawnError> {
    /// let mut group = asyncwise::TaskGroup::bounded(4);
    /// let spawner = group.spawner();
    /// let handler = spawner.clone();
    /// handler.spawn("from-a-handler", async { 2 })?;
    /// spawner.spawn("from-elsewhere", async { 3 })?;
    /// let sum: u32 = group.join_all().await.into_iter().map(Result::unwrap).sum();
    /// assert_eq!(sum, 5);
    /// # Ok(())
    /// # }
    /// ```
    pub fn spawner(&mut self) -> Spawner<T> {
        let shared = self.shared.get_or_insert_with(|| {
            Arc::new(Shared {
                set: Mutex::new(JoinSet::new()),
                scope: Arc::clone(&self.scope),
                slots: self.slots.clone(),
                limit: self.limit,
                tracked: self.tracked.clone(),
            })
        });
        Spawner {
            shared: Arc::clone(shared),
        }
    }
}

/// The slot a task gets when it is spawned without waiting.
#[inline]
fn slot_now(slots: Option<&Arc<Semaphore>>) -> Result<Slot, SpawnError> {
    Ok(match slots {
        None => Slot::None,
        Some(slots) => match Arc::clone(slots).try_acquire_owned() {
            Ok(permit) => Slot::Held(permit),
            Err(TryAcquireError::Closed) => return Err(SpawnError::Cancelled),
            Err(TryAcquireError::NoPermits) => Slot::Wait(Arc::clone(slots)),
        },
    })
}

/// The slot a task gets when it is spawned only if one is free right now.
fn slot_if_free(slots: Option<&Arc<Semaphore>>, limit: Option<usize>) -> Result<Slot, SpawnError> {
    Ok(match (slots, limit) {
        (Some(slots), Some(limit)) => Slot::Held(Arc::clone(slots).try_acquire_owned().map_err(
            |error| match error {
                TryAcquireError::NoPermits => SpawnError::Full { limit },
                TryAcquireError::Closed => SpawnError::Cancelled,
            },
        )?),
        _ => Slot::None,
    })
}

/// The slot a task gets when its producer waits for one (backpressure). A
/// cancelled group closes its semaphore, so the wait ends with
/// [`SpawnError::Cancelled`].
async fn slot_wait(slots: Option<&Arc<Semaphore>>) -> Result<Slot, SpawnError> {
    Ok(match slots {
        None => Slot::None,
        Some(slots) => Slot::Held(
            Arc::clone(slots)
                .acquire_owned()
                .await
                .map_err(|_| SpawnError::Cancelled)?,
        ),
    })
}

/// Spawns one task of a group into `set`.
#[inline]
fn spawn_into<T, F>(
    set: &mut JoinSet<Output<T>>,
    scope: &Arc<CancelScope>,
    tracked: Option<&(Shutdown, TaskName)>,
    meta: TaskMeta,
    slot: Slot,
    task: F,
) -> Result<Id, SpawnError>
where
    T: TaskOutput + Send + 'static,
    F: Future<Output = T> + Send + 'static,
{
    if scope.is_cancelled() {
        return Err(SpawnError::Cancelled);
    }
    let span = spawn::task_span(&meta.name, meta.location);
    if tracked.is_none() && spawn::plain_fits(scope, &slot, &span) {
        // Built in place, so the task's future is moved as little as
        // possible on the way into its cell.
        let plain = spawn::wrap_plain(Arc::clone(scope), slot, meta.name, task, plain_finish);
        return Ok(set.spawn(plain).id());
    }
    let (wrapped, registration) = prepare_wrapped(scope, tracked, meta, slot, span, task);
    let abort = set.spawn(wrapped);
    Ok(registered(registration, abort))
}

/// Spawns one `!Send` task of a group into `set`, on the current
/// [`LocalSet`](tokio::task::LocalSet).
fn spawn_local_into<T, F>(
    set: &mut JoinSet<Output<T>>,
    scope: &Arc<CancelScope>,
    tracked: Option<&(Shutdown, TaskName)>,
    meta: TaskMeta,
    slot: Slot,
    task: F,
) -> Result<Id, SpawnError>
where
    T: TaskOutput + 'static,
    F: Future<Output = T> + 'static,
{
    if scope.is_cancelled() {
        return Err(SpawnError::Cancelled);
    }
    let span = spawn::task_span(&meta.name, meta.location);
    if tracked.is_none() && spawn::plain_fits(scope, &slot, &span) {
        let plain = spawn::wrap_plain(Arc::clone(scope), slot, meta.name, task, plain_finish);
        return Ok(set.spawn_local(plain).id());
    }
    let (wrapped, registration) = prepare_wrapped(scope, tracked, meta, slot, span, task);
    let abort = set.spawn_local(wrapped);
    Ok(registered(registration, abort))
}

/// Where a tracked task is registered once spawned: the shutdown, its path,
/// its tracking id and its start time.
type Registration = Option<(Shutdown, TaskMeta, u64, Instant)>;

/// Registers a spawned task in its shutdown (if tracked); returns its id.
#[inline]
fn registered(registration: Registration, abort: tokio::task::AbortHandle) -> Id {
    if let Some((shutdown, path, id, started)) = registration {
        shutdown.register(id, &path, started, abort.clone());
    }
    abort.id()
}

/// What a group task's output says about a failure, for the log, the
/// fail-fast policy and a tracking shutdown; `None` on success.
fn group_failure<T: TaskOutput>(outcome: &Outcome<T>) -> Option<TaskError> {
    match outcome {
        Outcome::Completed(output) if output.is_failure() => {
            output.failure().map(|message| TaskError::Failed {
                name: TaskName::Borrowed(""),
                source: message.into(),
            })
        }
        Outcome::Panicked(message) => Some(TaskError::Panicked {
            name: TaskName::Borrowed(""),
            message: message.clone(),
        }),
        _ => None,
    }
}

/// Logs a failed group task and applies the scope's fail-fast policy.
#[cold]
fn group_task_failed(error: &TaskError, scope: Option<&CancelScope>) {
    tracing::warn!(error = %error_text(error), "task did not succeed");
    if let Some(scope) = scope.filter(|scope| scope.fail_fast()) {
        scope.cancel();
    }
}

/// A group task's output as the `JoinSet` holds it.
#[inline]
fn group_output<T>(outcome: Outcome<T>, name: TaskName) -> Output<T> {
    let result = match outcome {
        Outcome::Completed(output) => Ok(output),
        Outcome::Panicked(message) => Err(Fault::Panicked(Box::new(message))),
        Outcome::Cancelled => Err(Fault::Cancelled),
    };
    (name, result)
}

/// The `finish` of a [`Plain`](spawn::Plain) group task.
fn plain_finish<T: TaskOutput>(
    outcome: Outcome<T>,
    scope: &CancelScope,
    name: TaskName,
) -> Output<T> {
    if let Some(error) = group_failure(&outcome) {
        group_task_failed(&error, Some(scope));
    }
    group_output(outcome, name)
}

/// Builds the full wrapper of a task of a group (the same for `Send` and
/// local tasks: it is `Send` exactly when `task` is), for a task that is
/// tracked, waits for a slot or its scope's cancellation, has a span or
/// is watched.
fn prepare_wrapped<T, F>(
    scope: &Arc<CancelScope>,
    tracked: Option<&(Shutdown, TaskName)>,
    meta: TaskMeta,
    slot: Slot,
    span: tracing::Span,
    task: F,
) -> (impl Future<Output = Output<T>> + 'static, Registration)
where
    T: TaskOutput + 'static,
    F: Future<Output = T> + 'static,
{
    let (tracking, report_to) = match tracked {
        Some((shutdown, group)) => {
            let path = TaskMeta {
                name: format!("{group}/{}", meta.name).into(),
                location: meta.location,
            };
            (Some(shutdown.track()), Some((shutdown.clone(), path)))
        }
        None => (None, None),
    };
    let registration = match (&tracking, &report_to) {
        (Some(tracking), Some((shutdown, path))) => {
            Some((shutdown.clone(), path.clone(), tracking.id()))
        }
        _ => None,
    };
    // Boxed with the start time: most groups are not tracked, and a small
    // task moves less.
    let report_to = report_to.map(|(shutdown, path)| Box::new((shutdown, path, Instant::now())));
    let started = report_to.as_ref().map(|tracked| tracked.2);
    // The name moves into the task (no clone: an owned name would allocate).
    let TaskMeta { name, location } = meta;
    let setup = Setup {
        scope: Some(Arc::clone(scope)),
        slot,
        tracking,
        name: Some(name),
        path: registration.as_ref().map(|(_, path, _)| path.name.clone()),
        span: Some(span),
    };
    let meta = TaskMeta {
        name: TaskName::Borrowed(""),
        location,
    };
    let wrapped = spawn::wrap(&meta, setup, task, move |outcome, scope, name| {
        if let Some(error) = group_failure(&outcome) {
            group_task_failed(&error, scope);
            if let Some(tracked) = &report_to {
                let (shutdown, path, started) = &**tracked;
                let error = with_name(error, path.name.clone());
                shutdown.record_failure(path, *started, error, true);
            }
        }
        group_output(outcome, name.unwrap_or(TaskName::Borrowed("<unknown>")))
    });
    let registration = registration
        .zip(started)
        .map(|((shutdown, path, id), started)| (shutdown, path, id, started));
    (wrapped, registration)
}

/// What a [`Spawner`] shares with its group.
#[derive(Debug)]
struct Shared<T: 'static> {
    set: Mutex<JoinSet<Output<T>>>,
    scope: Arc<CancelScope>,
    slots: Option<Arc<Semaphore>>,
    limit: Option<usize>,
    tracked: Option<(Shutdown, TaskName)>,
}

impl<T: 'static> Shared<T> {
    fn set(&self) -> MutexGuard<'_, JoinSet<Output<T>>> {
        // Critical sections never panic; recover the data if one ever did.
        self.set.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A cloneable handle that spawns tasks into a [`TaskGroup`] from `&self`
/// (see [`TaskGroup::spawner`]). Spawning takes a short, uncontended lock
/// that is never held across an `.await`.
///
/// ```
/// use asyncwise::{Spawner, TaskGroup};
///
/// struct Server {
///     tasks: Spawner<()>,
/// }
///
/// impl Server {
///     fn on_request(&self, id: u32) {
///         // A cancelled group refuses the task; a server would log it.
///         let _ = self.tasks.spawn(format!("request-{id}"), async {});
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let mut group = TaskGroup::new();
/// let server = Server { tasks: group.spawner() };
/// server.on_request(1);
/// server.on_request(2);
/// assert_eq!(group.join_all().await.len(), 2);
/// # }
/// ```
#[derive(Debug)]
pub struct Spawner<T: 'static> {
    shared: Arc<Shared<T>>,
}

impl<T: 'static> Clone for Spawner<T> {
    fn clone(&self) -> Self {
        Spawner {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T: TaskOutput + Send + 'static> Spawner<T> {
    /// Like [`TaskGroup::spawn`]: at once, queued for a slot if the group
    /// is full.
    ///
    /// # Errors
    /// [`SpawnError::Cancelled`] if the group is cancelled or dropped.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut group = asyncwise::TaskGroup::<()>::new();
    /// let spawner = group.spawner();
    /// drop(group);
    /// assert!(spawner.spawn("late", async {}).is_err());
    /// # }
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, name: impl Into<TaskName>, task: F) -> Result<Id, SpawnError>
    where
        F: Future<Output = T> + Send + 'static,
    {
        let meta = TaskMeta {
            name: name.into(),
            location: Location::caller(),
        };
        let slot = slot_now(self.shared.slots.as_ref())?;
        self.spawn_with_slot(meta, slot, task)
    }

    /// Like [`TaskGroup::spawn_wait`]: waits for a free slot first
    /// (without holding any lock).
    ///
    /// # Errors
    /// [`SpawnError::Cancelled`] if the group is cancelled or dropped.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), asyncwise::SpawnError> {
    /// let mut group = asyncwise::TaskGroup::bounded(1);
    /// let spawner = group.spawner();
    /// spawner.spawn_wait("first", async { 1 }).await?;
    /// spawner.spawn_wait("second", async { 2 }).await?; // waits for "first"
    /// assert_eq!(group.join_all().await.len(), 2);
    /// # Ok(())
    /// # }
    /// ```
    #[track_caller]
    pub fn spawn_wait<F>(
        &self,
        name: impl Into<TaskName>,
        task: F,
    ) -> impl Future<Output = Result<Id, SpawnError>> + Send + '_
    where
        F: Future<Output = T> + Send + 'static,
    {
        let meta = TaskMeta {
            name: name.into(),
            location: Location::caller(),
        };
        async move {
            let slot = slot_wait(self.shared.slots.as_ref()).await?;
            self.spawn_with_slot(meta, slot, task)
        }
    }

    /// Like [`TaskGroup::try_spawn`].
    ///
    /// # Errors
    /// [`SpawnError::Full`] when every slot is taken,
    /// [`SpawnError::Cancelled`] when the group is cancelled or dropped.
    ///
    /// ```
    /// use asyncwise::SpawnError;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut group = asyncwise::TaskGroup::<()>::bounded(1);
    /// let spawner = group.spawner();
    /// spawner.try_spawn("first", std::future::pending()).unwrap();
    /// assert_eq!(spawner.try_spawn("second", async {}), Err(SpawnError::Full { limit: 1 }));
    /// # }
    /// ```
    #[track_caller]
    pub fn try_spawn<F>(&self, name: impl Into<TaskName>, task: F) -> Result<Id, SpawnError>
    where
        F: Future<Output = T> + Send + 'static,
    {
        let meta = TaskMeta {
            name: name.into(),
            location: Location::caller(),
        };
        let slot = slot_if_free(self.shared.slots.as_ref(), self.shared.limit)?;
        self.spawn_with_slot(meta, slot, task)
    }

    fn spawn_with_slot<F>(&self, meta: TaskMeta, slot: Slot, task: F) -> Result<Id, SpawnError>
    where
        F: Future<Output = T> + Send + 'static,
    {
        let shared = &*self.shared;
        let mut set = shared.set();
        spawn_into(
            &mut set,
            &shared.scope,
            shared.tracked.as_ref(),
            meta,
            slot,
            task,
        )
    }
}

/// The message of a failure, without the placeholder name.
fn error_text(error: &TaskError) -> String {
    match error {
        TaskError::Failed { source, .. } => source.to_string(),
        TaskError::Panicked { message, .. } => format!("panicked: {message}"),
        TaskError::Cancelled { .. } => "cancelled".to_owned(),
    }
}

fn with_name(error: TaskError, name: TaskName) -> TaskError {
    match error {
        TaskError::Failed { source, .. } => TaskError::Failed { name, source },
        TaskError::Panicked { message, .. } => TaskError::Panicked { name, message },
        TaskError::Cancelled { .. } => TaskError::Cancelled { name },
    }
}

impl<T: Send + 'static> TaskGroup<T> {
    /// A cancelled group whose tasks do not watch its token: abort the
    /// parked ones, once, so that joins do not wait for them.
    #[inline]
    fn abort_if_cancelled(&mut self) {
        if !self.aborted && self.scope.known_cancelled() && !self.scope.watches() {
            self.aborted = true;
            self.set.abort_all();
            if let Some(shared) = &self.shared {
                shared.set().abort_all();
            }
        }
    }

    /// Polls the group's own tasks and those of its spawners.
    #[inline]
    fn poll_join(&mut self, cx: &mut Context<'_>) -> Poll<Option<JoinResult<T>>> {
        let Some(shared) = &self.shared else {
            return self.set.poll_join_next_with_id(cx);
        };
        let own = self.set.poll_join_next_with_id(cx);
        if let Poll::Ready(Some(joined)) = own {
            return Poll::Ready(Some(joined));
        }
        let shared = shared.set().poll_join_next_with_id(cx);
        match (own, shared) {
            (_, Poll::Ready(Some(joined))) => Poll::Ready(Some(joined)),
            (Poll::Ready(None), Poll::Ready(None)) => Poll::Ready(None),
            _ => Poll::Pending,
        }
    }

    fn joined(&mut self, joined: JoinResult<T>) -> Joined<T> {
        let (id, name, result) = match joined {
            Ok((id, (name, result))) => (id, name, result),
            Err(join_error) => {
                let id = join_error.id();
                // Panics are caught inside the task (also in `Drop`); this
                // is an abort (cancelled plain group) or the runtime
                // shutting down.
                let (name, panic_on_abort) = self
                    .scope
                    .take_aborted(id)
                    .unwrap_or((TaskName::Borrowed("<unknown>"), None));
                let fault = if join_error.is_panic() {
                    Fault::Panicked(Box::new(spawn::panic_message(
                        join_error.into_panic().as_ref(),
                    )))
                } else if let Some(message) = panic_on_abort {
                    // Aborted, and its future's `Drop` panicked: the panic is the news.
                    Fault::Panicked(Box::new(message))
                } else {
                    Fault::Cancelled
                };
                (id, name, Err(fault))
            }
        };
        let result = result.map_err(|fault| match fault {
            Fault::Panicked(message) => TaskError::Panicked {
                name: name.clone(),
                message: *message,
            },
            Fault::Cancelled => TaskError::Cancelled { name: name.clone() },
        });
        Joined { id, name, result }
    }

    /// Waits for the next task to finish and returns its output, in
    /// completion order; `None` when the group owns no task.
    ///
    /// # Cancel safety
    /// Cancel safe: if the future is dropped, no result is lost.
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncwise::TaskGroup;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() -> Result<(), asyncwise::SpawnError> {
    /// let mut group = TaskGroup::new();
    /// group.spawn("slow", async {
    ///     tokio::time::sleep(Duration::from_secs(2)).await;
    ///     "slow"
    /// })?;
    /// group.spawn("fast", async { "fast" })?;
    /// assert_eq!(group.join_next().await.unwrap().unwrap(), "fast");
    /// assert_eq!(group.join_next().await.unwrap().unwrap(), "slow");
    /// assert!(group.join_next().await.is_none());
    /// # Ok(())
    /// # }
    /// ```
    pub fn join_next(&mut self) -> impl Future<Output = Option<Result<T, TaskError>>> + '_ {
        // One `poll_fn` rather than an `async fn` around it, and not through
        // `join_next_named`: no state machine to nest per join.
        std::future::poll_fn(move |cx| {
            if let Some(joined) = self.unclaimed.pop_front() {
                return Poll::Ready(Some(joined.result));
            }
            self.abort_if_cancelled();
            self.poll_join(cx).map(|joined| {
                Some(match joined? {
                    // The common case, without building a `Joined` to take
                    // apart.
                    Ok((_, (_, Ok(output)))) => Ok(output),
                    joined => self.joined(joined).result,
                })
            })
        })
    }

    /// Like [`join_next`](Self::join_next), with the task's id and name.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), asyncwise::SpawnError> {
    /// let mut group = asyncwise::TaskGroup::<()>::new();
    /// group.spawn("boom", async { panic!("oops") })?;
    /// let joined = group.join_next_named().await.unwrap();
    /// assert_eq!(joined.name, "boom");
    /// assert_eq!(joined.result.unwrap_err().to_string(), "task `boom` panicked: oops");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn join_next_named(&mut self) -> Option<Joined<T>> {
        if let Some(joined) = self.unclaimed.pop_front() {
            return Some(joined);
        }
        self.join_next_task().await
    }

    /// The next task to finish, leaving the unclaimed results alone.
    async fn join_next_task(&mut self) -> Option<Joined<T>> {
        self.abort_if_cancelled();
        let joined = std::future::poll_fn(|cx| self.poll_join(cx)).await?;
        Some(self.joined(joined))
    }

    /// The output of a task that has already finished, without waiting;
    /// `None` when no task has finished (or the group is empty). Use it to
    /// reap finished tasks in a loop that also spawns, so they do not pile
    /// up.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), asyncwise::SpawnError> {
    /// let mut group = asyncwise::TaskGroup::new();
    /// group.spawn("quick", async { 1 })?;
    /// assert!(group.try_join_next().is_none()); // not run yet
    /// tokio::task::yield_now().await;
    /// assert_eq!(group.try_join_next().unwrap().unwrap(), 1);
    /// # Ok(())
    /// # }
    /// ```
    pub fn try_join_next(&mut self) -> Option<Result<T, TaskError>> {
        if let Some(joined) = self.unclaimed.pop_front() {
            return Some(joined.result);
        }
        self.abort_if_cancelled();
        let joined = match self.set.try_join_next_with_id() {
            Some(joined) => joined,
            None => self.shared.as_ref()?.set().try_join_next_with_id()?,
        };
        Some(match joined {
            Ok((_, (_, Ok(output)))) => Ok(output),
            joined => self.joined(joined).result,
        })
    }

    /// Waits for every task and returns all results in completion order.
    ///
    /// # Cancel safety
    /// Cancel safe: results it had taken when its future is dropped stay in
    /// the group, and the next join returns them first.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), asyncwise::SpawnError> {
    /// let mut group = asyncwise::TaskGroup::new();
    /// group.spawn("ok", async { 1 })?;
    /// group.spawn("bad", async { panic!("nope") })?;
    /// let results = group.join_all().await;
    /// assert_eq!(results.len(), 2);
    /// assert_eq!(results.iter().filter(|r| r.is_err()).count(), 1);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn join_all(&mut self) -> Vec<Result<T, TaskError>> {
        self.unclaimed.reserve(self.len());
        while let Some(joined) = self.join_next_task().await {
            self.unclaimed.push_back(joined);
        }
        std::mem::take(&mut self.unclaimed)
            .into_iter()
            .map(|joined| joined.result)
            .collect()
    }

    /// Cancels the group and waits until every task has stopped (within
    /// the grace period), discarding their results: failures and panics
    /// too (each is still logged as a `tracing` warning, and a group made
    /// [`with_shutdown`](Self::with_shutdown) has them in the shutdown's
    /// report). Join first to see them.
    ///
    /// A task whose poll blocks its thread (sync code that does not reach
    /// an `.await`) is waited for until that poll ends, past the grace
    /// period: nothing can stop a poll midway. Wrap the call in
    /// `tokio::time::timeout` to bound the wait (the task runs on all the
    /// same; a [`Shutdown`](crate::Shutdown)'s drain, which is bounded,
    /// names such tracked tasks in
    /// [`ShutdownReport::not_stopped`](crate::ShutdownReport::not_stopped)).
    ///
    /// The group stays cancelled: unlike `JoinSet::shutdown`, after which
    /// the set takes new tasks, later spawns fail with
    /// [`SpawnError::Cancelled`]; make a new group to start again.
    ///
    /// # Cancel safety
    /// Cancel safe: dropped half-way, it has cancelled the group and
    /// discarded the results it joined; calling it again waits for the rest
    /// within the same grace period (it is not restarted), and a join gets
    /// the results not yet discarded.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), asyncwise::SpawnError> {
    /// let mut group = asyncwise::TaskGroup::<()>::new();
    /// group.spawn("forever", std::future::pending())?;
    /// group.shutdown().await;
    /// assert!(group.is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn shutdown(&mut self) {
        self.scope.cancel();
        self.unclaimed.clear();
        while self.join_next_task().await.is_some() {}
    }
}

impl<V: Send + 'static, E: Into<BoxError> + std::fmt::Display + Send + 'static>
    TaskGroup<Result<V, E>>
{
    /// Waits for every task; on the first failure or panic, cancels the
    /// rest, waits for them to stop (within the grace period), and returns
    /// that failure.
    ///
    /// # Errors
    /// The first [`TaskError::Failed`] or [`TaskError::Panicked`] seen, or a
    /// [`TaskError::Cancelled`] if the group was cancelled from outside.
    ///
    /// # Cancel safety
    /// Cancel safe: results it had taken when its future is dropped (values
    /// and the failure) stay in the group; the next `try_join_all` (or join)
    /// returns them.
    ///
    /// ```
    /// use asyncwise::{BoxError, TaskGroup};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), asyncwise::SpawnError> {
    /// let mut group = TaskGroup::new();
    /// group.spawn("forever", std::future::pending::<Result<(), BoxError>>())?;
    /// group.spawn("broken", async { Err("bad input".into()) })?;
    /// let err = group.try_join_all().await.unwrap_err();
    /// assert_eq!(err.name(), "broken");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn try_join_all(&mut self) -> Result<Vec<V>, TaskError> {
        // A failure taken by an earlier call that was dropped cancels the group too.
        if self
            .unclaimed
            .iter()
            .any(|joined| !matches!(joined.result, Ok(Ok(_))))
        {
            self.scope.cancel();
        }
        while let Some(joined) = self.join_next_task().await {
            if !matches!(joined.result, Ok(Ok(_))) {
                self.scope.cancel();
            }
            self.unclaimed.push_back(joined);
        }
        let mut values = Vec::with_capacity(self.unclaimed.len());
        let mut first_error: Option<TaskError> = None;
        for joined in std::mem::take(&mut self.unclaimed) {
            let error = match joined.result {
                Ok(Ok(value)) => {
                    values.push(value);
                    continue;
                }
                Ok(Err(source)) => TaskError::Failed {
                    name: joined.name,
                    source: source.into(),
                },
                Err(error) => error,
            };
            // A failure beats a cancellation as the reported cause.
            let replace = match &first_error {
                None => true,
                Some(previous) => previous.is_cancelled() && !error.is_cancelled(),
            };
            if replace {
                first_error = Some(error);
            }
        }
        match first_error {
            Some(error) => Err(error),
            None => Ok(values),
        }
    }
}

impl<T: 'static> Drop for TaskGroup<T> {
    fn drop(&mut self) {
        // Cancel first so that tasks observing the token (and child groups)
        // see it. With a grace period the tasks are left to end within it
        // (their wrapper cuts them); otherwise the `JoinSet` field, dropped
        // right after, aborts every task.
        self.scope.cancel();
        let graceful = !matches!(self.grace, Grace::Fixed(Duration::ZERO));
        if graceful {
            self.set.detach_all();
        }
        // Spawners keep their set alive: end its tasks the same way.
        if let Some(shared) = &self.shared {
            let mut set = shared.set();
            if graceful {
                set.detach_all();
            } else {
                set.abort_all();
            }
        }
    }
}
