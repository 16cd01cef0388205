//! Catch tasks that block the executor *while* they block, named and
//! located: the run-time half of the analyzer's `blocking_in_async` rule.
//!
//! Some blocking cannot be seen in the source: a slow parser, a large loop,
//! a blocking call behind a trait object or inside a dependency. While such
//! a poll runs, its worker thread runs nothing else, and on a
//! `current_thread` runtime nothing runs at all. The watchdog reports such a
//! poll while it is still running, with the task's name and the file and
//! line where it was spawned, under the rule name `blocking_in_async`.
//!
//! # How it works
//!
//! - Tasks spawned through asyncwise ([`TaskGroup`](crate::TaskGroup),
//!   [`Shutdown`](crate::Shutdown), [`Supervisor`](crate::Supervisor)
//!   children, and [`spawn`]) get a slot when a watchdog is running: a few
//!   relaxed atomics written at the start and end of every poll (no clock
//!   read, no allocation, no lock). The slot is registered once, at spawn.
//! - A monitor on its own OS thread (so that it runs when every worker is
//!   stuck) samples the slots every quarter threshold. A poll seen in
//!   progress for longer than the threshold (10 ms unless configured) is
//!   reported once: a `tracing` warning with `rule = "blocking_in_async"`,
//!   the task, its spawn location, the worker thread, how long it has
//!   blocked so far and, on Linux, what the thread is doing (the system call
//!   it is blocked in, such as `clock_nanosleep` or `read`; `running` when it
//!   is on a CPU or ready for one, in a CPU-bound loop or in a system call
//!   that works rather than waits, such as a large `read` from the page
//!   cache, which Linux does not tell apart; or waiting outside a system
//!   call, in a page fault). When that poll returns, a second event gives its
//!   total. Time the thread spent preempted by the operating system (on
//!   Linux, from its `schedstat`) does not count, so an overloaded machine
//!   does not make well-behaved tasks look blocking. Nor does time inside
//!   [`block_in_place`], whose worker hands its other tasks to another
//!   thread first; Tokio's own `block_in_place` gives no sign of that
//!   hand-off, so a poll blocking inside it is reported.
//! - [`Watchdog::summary`] lists the worst offenders by longest poll and by
//!   total busy time.
//!
//! The report does not include the blocked thread's call stack: capturing
//! another thread's stack needs a signal handler or `ptrace`, which this
//! crate (`#![forbid(unsafe_code)]`) does not do. The system call and the
//! spawn location usually suffice to find the culprit; for a stack, attach
//! `gdb -p` or `perf` to the process while it is reported.
//!
//! # Tasks not spawned through asyncwise (`tokio_unstable`)
//!
//! Built with `RUSTFLAGS="--cfg tokio_unstable"`, the crate has
//! `watchdog::install`, which sets a runtime builder's task-poll hooks
//! (`on_before_task_poll`, `on_after_task_poll`) so that every task of that
//! runtime is watched, including tasks spawned with plain `tokio::spawn`:
//! a blocking one is reported, while it blocks, as `tokio task <id>` with
//! the spawn location Tokio recorded (the caller of `tokio::spawn`). Tokio
//! keeps one callback per hook and cannot return one set earlier, so your
//! own poll hooks go *into* `install` as `PollHooks`, which runs them
//! around the watchdog's; see `install` for the exact rules. A task that
//! asyncwise spawned while the watchdog ran is reported once, under its own
//! name. Such tasks are in [`Watchdog::summary`] only through their
//! reported polls (the summary's busy time counts only those); the hooks
//! are per worker thread, not per task. Without `tokio_unstable`, tasks
//! spawned directly with `tokio::spawn` are not covered: wrap them in
//! [`Instrumented`] or spawn them with [`spawn`].
//!
//! # Example
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use std::time::Duration;
//! use asyncwise::watchdog::{Phase, Watchdog};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let seen = Arc::new(Mutex::new(Vec::new()));
//! let sink = Arc::clone(&seen);
//! let watchdog = Watchdog::builder()
//!     .threshold(Duration::from_millis(20))
//!     .on_blocked(move |report| sink.lock().unwrap().push(report.phase))
//!     .start()
//!     .unwrap();
//!
//! asyncwise::watchdog::spawn("parse", async {
//!     std::thread::sleep(Duration::from_millis(200)); // blocks the executor
//! })
//! .await
//! .unwrap();
//!
//! assert_eq!(*seen.lock().unwrap(), [Phase::Blocking, Phase::Returned]);
//! let summary = watchdog.summary(3);
//! assert_eq!(summary.longest_polls[0].task, "parse");
//! # }
//! ```
//!
//! Available with the `watchdog` cargo feature.

