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
//! | A `loop { match child().await { .. }; sleep(..) }` | [`Supervisor`] | Restart strategies ([`Strategy`]: one-for-one, one-for-all, rest-for-one), restart policies (permanent, transient, temporary), restart intensity with escalation, exponential [`Backoff`] with full jitter (seedable for tests) that resets after a stable run, per-child serialized restarts, and shutdown through the same tokens. |
//!
//! The three compose through [`CancellationToken`]s: give a [`TaskGroup`]
//! a [`Shutdown`] with [`TaskGroup::with_shutdown`] (or any parent token
//! with [`TaskGroup::with_parent`]) and a [`Supervisor`] a
//! [`Shutdown::child_token`], and one signal stops all of them. Later
//! additions (retry, circuit breakers, batchers, bounded pipelines) are
//! meant to be cancelled through the same tokens.
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
mod error;
mod shutdown;
mod spawn;
mod supervisor;
mod task_group;
#[cfg(feature = "testing")]
pub mod testing;
#[cfg(feature = "watchdog")]
pub mod watchdog;

pub use backoff::{Backoff, BackoffSchedule};
pub use error::{BoxError, ShutdownError, SpawnError, SupervisorError, TaskError};
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
