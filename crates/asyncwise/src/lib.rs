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
//! | `JoinSet` + `Semaphore`, acquiring a permit before `spawn` | [`TaskGroup::bounded`] | The permit lives *inside* the task, so the limit holds until the task has finished, panicked or been cancelled; a synchronous [`spawn`](TaskGroup::spawn) (queued when full) or [`spawn_wait`](TaskGroup::spawn_wait) for backpressure; tasks of any [`TaskOutput`] (an `Err` output is a failure); results with names ([`Joined`]); a cloneable [`Spawner`] usable from `&self`; fail-fast or collect-all via [`ErrorPolicy`]; graceful cancellation: tasks are signalled, get a grace period, then are cut. |
//! | A plain `JoinSet` | [`TaskGroup::new`] | The same, without a limit. Stay with `JoinSet` when you need neither names nor a policy. |
//! | `CancellationToken` + `TaskTracker` + `tokio::signal` | [`Shutdown`] | Tracked tasks ([`Shutdown::spawn`], [`TaskGroup::with_shutdown`], [`Supervisor::with_shutdown`]) keep their path, spawn location and start time, and their failures and panics are recorded; the drain is airtight (after the deadline nothing tracked runs or starts) and its [`ShutdownReport`] names every straggler by path and location; a second signal during the drain exits the process at once; [`Shutdown::run`] returns the report and exit code. `TaskTracker` alone can only say how many tasks are left. |
//! | A `loop { match child().await { .. }; sleep(..) }` | [`Supervisor`] | Restart strategies ([`Strategy`]: one-for-one, one-for-all, rest-for-one), restart policies (permanent, transient, temporary), restart intensity with escalation, restart delays from a [`RetryPolicy`] (default: exponential with full jitter, seedable for tests; [`Backoff`] is a shorthand) that start again after a stable run, per-child serialized restarts, and shutdown through the same tokens. |
//!
//! The three compose through [`CancellationToken`]s: give a [`TaskGroup`]
//! a [`Shutdown`] with [`TaskGroup::with_shutdown`] (or any parent token
//! with [`TaskGroup::with_parent`]) and a [`Supervisor`] a
//! [`Shutdown::child_token`], and one signal stops all of them. Later
//! additions (retry, circuit breakers, batchers, bounded pipelines) are
//! meant to be cancelled through the same tokens.
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
//! All of them take a [`CancellationToken`]
//! where they can be stopped; pass [`Shutdown::child_token`] to stop them with
//! the service. A [`Batcher`]'s worker is a future you run yourself (for
//! example as a [`Shutdown`] task), so no task is detached.
//!
//! # Observability
//!
//! Every task that the crate spawns runs inside a `tracing` span named
//! `task` with the fields `task.name` and `task.location`; failures,
//! panics, restarts, escalations and stragglers are `tracing` events. All
//! spawns go through one crate-private function, which (with the `watchdog`
//! feature) also hands every task to the running
//! [`Watchdog`](crate::watchdog::Watchdog) under its full path
//! (`group/task`, `supervisor/child`); a [`ShutdownReport`] then carries the
//! watchdog's summary of the worst tasks.
//!
//! # Synchronisation
//!
//! The crate writes no synchronisation primitive of its own: limits are
//! Tokio's [`Semaphore`](tokio::sync::Semaphore) (a task's permit is
//! forgotten when the task takes it and given back with `add_permits(1)`
//! when the task's future is dropped, so the task carries a flag instead of
//! the permit), task ownership is Tokio's
//! `JoinSet` and tokio-util's `TaskTracker`, cancellation is tokio-util's
//! `CancellationToken`, and the shutdown registry (running tasks with their
//! abort handles, failures) is a `std::sync::Mutex` around maps, touched
//! only in short, non-blocking critical sections that never await. The
//! atomics the crate adds are one-way flags, set and never cleared: "this
//! group is known to be cancelled" next to a group's token (read before a
//! task is polled so that tasks do not contend on the token's internal
//! mutex; the token stays the source of truth) and "the drain deadline has
//! passed" in a shutdown (read before a tracked task is polled; set under
//! the registry lock together with closing the registry). No interleaving
//! can make a one-way flag wrong in a harmful way, so there is no loom
//! model to check (a loom test of Tokio's types would test Tokio, not this
//! crate); the concurrency guarantees are tested on Tokio's multi-thread
//! runtime instead (the concurrency limit over 10 000 tasks, no task
//! escaping the drain over 20 rounds of a task that keeps spawning).
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use asyncwise::{Shutdown, TaskGroup};
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let shutdown = Shutdown::with_deadline(Duration::from_secs(5));
//! let mut group = TaskGroup::bounded(16).with_shutdown(&shutdown, "batch");
//! for n in 0..10_u64 {
//!     let token = group.cancellation_token();
//!     group
//!         .spawn(format!("item-{n}"), async move {
//!             token.cancelled().await;
//!             // Finish the item: the group gives it until the deadline.
//!             tokio::time::sleep(Duration::from_millis(n)).await;
//!             n
//!         })
//!         .expect("the group is not cancelled yet");
//! }
//! tokio::time::sleep(Duration::from_secs(1)).await;
//! let report = shutdown.drain().await; // triggers, waits for every item
//! assert!(report.is_clean(), "{report}");
//! let total: u64 = group.join_all().await.into_iter().map(|r| r.unwrap()).sum();
//! assert_eq!(total, 45);
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
#[cfg(feature = "testing")]
pub mod testing;
#[cfg(feature = "watchdog")]
pub mod watchdog;

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
pub use shutdown::{Shutdown, ShutdownReport, Signal, TaskFailure, TaskInfo, Trigger};
pub use spawn::TaskOutput;
pub use supervisor::{
    ChildContext, ChildReport, RestartPolicy, Strategy, Supervisor, SupervisorReport,
};
pub use task_group::{ErrorPolicy, Joined, Spawner, TaskGroup};
/// Re-exported because the API takes and returns it.
pub use tokio::task::Id as TaskId;
/// Re-exported because the API takes and returns it.
pub use tokio_util::sync::CancellationToken;

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

/// `from + after`, or an instant about 30 years on when that sum does not
/// fit in an `Instant` (`Instant + Duration` panics there): a configured
/// duration of `Duration::MAX` means "never", not a crash.
pub(crate) fn instant_after(
    from: tokio::time::Instant,
    after: std::time::Duration,
) -> tokio::time::Instant {
    from.checked_add(after)
        .unwrap_or_else(|| from + std::time::Duration::from_secs(86_400 * 365 * 30))
}