#[cfg(tokio_unstable)]
mod hooks;
mod monitor;
mod slot;
mod thread_state;

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::TaskName;

#[cfg(tokio_unstable)]
pub use hooks::{PollHooks, install};
pub use slot::Instrumented;
pub(crate) use slot::{PollTiming, TaskSlot, instrument, task_slot};

/// Whether a watchdog runs; read once per spawn, so that spawning costs
/// nothing extra while none does.
static RUNNING: AtomicBool = AtomicBool::new(false);
/// The running watchdog's shared state (present while [`RUNNING`]).
static CURRENT: Mutex<Option<Arc<monitor::Shared>>> = Mutex::new(None);
/// Counts the watchdogs started, so a worker thread's poll-hook slot knows
/// when it belongs to a stopped one (`tokio_unstable`).
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// Whether a watchdog runs now (one atomic load).
pub(crate) fn is_running() -> bool {
    RUNNING.load(Ordering::Acquire)
}

/// The number of the running (or last) watchdog, from 1; read after
/// [`is_running`] returned `true`.
#[cfg(tokio_unstable)]
pub(crate) fn generation() -> u64 {
    GENERATION.load(Ordering::Acquire)
}

/// The running watchdog's summary of its `top` worst tasks, if one runs.
pub(crate) fn running_summary(top: usize) -> Option<Summary> {
    current().map(|shared| shared.summary(top))
}

fn current() -> Option<Arc<monitor::Shared>> {
    if !RUNNING.load(Ordering::Acquire) {
        return None;
    }
    CURRENT
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
}

/// Runs `f` through Tokio's [`block_in_place`](tokio::task::block_in_place)
/// and tells the watchdog, which then does not report the poll while `f`
/// runs: the worker hands its other tasks to another thread first, so
/// nothing waits for this one (the poll counts again from where `f`
/// returns). Tokio's own `block_in_place` gives no sign of that hand-off, so
/// a poll blocking inside it is reported like any other. The summary's
/// figures ([`Offender::longest_poll`], [`Offender::busy`]) still include
/// the time in `f`: it is part of the poll.
///
/// ```
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "multi_thread", worker_threads = 1)]
/// # async fn main() {
/// let watchdog = asyncwise::watchdog::Watchdog::builder()
///     .threshold(Duration::from_millis(10))
///     .start()
///     .unwrap();
/// let checksum = asyncwise::watchdog::spawn("checksum", async {
///     asyncwise::watchdog::block_in_place(|| {
///         std::thread::sleep(Duration::from_millis(50)); // a blocking library call
///         7
///     })
/// })
/// .await
/// .unwrap();
/// assert_eq!(checksum, 7);
/// assert_eq!(watchdog.summary(1).blocked_polls, 0);
/// # }
/// ```
///
/// # Panics
///
/// As Tokio's: on a `current_thread` runtime, which has no other worker to
/// hand its tasks to.
pub fn block_in_place<F, R>(f: F) -> R
where
    F: FnOnce() -> R,
{
    tokio::task::block_in_place(|| {
        let _offloaded = thread_state::offload();
        f()
    })
}

/// Which event a [`BlockedPoll`] reports.
///
/// ```
/// use asyncwise::watchdog::{BlockedPoll, Phase};
///
/// fn describe(report: &BlockedPoll) -> &'static str {
///     match report.phase {
///         Phase::Blocking => "still blocking",
///         Phase::Returned => "returned",
///     }
/// }
/// # let report = BlockedPoll {
/// #     phase: Phase::Returned,
/// #     rule: "blocking_in_async",
/// #     task: "parse".into(),
/// #     spawned_at: std::panic::Location::caller(),
/// #     thread: "tokio-rt-worker".into(),
/// #     blocked_for: std::time::Duration::from_millis(40),
/// #     thread_state: None,
/// # };
/// assert_eq!(describe(&report), "returned");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The poll is still running and has run longer than the threshold.
    Blocking,
    /// The poll that was reported as blocking has returned. Not sent when
    /// the watchdog was dropped in between.
    Returned,
}

