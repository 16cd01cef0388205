//! Production async patterns on Tokio: bounded task groups, graceful
//! shutdown that names its stragglers, and supervisors.
//!
//! The crate makes the patterns that `asyncwise`'s analyzer recommends the
//! easy path. Each building block replaces a piece of code that Tokio users
//! otherwise write by hand, and usually get subtly wrong.
//!
//! # Which one to use
//!
//! | You would write by hand | Use instead | What you get on top |
//! | --- | --- | --- |
//! | `JoinSet` + `Semaphore`, acquiring a permit before `spawn` | [`TaskGroup::bounded`] | The permit lives *inside* the task, so the limit holds until the task has finished, panicked or been cancelled (a common bug is dropping the permit right after `spawn`); named tasks; typed [`TaskError`]s that carry the name; fail-fast or collect-all via [`ErrorPolicy`]; cancel-and-abort on drop. |
//! | A plain `JoinSet` | [`TaskGroup::new`] | The same, without a limit. Stay with `JoinSet` when you need neither names nor a policy. |
//! | `CancellationToken` + `TaskTracker` + `tokio::signal` | [`Shutdown`] | Tracked tasks keep their name, `#[track_caller]` spawn location and start time, so after the drain deadline the [`ShutdownReport`] says *which* tasks did not stop and where they were spawned, then aborts them; a second signal forces exit; [`Shutdown::run`] returns an exit code. `TaskTracker` alone can only say how many tasks are left. |
//! | A `loop { match child().await { .. }; sleep(..) }` | [`Supervisor`] | Restart policies (permanent, transient, temporary), restart intensity with escalation, exponential [`Backoff`] with full jitter (seedable for tests) that resets after a stable run, per-child serialized restarts, and shutdown through the same tokens. |
//!
//! The three compose through [`CancellationToken`](tokio_util::sync::CancellationToken)s:
//! give a [`TaskGroup`] a parent with [`TaskGroup::with_parent`] and a
//! [`Supervisor`] a [`Shutdown::child_token`], and one signal stops all of
//! them. Later additions (retry, circuit breakers, batchers, bounded
//! pipelines) are meant to be cancelled through the same tokens.
//!
//! # Resilience and flow control
//!
//! | You would write by hand | Use instead | What you get on top |
//! | --- | --- | --- |
//! | `loop { match op().await { Err(_) => sleep(d).await, .. } }` | [`retry`] with a [`RetryPolicy`] | Exponential delays with full, equal or decorrelated [`Jitter`] and a floor; an attempt limit and a wall-clock budget that counts the operation's own time; [`when`](Retry::when) for transient errors; a server's Retry-After through [`retry_after`](Retry::retry_after); [`cancel_on`](Retry::cancel_on) a token stops it at once, also mid-sleep; seedable. No allocation, clock read or random draw on a first-try success. |
//! | A failure counter and an "open until" timestamp | [`CircuitBreaker`] | Consecutive-failure and sliding-window (by calls or by time) trips with a minimum number of calls; open durations that can grow with a [`RetryPolicy`]; exactly K half-open trials, the rest rejected without running; outcomes of calls admitted before a transition ignored; caller-classified errors; `tracing` events and a callback. |
//! | `mpsc::channel` + a `recv_many` loop calling a flush function | [`Batcher`] | Flush at `max_items` or `max_delay` after the batch's first item; backpressure on [`send`](Batcher::send); on shutdown or when the last sender is gone every accepted item is flushed, failed flushes are retried with a [`RetryPolicy`], and what still fails goes to a dead-letter callback. [`BatchedExt::batched`] does the grouping for any `Stream`. |
//! | `StreamExt::buffer_unordered` / `buffered` | [`PipelineExt::map_concurrent`] | Ordered or unordered output, a per-item timeout, an [`OnError`] policy (stop, skip, dead-letter) with the failed item's position, and a bound on items *held* (running or waiting for order) so a slow consumer slows the source. |
//!
//! All of them take a [`CancellationToken`](tokio_util::sync::CancellationToken)
//! where they can be stopped; pass [`Shutdown::child_token`] to stop them with
//! the service. A [`Batcher`]'s worker is a future you run yourself (for
//! example as a [`Shutdown`] task), so no task is detached.
//!
//! # Observability
//!
//! Every task that the crate spawns runs inside a `tracing` span named
//! `task` with the fields `task.name` and `task.location`; failures,
//! panics, restarts, escalations and stragglers are `tracing` events. All
//! spawns go through one crate-private function, so poll instrumentation (a
//! planned watchdog that reports tasks blocking the executor) can be added
//! there without touching any caller.
//!
//! # Synchronisation
//!
//! The crate writes no synchronisation primitive of its own: limits are
//! Tokio's [`Semaphore`](tokio::sync::Semaphore), task ownership is Tokio's
//! `JoinSet` and tokio-util's `TaskTracker`, cancellation is tokio-util's
//! `CancellationToken`, and the shutdown registry of running tasks is a
//! `std::sync::Mutex` around a map, touched only in short, non-blocking
//! critical sections. The one atomic the crate adds is a one-way "this group
//! is known to be cancelled" `AtomicBool` next to a group's token, read
//! before a task's first poll so that tasks do not contend on the token's
//! internal mutex. It is set only while the token is being cancelled (by
//! the group, just before it cancels the token, or by a task that saw the
//! token fire) and never cleared, and the token stays the source of truth,
//! so no interleaving can make it wrong in a harmful way. There is therefore no loom model to
//! check (a loom test of Tokio's types would test Tokio, not this crate);
//! the concurrency guarantees are tested on Tokio's multi-thread runtime
//! instead (for example, the concurrency limit over 10 000 tasks).
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use asyncwise::{BoxError, Shutdown, TaskGroup};
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let shutdown = Shutdown::with_deadline(Duration::from_secs(5));
//! let token = shutdown.child_token();
//! shutdown.spawn("batch", async move {
//!     let mut group = TaskGroup::bounded(4).with_parent(&token);
//!     for n in 0..10_u64 {
//!         group
//!             .spawn(format!("item-{n}"), async move {
//!                 tokio::time::sleep(Duration::from_millis(n)).await;
//!                 Ok::<_, BoxError>(n)
//!             })
//!             .await?;
//!     }
//!     let total: u64 = group.try_join_all().await?.into_iter().sum();
//!     assert_eq!(total, 45);
//!     Ok::<_, BoxError>(())
//! });
//! tokio::time::sleep(Duration::from_secs(1)).await;
//! shutdown.trigger();
//! assert!(shutdown.drain().await.is_clean());
//! # }
//! ```
#![deny(missing_docs)]