/// A poll that ran longer than the threshold.
///
/// ```
/// use std::time::Duration;
/// use asyncwise::watchdog::{BlockedPoll, Phase};
///
/// let report = BlockedPoll {
///     phase: Phase::Blocking,
///     rule: "blocking_in_async",
///     task: "import/parse".into(),
///     spawned_at: std::panic::Location::caller(),
///     thread: "tokio-rt-worker".into(),
///     blocked_for: Duration::from_millis(12),
///     thread_state: Some("in the `read` system call".into()),
/// };
/// let text = report.to_string();
/// assert!(text.starts_with("blocking_in_async: task `import/parse` (spawned at "));
/// assert!(text.ends_with("for 12.0 ms (thread state: in the `read` system call)"));
/// ```
#[derive(Debug, Clone)]
pub struct BlockedPoll {
    /// Reported while blocked, or when the poll returned.
    pub phase: Phase,
    /// The analyzer rule this corresponds to: always `blocking_in_async`.
    pub rule: &'static str,
    /// The task's name.
    pub task: TaskName,
    /// Where the task was spawned.
    pub spawned_at: &'static Location<'static>,
    /// The name of the worker thread (or its id when unnamed).
    pub thread: String,
    /// How long the poll had run when reported ([`Phase::Blocking`]) or in
    /// total ([`Phase::Returned`]).
    pub blocked_for: Duration,
    /// What the thread was doing when sampled, on Linux: the system call it
    /// waited in (`clock_nanosleep`, `read`, ...), `running` (on a CPU or
    /// ready for one: user code, or a system call's own work, which Linux
    /// does not tell apart), or waiting outside a system call (a page
    /// fault). `None` where this cannot be read, and for
    /// [`Phase::Returned`].
    pub thread_state: Option<String>,
}

impl fmt::Display for BlockedPoll {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.blocked_for.as_secs_f64() * 1e3;
        match self.phase {
            Phase::Blocking => write!(
                f,
                "{}: task `{}` (spawned at {}) has blocked worker thread `{}` for {ms:.1} ms",
                self.rule, self.task, self.spawned_at, self.thread
            )?,
            Phase::Returned => write!(
                f,
                "{}: task `{}` (spawned at {}) blocked worker thread `{}` for {ms:.1} ms in one poll",
                self.rule, self.task, self.spawned_at, self.thread
            )?,
        }
        if let Some(state) = &self.thread_state {
            write!(f, " (thread state: {state})")?;
        }
        Ok(())
    }
}

/// One task in a [`Summary`].
///
/// ```
/// use std::time::Duration;
/// use asyncwise::watchdog::Offender;
///
/// let offender = Offender {
///     task: "parse".into(),
///     spawned_at: std::panic::Location::caller(),
///     longest_poll: Duration::from_millis(30),
///     busy: Duration::from_millis(45),
///     polls: 3,
/// };
/// assert!(offender.longest_poll <= offender.busy);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offender {
    /// The task's name.
    pub task: TaskName,
    /// Where the task was spawned.
    pub spawned_at: &'static Location<'static>,
    /// Its longest single poll.
    pub longest_poll: Duration,
    /// The time it spent in polls, in total.
    pub busy: Duration,
    /// How many times it was polled.
    pub polls: u64,
}

/// The worst offenders seen by a watchdog, for a report at shutdown.
///
/// Poll times here come from a coarse clock that the monitor advances at
/// each sample, so that a poll costs no clock read: each poll's time is
/// precise to one sampling interval (a quarter threshold), and a task's
/// total busy time is an estimate whose error shrinks with the number of
/// polls. Polls are counted exactly. (The reports of blocking polls are
/// timed by the monitor itself, not by this clock.)
///
/// Tasks that have finished are included if they stood out (a poll of more
/// than half the threshold, or busy time of at least the threshold), as
/// long as they are among the worst; a finished task that never came near
/// the threshold is dropped. Running tasks that have been polled are all
/// candidates.
///
/// ```
/// use std::time::Duration;
/// use asyncwise::watchdog::{Offender, Summary};
///
/// assert_eq!(Summary::default().to_string(), "watchdog: 0 poll(s) blocked an executor thread\n");
/// let parse = Offender {
///     task: "parse".into(),
///     spawned_at: std::panic::Location::caller(),
///     longest_poll: Duration::from_millis(30),
///     busy: Duration::from_millis(45),
///     polls: 3,
/// };
/// let summary = Summary {
///     longest_polls: vec![parse.clone()],
///     busiest: vec![parse],
///     blocked_polls: 1,
/// };
/// assert!(summary.to_string().contains("parse (spawned at "));
/// assert!(summary.to_string().contains("longest poll 30.0 ms, busy 45.0 ms over 3 polls"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Longest single poll first.
    pub longest_polls: Vec<Offender>,
    /// Most total busy time first.
    pub busiest: Vec<Offender>,
    /// How many polls ran longer than the threshold.
    pub blocked_polls: u64,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "watchdog: {} poll(s) blocked an executor thread",
            self.blocked_polls
        )?;
        for (title, list) in [
            ("longest polls", &self.longest_polls),
            ("most busy time", &self.busiest),
        ] {
            if list.is_empty() {
                continue;
            }
            writeln!(f, "  {title}:")?;
            for o in list {
                writeln!(
                    f,
                    "    {} (spawned at {}): longest poll {:.1} ms, busy {:.1} ms over {} polls",
                    o.task,
                    o.spawned_at,
                    o.longest_poll.as_secs_f64() * 1e3,
                    o.busy.as_secs_f64() * 1e3,
                    o.polls
                )?;
            }
        }
        Ok(())
    }
}

/// Why a watchdog could not start.
///
/// ```
/// use asyncwise::watchdog::{Watchdog, WatchdogError};
///
/// let first = Watchdog::builder().start().unwrap();
/// let second = Watchdog::builder().start();
/// assert!(matches!(second, Err(WatchdogError::AlreadyRunning)));
/// drop(first);
/// assert!(Watchdog::builder().start().is_ok()); // the first one stopped
/// ```
#[derive(Debug, thiserror::Error)]
pub enum WatchdogError {
    /// Another watchdog is running in this process; stop it (drop its
    /// [`Watchdog`]) first.
    #[error("a watchdog is already running in this process")]
    AlreadyRunning,
    /// The monitor thread could not be started.
    #[error("could not start the watchdog's monitor thread")]
    Thread(#[source] std::io::Error),
}

type Callback = Arc<dyn Fn(&BlockedPoll) + Send + Sync>;

/// Configures a [`Watchdog`]; see [`Watchdog::builder`].
///
/// ```
/// use std::time::Duration;
/// use asyncwise::watchdog::{Watchdog, WatchdogBuilder};
///
/// let builder: WatchdogBuilder = Watchdog::builder()
///     .threshold(Duration::from_millis(25))
///     .on_blocked(|report| eprintln!("{report}"));
/// let watchdog = builder.start().unwrap();
/// assert_eq!(watchdog.threshold(), Duration::from_millis(25));
/// ```
#[must_use = "a builder does nothing until `start` is called"]
pub struct WatchdogBuilder {
    threshold: Duration,
    callback: Option<Callback>,
}

impl fmt::Debug for WatchdogBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WatchdogBuilder")
            .field("threshold", &self.threshold)
            .field("on_blocked", &self.callback.is_some())
            .finish()
    }
}

impl WatchdogBuilder {
    /// A poll running longer than this is reported (default 10 ms; at least
    /// 1 ms). The monitor samples every quarter of it.
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncwise::watchdog::Watchdog;
    ///
    /// let watchdog = Watchdog::builder().threshold(Duration::ZERO).start().unwrap();
    /// assert_eq!(watchdog.threshold(), Duration::from_millis(1)); // the floor
    /// ```
    pub fn threshold(mut self, threshold: Duration) -> Self {
        self.threshold = threshold.max(Duration::from_millis(1));
        self
    }

    /// Also hands every report to `callback` (called on the monitor thread
    /// for [`Phase::Blocking`] and on the worker for [`Phase::Returned`];
    /// keep it short). Reports are always emitted as `tracing` warnings.
    /// A panic in the callback is caught and logged as a `tracing` error:
    /// the watchdog goes on, and the task whose poll was reported keeps its
    /// own output or panic.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Duration;
    /// use asyncwise::watchdog::Watchdog;
    ///
    /// // Count reports by task, for a metric or an alert.
    /// let reports = Arc::new(Mutex::new(Vec::new()));
    /// let sink = Arc::clone(&reports);
    /// let watchdog = Watchdog::builder()
    ///     .on_blocked(move |report| sink.lock().unwrap().push(report.task.to_string()))
    ///     .start()
    ///     .unwrap();
    /// # drop(watchdog);
    /// # assert!(reports.lock().unwrap().is_empty());
    /// ```
    pub fn on_blocked(mut self, callback: impl Fn(&BlockedPoll) + Send + Sync + 'static) -> Self {
        self.callback = Some(Arc::new(callback));
        self
    }