mod backoff;
mod batch;
mod circuit_breaker;
mod error;
mod pipeline;
mod retry;
mod shutdown;
mod spawn;
mod supervisor;
mod task_group;

pub use backoff::{Backoff, BackoffSchedule};
pub use batch::{
    Batch, BatchConfig, BatchReport, BatchWorker, Batched, BatchedExt, Batcher, BatcherClosed,
    FlushError, TrySendError,
};
pub use circuit_breaker::{
    BreakerBuilder, BreakerError, BreakerState, CircuitBreaker, StateChange, Window,
};
#[cfg(feature = "tower")]
pub use circuit_breaker::{CircuitBreakerLayer, CircuitBreakerService, ResponseFuture};
pub use error::{BoxError, ShutdownError, SpawnError, SupervisorError, TaskError};
pub use pipeline::{MapConcurrent, OnError, PipelineExt, StageError, StageErrorKind};
pub use retry::{Jitter, Retry, RetryDelays, RetryError, RetryFuture, RetryPolicy, retry};
pub use shutdown::{Shutdown, ShutdownReport, Signal, TaskInfo, Trigger};
pub use supervisor::{ChildContext, ChildReport, RestartPolicy, Supervisor, SupervisorReport};
pub use task_group::{ErrorPolicy, TaskGroup};

/// The name of a task: a `&'static str` costs nothing, a `String` is kept
/// as is.
///
/// ```
/// use asyncwise::TaskName;
///
/// let fixed: TaskName = "fetch".into();
/// let built: TaskName = format!("fetch-{}", 3).into();
/// assert_eq!(fixed, "fetch");
/// assert_eq!(built, "fetch-3");
/// ```
pub type TaskName = std::borrow::Cow<'static, str>;