    /// Starts the monitor thread. Tasks spawned through asyncwise from now
    /// on are watched, until the returned [`Watchdog`] is dropped.
    ///
    /// # Errors
    ///
    /// [`WatchdogError::AlreadyRunning`] if another watchdog runs in this
    /// process; [`WatchdogError::Thread`] if the thread cannot be spawned.
    ///
    /// ```
    /// use asyncwise::TaskGroup;
    /// use asyncwise::watchdog::Watchdog;
    ///
    /// let watchdog = Watchdog::builder().start().expect("no other watchdog runs");
    /// # let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # runtime.block_on(async {
    /// let mut group = TaskGroup::new();
    /// group.spawn("watched", async { 1 }).unwrap(); // spawned while it runs: watched
    /// assert_eq!(group.join_next().await.unwrap().unwrap(), 1);
    /// # });
    /// drop(watchdog); // stops the monitor thread
    /// ```
    pub fn start(self) -> Result<Watchdog, WatchdogError> {
        let mut current = CURRENT.lock().unwrap_or_else(PoisonError::into_inner);
        if current.is_some() {
            return Err(WatchdogError::AlreadyRunning);
        }
        let shared = Arc::new(monitor::Shared::new(self.threshold, self.callback));
        let thread = monitor::start(Arc::clone(&shared)).map_err(WatchdogError::Thread)?;
        *current = Some(Arc::clone(&shared));
        GENERATION.fetch_add(1, Ordering::AcqRel);
        RUNNING.store(true, Ordering::Release);
        Ok(Watchdog {
            shared,
            thread: Some(thread),
        })
    }
}

/// A running watchdog; dropping it stops the monitor thread.
///
/// Keep it alive for as long as the runtime runs (for instance as a local
/// of `main` created before the runtime). Tasks that were spawned while it
/// ran keep their (cheap) instrumentation after it stops, but nothing is
/// reported any more.
///
/// ```
/// use asyncwise::watchdog::Watchdog;
///
/// fn main() {
///     let _watchdog = Watchdog::builder().start().unwrap(); // before the runtime
///     let runtime = tokio::runtime::Runtime::new().unwrap();
///     runtime.block_on(async {
///         asyncwise::watchdog::spawn("service", async { /* ... */ }).await.unwrap();
///     });
/// } // the runtime is dropped first, then the watchdog
/// ```
pub struct Watchdog {
    shared: Arc<monitor::Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl fmt::Debug for Watchdog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watchdog")
            .field("threshold", &self.shared.threshold())
            .finish_non_exhaustive()
    }
}

impl Watchdog {
    /// A builder with the default threshold of 10 ms.
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncwise::watchdog::Watchdog;
    ///
    /// let watchdog = Watchdog::builder().threshold(Duration::from_millis(50)).start().unwrap();
    /// assert_eq!(watchdog.threshold(), Duration::from_millis(50));
    /// ```
    pub fn builder() -> WatchdogBuilder {
        WatchdogBuilder {
            threshold: Duration::from_millis(10),
            callback: None,
        }
    }

    /// The configured threshold.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let watchdog = asyncwise::watchdog::Watchdog::builder().start().unwrap();
    /// assert_eq!(watchdog.threshold(), Duration::from_millis(10)); // the default
    /// ```
    pub fn threshold(&self) -> Duration {
        self.shared.threshold()
    }

    /// The `top` worst tasks by longest poll and by busy time so far.
    ///
    /// ```
    /// use asyncwise::watchdog::Watchdog;
    ///
    /// let watchdog = Watchdog::builder().start().unwrap();
    /// # let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # runtime.block_on(async {
    /// // A running task that has been polled is a candidate, however quick its polls.
    /// let handle = asyncwise::watchdog::spawn("idle", std::future::pending::<()>());
    /// tokio::task::yield_now().await;
    /// let summary = watchdog.summary(5);
    /// assert_eq!(summary.longest_polls[0].task, "idle");
    /// assert_eq!(summary.longest_polls[0].polls, 1); // polls are counted exactly
    /// assert!(watchdog.summary(0).longest_polls.is_empty());
    /// handle.abort();
    /// # });
    /// ```
    pub fn summary(&self, top: usize) -> Summary {
        self.shared.summary(top)
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        RUNNING.store(false, Ordering::Release);
        CURRENT
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        self.shared.stop();
        if let Some(thread) = self.thread.take() {
            // The monitor wakes within a quarter threshold; it never blocks
            // on anything else.
            let _ = thread.join();
        }
    }
}

/// Spawns `future` on the current Tokio runtime like `tokio::spawn`, named
/// and watched by the running [`Watchdog`] (if any), with the caller's
/// location as its spawn location.
///
/// Use it for standalone tasks; tasks of a [`TaskGroup`](crate::TaskGroup),
/// [`Shutdown`](crate::Shutdown) or [`Supervisor`](crate::Supervisor) are
/// watched already.
///
/// # Panics
///
/// Outside a Tokio runtime, as `tokio::spawn` does.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let handle = asyncwise::watchdog::spawn("answer", async { 42 });
/// assert_eq!(handle.await.unwrap(), 42);
/// # }
/// ```
#[track_caller]
pub fn spawn<F>(name: impl Into<TaskName>, future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    tokio::spawn(instrument(name.into(), Location::caller(), future))
}
