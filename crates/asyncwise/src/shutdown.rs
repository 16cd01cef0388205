//! [`Shutdown`]: one cancellation tree for a service, tracked tasks, and an
//! airtight drain with a deadline that names the tasks which did not stop
//! and records every task that failed.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::future::Future;
use std::io::Write as _;
use std::panic::Location;
use std::process::{ExitCode, Termination};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinError, JoinHandle};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tokio_util::task::task_tracker::TaskTrackerToken;

use crate::TaskName;
use crate::error::{BoxError, ShutdownError, TaskError};
use crate::spawn::{self, Setup, TaskMeta, TaskOutput};

/// How long `run` waits for the main task's handle to settle after a drain.
const MAIN_SETTLE: Duration = Duration::from_millis(100);

/// Exit code when the service ended cleanly.
const EXIT_OK: u8 = 0;
/// Exit code when the main future or a tracked task failed or panicked.
const EXIT_FAILURE: u8 = 1;
/// Exit code when the drain deadline passed and tasks had to be aborted.
const EXIT_DRAIN_TIMEOUT: u8 = 124;

/// The signals that trigger a shutdown.
///
/// ```
/// use asyncwise::Signal;
///
/// assert_eq!(Signal::Terminate.number(), 15);
/// assert_eq!(Signal::Interrupt.to_string(), "SIGINT");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    /// SIGINT, or ctrl-c where there are no Unix signals.
    Interrupt,
    /// SIGTERM.
    Terminate,
}

impl Signal {
    /// The Unix signal number (2 for SIGINT, 15 for SIGTERM).
    ///
    /// ```
    /// assert_eq!(asyncwise::Signal::Interrupt.number(), 2);
    /// ```
    pub fn number(self) -> u8 {
        match self {
            Signal::Interrupt => 2,
            Signal::Terminate => 15,
        }
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        })
    }
}

/// What started the shutdown.
///
/// ```
/// use asyncwise::{Signal, Trigger};
///
/// assert_eq!(Trigger::Signal(Signal::Terminate).to_string(), "received SIGTERM");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Trigger {
    /// A signal (SIGINT/SIGTERM/ctrl-c).
    Signal(Signal),
    /// Code called [`Shutdown::trigger`] or cancelled the root token.
    Requested,
    /// The main future passed to [`Shutdown::run`] returned.
    MainReturned,
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trigger::Signal(signal) => write!(f, "received {signal}"),
            Trigger::Requested => f.write_str("shutdown requested"),
            Trigger::MainReturned => f.write_str("main task returned"),
        }
    }
}

/// A task tracked by a [`Shutdown`]: its path, where it was spawned, when,
/// and how long it had been running when this record was taken.
///
/// The path is the task's name for [`Shutdown::spawn`], `group/task` for a
/// task of a [tracked group](crate::TaskGroup::with_shutdown) and
/// `supervisor/child` for a child of a
/// [tracked supervisor](crate::Supervisor::with_shutdown).
///
/// ```
/// use asyncwise::Shutdown;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let shutdown = Shutdown::new();
/// let token = shutdown.token();
/// shutdown.spawn("ticker", async move { token.cancelled().await });
/// let running = shutdown.running();
/// assert_eq!(running[0].name, "ticker");
/// assert_eq!(running[0].location.file(), file!());
/// # shutdown.trigger();
/// # }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TaskInfo {
    /// The task's full path (see the type's documentation).
    pub name: TaskName,
    /// Where the task was spawned.
    pub location: &'static Location<'static>,
    /// When the task was spawned.
    pub started: Instant,
    /// How long it had been running when this record was taken.
    pub running_for: Duration,
}

impl fmt::Display for TaskInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` spawned at {} (running for {:.1?})",
            self.name, self.location, self.running_for
        )
    }
}

/// A tracked task that failed or panicked: recorded by the [`Shutdown`]
/// that tracks it, and listed in its [`ShutdownReport`].
///
/// ```
/// use asyncwise::{BoxError, Shutdown, TaskError};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let shutdown = Shutdown::new();
/// shutdown.spawn("loader", async { Err::<(), BoxError>("file missing".into()) });
/// tokio::task::yield_now().await;
/// let report = shutdown.drain().await;
/// let failure = &report.failures[0];
/// assert_eq!(failure.task.name, "loader");
/// assert!(matches!(failure.error, TaskError::Failed { .. }));
/// assert_eq!(report.exit_code(), 1);
/// # }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct TaskFailure {
    /// The task; `running_for` is how long it ran.
    pub task: TaskInfo,
    /// What went wrong ([`TaskError::Failed`] or [`TaskError::Panicked`]). Its
    /// [`name`](TaskError::name) is the task's full path, as in [`task`](Self::task)
    /// (`group/task`, `supervisor/child`), not the bare name it was spawned with.
    pub error: TaskError,
}

impl fmt::Display for TaskFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (spawned at {})", self.error, self.task.location)
    }
}

/// What happened during a shutdown; its [`exit_code`](Self::exit_code) is
/// what the process should exit with.
///
/// Exit codes, the most severe applies: 128 + the signal number (130 for
/// SIGINT, 143 for SIGTERM) when a second signal forced the exit; 1 when the
/// main future or any tracked task failed or panicked; 124 when the drain
/// deadline passed and stragglers were aborted; 0 otherwise.
///
/// The report is taken at one instant, when the deadline passed: the
/// stragglers are the tasks still running then, with how long they had
/// been running.
///
/// ```
/// use std::time::Duration;
/// use asyncwise::Shutdown;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let shutdown = Shutdown::with_deadline(Duration::from_secs(1));
/// shutdown.spawn("stuck", std::future::pending::<()>());
/// shutdown.trigger();
/// let report = shutdown.drain().await;
/// assert_eq!(report.stragglers[0].name, "stuck");
/// assert_eq!(report.stragglers[0].running_for, Duration::from_secs(1));
/// assert_eq!(report.exit_code(), 124);
/// println!("{report}");
/// # }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// What started the shutdown.
    pub trigger: Trigger,
    /// How the main future of [`Shutdown::run`] ended, if not with `Ok(())`.
    pub main_error: Option<TaskError>,
    /// Tracked tasks that failed or panicked (at any time, not only during
    /// the drain), in the order they ended.
    pub failures: Vec<TaskFailure>,
    /// Tasks still running when the deadline passed (or when a second
    /// signal arrived), in spawn order. They have been aborted. A task whose
    /// future was being dropped at that instant (aborted or cut earlier, its
    /// `Drop` still running) counts as still running: it is a straggler,
    /// and the drain waits for its drop like for any aborted straggler.
    pub stragglers: Vec<TaskInfo>,
    /// Stragglers that had still not stopped when the drain returned, a
    /// bounded wait after their abort: they block their thread (an abort
    /// acts only when a task yields, and cannot stop a
    /// [`spawn_blocking`](Shutdown::spawn_blocking) closure that runs), or
    /// are blocking closures still queued for a thread of a busy blocking
    /// pool (those never start). Each is also named by a `tracing` warning
    /// when the wait ends. If the drain's future is dropped after that wait
    /// (a [`run`](Shutdown::run) dropped while it waits for `main`'s
    /// handle), the next drain's report lists them, even if they have
    /// stopped since.
    pub not_stopped: Vec<TaskInfo>,
    /// Tracked tasks spawned after the deadline had passed: aborted at
    /// once, never polled. Like every list of the report, each is in one
    /// report only: a later drain lists those refused since.
    pub refused: Vec<TaskInfo>,
    /// Tracked tasks that ended unfinished before the drain deadline by
    /// the program's own decision, in the order they ended: aborted through
    /// their `JoinHandle` or `AbortHandle`, aborted by the
    /// [group](crate::TaskGroup) or [supervisor](crate::Supervisor) that
    /// owned them without a grace period (a group with zero grace cancelled
    /// or dropped, a supervisor's `run` dropped, a task cut before its first
    /// poll), or dropped because their runtime shut down. `running_for` is
    /// how long they ran. Not a failure: they do not change the exit code,
    /// but they are named here. A task whose `Drop` panicked then is in
    /// [`failures`](Self::failures) instead. Tasks that were given a grace
    /// period and ignored it are not here: see [`cut`](Self::cut).
    pub aborted: Vec<TaskInfo>,
    /// Tracked tasks that their [group](crate::TaskGroup) or
    /// [supervisor](crate::Supervisor) cancelled, gave a grace period of its
    /// own ([`TaskGroup::with_grace`](crate::TaskGroup::with_grace),
    /// [`Supervisor::shutdown_grace`](crate::Supervisor::shutdown_grace)),
    /// and cut because they had not stopped when it ended, before the drain
    /// deadline; in the order they were cut. They ignored their
    /// cancellation, like stragglers, but their owner's policy dealt with
    /// them in time, so they do not change the exit code. A task whose
    /// grace ended at or after the drain deadline is a
    /// [straggler](Self::stragglers) instead (exit code 124), whether its
    /// owner or the drain cut it first, on any runtime: always so for a
    /// group made [`with_shutdown`](crate::TaskGroup::with_shutdown), whose
    /// grace *is* the drain deadline, and for a grace longer than what was
    /// left of the deadline when it began (the drain, if one runs, cuts the
    /// task at the deadline; if none runs yet, the owner's cut comes after
    /// it). But a `with_shutdown` group cancelled on its own before the
    /// shutdown was triggered gives its tasks the shutdown's deadline from
    /// its cancellation, and a task it cuts then, before any drain
    /// deadline, is here.
    pub cut: Vec<TaskInfo>,
    /// The second signal that cut the drain short, if any.
    pub forced_by: Option<Signal>,
    /// How long the drain took until the deadline, the last task or the
    /// second signal.
    pub drain_time: Duration,
    /// The running [`Watchdog`](crate::watchdog::Watchdog)'s worst tasks
    /// (the top [`WATCHDOG_TOP`](Self::WATCHDOG_TOP) by longest poll and by
    /// busy time) when the report was taken; `None` when no watchdog runs.
    /// Shown by the report's `Display`.
    #[cfg(feature = "watchdog")]
    pub watchdog: Option<crate::watchdog::Summary>,
}

impl ShutdownReport {
    /// How many tasks each list of the [`watchdog`](Self::watchdog) summary
    /// holds.
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncwise::{Shutdown, TaskGroup, watchdog::Watchdog};
    ///
    /// let watchdog = Watchdog::builder().threshold(Duration::from_millis(5)).start().unwrap();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// let shutdown = Shutdown::new();
    /// let mut group = TaskGroup::new().with_shutdown(&shutdown, "import");
    /// group
    ///     .spawn("parse", async {
    ///         std::thread::sleep(Duration::from_millis(50)); // blocks the executor
    ///     })
    ///     .unwrap();
    /// group.join_next().await;
    /// let report = shutdown.drain().await;
    /// let summary = report.watchdog.as_ref().unwrap();
    /// assert_eq!(summary.longest_polls[0].task, "import/parse");
    /// assert!(summary.longest_polls.len() <= asyncwise::ShutdownReport::WATCHDOG_TOP);
    /// println!("{report}"); // ends with the watchdog's section
    /// # });
    /// # drop(watchdog);
    /// ```
    #[cfg(feature = "watchdog")]
    pub const WATCHDOG_TOP: usize = 5;

    /// `true` when every task stopped in time and nothing failed.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let shutdown = asyncwise::Shutdown::new();
    /// shutdown.trigger();
    /// assert!(shutdown.drain().await.is_clean());
    /// # }
    /// ```
    pub fn is_clean(&self) -> bool {
        self.exit_code() == EXIT_OK
    }

    /// The exit code (see the type's documentation). The report also
    /// implements [`Termination`], so `main` can return it directly, and
    /// converts into an [`ExitCode`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let shutdown = asyncwise::Shutdown::new();
    /// shutdown.trigger();
    /// let report = shutdown.drain().await;
    /// assert_eq!(report.exit_code(), 0);
    /// assert_eq!(std::process::ExitCode::from(&report), std::process::ExitCode::SUCCESS);
    /// # }
    /// ```
    pub fn exit_code(&self) -> u8 {
        if let Some(signal) = self.forced_by {
            128 + signal.number()
        } else if !self.failures.is_empty()
            || matches!(
                self.main_error,
                Some(TaskError::Failed { .. } | TaskError::Panicked { .. })
            )
        {
            EXIT_FAILURE
        } else if !self.stragglers.is_empty() {
            EXIT_DRAIN_TIMEOUT
        } else {
            EXIT_OK
        }
    }
}

impl From<&ShutdownReport> for ExitCode {
    fn from(report: &ShutdownReport) -> Self {
        ExitCode::from(report.exit_code())
    }
}

impl Termination for ShutdownReport {
    fn report(self) -> ExitCode {
        ExitCode::from(&self)
    }
}

impl fmt::Display for ShutdownReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "shutdown ({}) drained in {:.1?}",
            self.trigger, self.drain_time
        )?;
        if let Some(signal) = self.forced_by {
            write!(f, "; forced by a second {signal}")?;
        }
        if let Some(error) = &self.main_error {
            write!(f, "; {error}")?;
        }
        if self.stragglers.is_empty() {
            write!(f, "; all tasks stopped")?;
        } else {
            write!(
                f,
                "; {} task(s) did not stop and were aborted:",
                self.stragglers.len()
            )?;
            for task in &self.stragglers {
                write!(f, "\n  - {task}")?;
            }
        }
        if !self.not_stopped.is_empty() {
            write!(
                f,
                "\n{} aborted task(s) still blocked their thread:",
                self.not_stopped.len()
            )?;
            for task in &self.not_stopped {
                write!(f, "\n  - {task}")?;
            }
        }
        if !self.refused.is_empty() {
            write!(
                f,
                "\n{} task(s) spawned after the deadline were refused:",
                self.refused.len()
            )?;
            for task in &self.refused {
                write!(f, "\n  - `{}` spawned at {}", task.name, task.location)?;
            }
        }
        if !self.aborted.is_empty() {
            write!(
                f,
                "\n{} task(s) ended unfinished before the deadline, not cut by the drain (aborted through a handle, by their group or supervisor without a grace period, or dropped with their runtime):",
                self.aborted.len()
            )?;
            for task in &self.aborted {
                write!(f, "\n  - {task}")?;
            }
        }
        if !self.cut.is_empty() {
            write!(
                f,
                "\n{} task(s) ignored their cancellation and were cut by their group or supervisor at the end of its grace period:",
                self.cut.len()
            )?;
            for task in &self.cut {
                write!(f, "\n  - {task}")?;
            }
        }
        if !self.failures.is_empty() {
            write!(f, "\n{} tracked task(s) failed:", self.failures.len())?;
            for failure in &self.failures {
                write!(f, "\n  - {failure}")?;
            }
        }
        #[cfg(feature = "watchdog")]
        if let Some(summary) = &self.watchdog {
            write!(f, "\n{}", summary.to_string().trim_end())?;
        }
        write!(f, "\nexit code {}", self.exit_code())
    }
}

/// Graceful shutdown for a service.
///
/// One root [`CancellationToken`] is cancelled by SIGINT/SIGTERM (when
/// started through [`run`](Self::run)) or by [`trigger`](Self::trigger);
/// subsystems take [child tokens](Self::child_token). Tracked tasks (started
/// with [`spawn`](Self::spawn), or belonging to a group or supervisor made
/// with `with_shutdown`) are registered with their path, spawn location and
/// start time, and their failures and panics are recorded.
///
/// [`drain`](Self::drain) waits for every tracked task up to the deadline.
/// When the deadline passes, at one instant: the registry is closed (a
/// tracked task spawned later is aborted at once and never polled, and is
/// listed as refused), no new poll of a tracked task begins (a poll already
/// running on another worker finishes first), the stragglers are recorded and
/// aborted. The drain then waits, bounded by
/// [`ABORT_SETTLE`](Self::ABORT_SETTLE), until every aborted task has really
/// stopped (an abort acts when a task yields) and names the ones that did
/// not.
///
/// The deadline counts from the first of: [`trigger`](Self::trigger), the
/// start of the drain, or a [tracked group](crate::TaskGroup::with_shutdown)
/// seeing the cancellation.
///
/// `Shutdown` is a cheap handle: clones share the same state.
///
/// ```
/// use std::time::Duration;
/// use asyncwise::Shutdown;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let shutdown = Shutdown::with_deadline(Duration::from_secs(5));
/// let token = shutdown.child_token();
/// shutdown.spawn("worker", async move {
///     token.cancelled().await;
///     // flush, close connections, ...
/// });
/// shutdown.trigger();
/// let report = shutdown.drain().await;
/// assert!(report.stragglers.is_empty());
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Shutdown {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    token: CancellationToken,
    tracker: TaskTracker,
    deadline: Duration,
    drain_deadline: OnceLock<Instant>,
    trigger_on_failure: AtomicBool,
    exit_on_force: AtomicBool,
    /// Set when the drain deadline has passed (or the drain ended): no
    /// tracked task is polled any more.
    halted: AtomicBool,
    registry: Mutex<Registry>,
    /// Where [`Shutdown::signal`] delivers while a `run` listens.
    signal_inbox: Mutex<Option<mpsc::Sender<Signal>>>,
}

#[derive(Debug, Default)]
struct Registry {
    next_id: u64,
    /// Keyed by a spawn counter, so iteration is spawn order. A task
    /// appears here only together with its abort handle.
    running: BTreeMap<u64, Entry>,
    /// Tasks whose future was dropped before they could be registered.
    gone_early: HashSet<u64>,
    /// Set at the deadline: later registrations abort the task at once.
    closed: bool,
    refused: Vec<TaskInfo>,
    failures: Vec<TaskFailure>,
    /// Tasks dropped unfinished before the deadline (see `record_abort`).
    aborted: Vec<TaskInfo>,
    /// Tasks cut by their owner at the end of its own grace period (see
    /// `record_cut`).
    cut: Vec<TaskInfo>,
    /// `true` while [`Shutdown::run`] waits for its main task: main's
    /// failure is then kept in `main_failure` for `run`'s report, otherwise
    /// it goes to `failures` like any task's.
    run_waits_for_main: bool,
    main_failure: Option<TaskFailure>,
    /// Stragglers aborted at the deadline, until a drain reports them; by
    /// spawn counter, so a task cut by two drains is listed once.
    stragglers: BTreeMap<u64, TaskInfo>,
    /// Stragglers still running `ABORT_SETTLE` after their abort, until a
    /// drain reports them; by spawn counter, like `stragglers`.
    not_stopped: BTreeMap<u64, TaskInfo>,
}

#[derive(Debug)]
struct Entry {
    name: TaskName,
    location: &'static Location<'static>,
    started: Instant,
    abort: AbortHandle,
    /// Set by its supervisor just before it aborts the task at the end of
    /// its grace period: the abort is then a cut (see `record_abort`).
    cut: bool,
}

impl Entry {
    fn info(&self, now: Instant) -> TaskInfo {
        TaskInfo {
            name: self.name.clone(),
            location: self.location,
            started: self.started,
            running_for: now.saturating_duration_since(self.started),
        }
    }
}

impl Inner {
    fn registry(&self) -> MutexGuard<'_, Registry> {
        // Critical sections never panic; recover the data if one ever did.
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A tracked task's membership in a [`Shutdown`]: counted by its tracker
/// and, once registered, listed in its registry. Lives inside the task's
/// future and ends when that future is dropped.
#[derive(Debug)]
pub(crate) struct Tracking {
    inner: Arc<Inner>,
    id: u64,
    _counted: TaskTrackerToken,
}

impl Tracking {
    /// The registry key to pass to [`Shutdown::register`].
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// `true` once the drain deadline has passed: the task must not be
    /// polled any more.
    pub(crate) fn halted(&self) -> bool {
        self.inner.halted.load(Ordering::Acquire)
    }

    /// Records that the task's future was dropped unfinished (aborted at
    /// the drain deadline, through its handle, by its group or supervisor,
    /// or with its runtime), and the panic of its `Drop` if there was one:
    /// no output carries either. A panic goes to the report's failures under
    /// the task's registered name and location; an abort before the drain
    /// deadline (the drain's own aborts are its stragglers and refused
    /// tasks) goes to [`ShutdownReport::aborted`].
    pub(crate) fn record_abort(&self, panic: Option<&str>) {
        let mut registry = self.inner.registry();
        let closed = registry.closed;
        let Some(entry) = registry.running.get(&self.id) else {
            return;
        };
        let task = entry.info(Instant::now());
        match panic {
            Some(message) => {
                tracing::error!(task.name = %task.name, task.location = %task.location, panic = %message, "tracked task panicked while being dropped after an abort");
                let error = TaskError::Panicked {
                    name: task.name.clone(),
                    message: message.to_owned(),
                };
                registry.failures.push(TaskFailure { task, error });
            }
            None if !closed && entry.cut => {
                let past_deadline = self.past_drain_deadline();
                tracing::warn!(task.name = %task.name, task.location = %task.location, past_deadline, "tracked task ignored its cancellation and was cut at the end of its grace period");
                if past_deadline {
                    registry.stragglers.insert(self.id, task);
                } else {
                    registry.cut.push(task);
                }
            }
            None if !closed => {
                tracing::warn!(task.name = %task.name, task.location = %task.location, "tracked task ended unfinished before the drain deadline (aborted through a handle, by its group or supervisor, or its runtime shut down)");
                registry.aborted.push(task);
            }
            None => {}
        }
    }

    /// Records that the task's group cut it, already started, when the
    /// grace period it gave after cancelling it ended. When the drain
    /// deadline has passed by then, the task is a straggler, as if the drain
    /// had cut it: it ignored its cancellation past the deadline, whether
    /// its grace was the drain's (a group made `with_shutdown`: the same
    /// instant, and which one runs first is chance, on a multi-thread
    /// runtime too) or its group's own that ended at or after the deadline
    /// before a drain ran. Otherwise (a grace that ended before the drain
    /// deadline, or a `with_shutdown` group cancelled before the shutdown
    /// was triggered) it goes to [`ShutdownReport::cut`]. Nothing once the
    /// drain has closed the registry: the drain has listed it already.
    pub(crate) fn record_cut(&self) {
        let at_drain_deadline = self.past_drain_deadline();
        let mut registry = self.inner.registry();
        if registry.closed {
            return;
        }
        let Some(entry) = registry.running.get(&self.id) else {
            return;
        };
        let task = entry.info(Instant::now());
        tracing::warn!(task.name = %task.name, task.location = %task.location, at_drain_deadline, "tracked task ignored its cancellation and was cut at the end of its grace period");
        if at_drain_deadline {
            registry.stragglers.insert(self.id, task);
        } else {
            registry.cut.push(task);
        }
    }
}

impl Tracking {
    /// `true` once the shutdown has fixed its drain deadline (triggered, or
    /// a drain started) and it has passed: a task that ignored its
    /// cancellation until now ignored the deadline too.
    fn past_drain_deadline(&self) -> bool {
        self.inner
            .drain_deadline
            .get()
            .is_some_and(|deadline| Instant::now() >= *deadline)
    }
}

impl Drop for Tracking {
    fn drop(&mut self) {
        let mut registry = self.inner.registry();
        if registry.running.remove(&self.id).is_none() {
            registry.gone_early.insert(self.id);
        }
    }
}

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}

impl Shutdown {
    /// Default drain deadline: 30 seconds (Kubernetes' default grace period).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// assert_eq!(asyncwise::Shutdown::DEFAULT_DEADLINE, Duration::from_secs(30));
    /// ```
    pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(30);

    /// How long the drain waits, after aborting the stragglers, for them to
    /// really stop before it reports the ones that did not
    /// ([`ShutdownReport::not_stopped`]).
    ///
    /// ```
    /// assert_eq!(asyncwise::Shutdown::ABORT_SETTLE, std::time::Duration::from_secs(1));
    /// ```
    pub const ABORT_SETTLE: Duration = Duration::from_secs(1);

    /// A shutdown with the [default deadline](Self::DEFAULT_DEADLINE).
    ///
    /// ```
    /// let shutdown = asyncwise::Shutdown::new();
    /// assert_eq!(shutdown.deadline(), asyncwise::Shutdown::DEFAULT_DEADLINE);
    /// ```
    pub fn new() -> Self {
        Self::with_deadline(Self::DEFAULT_DEADLINE)
    }

    /// A shutdown whose drain gives tasks `deadline` to stop.
    /// `Duration::MAX` waits as long as they take (any deadline past about
    /// 30 years is taken as 30 years); `Duration::ZERO` gives them no time:
    /// every task still running when the drain starts is a straggler, even
    /// one that would stop at once when the token fires.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let shutdown = asyncwise::Shutdown::with_deadline(Duration::from_secs(10));
    /// assert_eq!(shutdown.deadline(), Duration::from_secs(10));
    /// ```
    pub fn with_deadline(deadline: Duration) -> Self {
        Shutdown {
            inner: Arc::new(Inner {
                token: CancellationToken::new(),
                tracker: TaskTracker::new(),
                deadline,
                drain_deadline: OnceLock::new(),
                trigger_on_failure: AtomicBool::new(false),
                exit_on_force: AtomicBool::new(true),
                halted: AtomicBool::new(false),
                registry: Mutex::new(Registry::default()),
                signal_inbox: Mutex::new(None),
            }),
        }
    }

    /// Whether a tracked task that fails or panics triggers the shutdown
    /// (default: `false`, the failure is only recorded in the report and
    /// makes the exit code 1). Children of a tracked
    /// [`Supervisor`](crate::Supervisor) never trigger it: restarting them
    /// is the supervisor's job. Applies to every clone.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let shutdown = asyncwise::Shutdown::new().trigger_on_failure(true);
    /// shutdown.spawn("db", async { Err::<(), _>("connection refused") });
    /// shutdown.triggered().await; // the failure started the shutdown
    /// assert_eq!(shutdown.drain().await.failures.len(), 1);
    /// # }
    /// ```
    pub fn trigger_on_failure(self, trigger: bool) -> Self {
        self.inner
            .trigger_on_failure
            .store(trigger, Ordering::Relaxed);
        self
    }

    /// Whether [`run`](Self::run) ends the process itself on a forced exit
    /// (default: `true`; see [`run`](Self::run)). Turn it off only where
    /// the process must survive, as in tests. Applies to every clone.
    ///
    /// ```
    /// let shutdown = asyncwise::Shutdown::new().exit_on_force(false);
    /// # drop(shutdown);
    /// ```
    pub fn exit_on_force(self, exit: bool) -> Self {
        self.inner.exit_on_force.store(exit, Ordering::Relaxed);
        self
    }

    /// The drain deadline.
    ///
    /// ```
    /// assert!(asyncwise::Shutdown::new().deadline() > std::time::Duration::ZERO);
    /// ```
    pub fn deadline(&self) -> Duration {
        self.inner.deadline
    }

    /// When the drain deadline passes: fixed by the first caller, counted
    /// from then.
    /// When the cancelled tasks of a group made `with_shutdown` are cut: the
    /// drain deadline once the shutdown has been triggered (its root token
    /// cancelled, also directly), otherwise the shutdown's deadline from
    /// now. A group cancelled on its own must not fix the drain deadline: a
    /// shutdown triggered later still gives its tasks the whole deadline
    /// from the trigger. Called once per cancelled group.
    pub(crate) fn group_grace_deadline(&self) -> Instant {
        if self.inner.token.is_cancelled() {
            self.drain_deadline()
        } else {
            crate::instant_after(Instant::now(), self.inner.deadline)
        }
    }

    pub(crate) fn drain_deadline(&self) -> Instant {
        *self
            .inner
            .drain_deadline
            .get_or_init(|| crate::instant_after(Instant::now(), self.inner.deadline))
    }

    /// A clone of the root token: cancelled when the shutdown is triggered.
    ///
    /// ```
    /// let shutdown = asyncwise::Shutdown::new();
    /// let token = shutdown.token();
    /// shutdown.trigger();
    /// assert!(token.is_cancelled());
    /// ```
    pub fn token(&self) -> CancellationToken {
        self.inner.token.clone()
    }

    /// A child of the root token for a subsystem: cancelled by the shutdown,
    /// and cancelling it stops only that subsystem.
    ///
    /// ```
    /// let shutdown = asyncwise::Shutdown::new();
    /// let child = shutdown.child_token();
    /// child.cancel();
    /// assert!(!shutdown.is_triggered());
    /// shutdown.trigger();
    /// assert!(shutdown.child_token().is_cancelled());
    /// ```
    pub fn child_token(&self) -> CancellationToken {
        self.inner.token.child_token()
    }

    /// Starts the shutdown from code (the same as a signal would); the
    /// drain deadline counts from now (from the first trigger; a group made
    /// [`with_shutdown`](crate::TaskGroup::with_shutdown) that was
    /// cancelled before does not move it).
    ///
    /// ```
    /// let shutdown = asyncwise::Shutdown::new();
    /// shutdown.trigger();
    /// assert!(shutdown.is_triggered());
    /// ```
    pub fn trigger(&self) {
        self.drain_deadline();
        self.inner.token.cancel();
    }

    /// Delivers `signal` as if the operating system had sent it to
    /// [`run`](Self::run): for a signal source of your own (a service
    /// manager's stop request, a control endpoint, a signal `run` does not
    /// listen for). While a `run` listens (from its start until it
    /// returns), the signal counts exactly like SIGINT or SIGTERM: the first
    /// starts the shutdown ([`Trigger::Signal`]), and one during the drain
    /// forces the exit (see "Forced exit" under [`run`](Self::run): with
    /// [`exit_on_force(false)`](Self::exit_on_force) the report's
    /// [`forced_by`](ShutdownReport::forced_by) names it, otherwise the
    /// process exits with 128 + its number). When no `run` listens (none was
    /// started, or it has returned), it is the same as
    /// [`trigger`](Self::trigger): it never forces anything. Signals sent
    /// faster than `run` reads them are queued up to a small bound and the
    /// rest dropped, which changes nothing: a run acts on the first two.
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncwise::{BoxError, Shutdown, Signal, Trigger};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() -> Result<(), asyncwise::ShutdownError> {
    /// let report = Shutdown::with_deadline(Duration::from_secs(60))
    ///     .exit_on_force(false)
    ///     .run(|shutdown| async move {
    ///         shutdown.spawn("deaf", std::future::pending::<()>());
    ///         let operator = shutdown.clone();
    ///         shutdown.spawn("operator", async move {
    ///             operator.signal(Signal::Terminate); // starts the shutdown
    ///             tokio::time::sleep(Duration::from_secs(2)).await;
    ///             operator.signal(Signal::Terminate); // during the drain: forces
    ///         });
    ///         shutdown.triggered().await;
    ///         Ok::<_, BoxError>(())
    ///     })
    ///     .await?;
    /// assert_eq!(report.trigger, Trigger::Signal(Signal::Terminate));
    /// assert_eq!(report.forced_by, Some(Signal::Terminate));
    /// assert_eq!(report.drain_time, Duration::from_secs(2));
    /// assert_eq!(report.exit_code(), 143);
    /// # Ok(())
    /// # }
    /// ```
    pub fn signal(&self, signal: Signal) {
        let inbox = self
            .inner
            .signal_inbox
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // A full inbox already holds more signals than a run acts on (the first triggers, the
        // second forces): one more changes nothing, and the inbox stays bounded.
        if let Some(inbox) = inbox.as_ref()
            && matches!(
                inbox.try_send(signal),
                Ok(()) | Err(mpsc::error::TrySendError::Full(_))
            )
        {
            return;
        }
        drop(inbox);
        self.trigger();
    }

    /// What a `run` listens to from now until the returned value is
    /// dropped: `os`, and what [`signal`](Self::signal) delivers.
    fn listen<'a>(&self, os: &'a mut SignalSource) -> Listening<'a> {
        let (sender, own) = mpsc::channel(SIGNAL_INBOX_CAPACITY);
        *self
            .inner
            .signal_inbox
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(sender.clone());
        Listening {
            os,
            own,
            sender,
            shutdown: self.clone(),
        }
    }

    /// `true` once the shutdown has been triggered.
    ///
    /// ```
    /// assert!(!asyncwise::Shutdown::new().is_triggered());
    /// ```
    pub fn is_triggered(&self) -> bool {
        self.inner.token.is_cancelled()
    }

    /// Waits until the shutdown is triggered. Cancel safe.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let shutdown = asyncwise::Shutdown::new();
    /// shutdown.trigger();
    /// shutdown.triggered().await; // returns at once
    /// # }
    /// ```
    pub async fn triggered(&self) {
        self.inner.token.cancelled().await;
    }

    /// Spawns a tracked task on the current Tokio runtime.
    ///
    /// The task is registered with `name`, the caller's location and the
    /// spawn time until it ends; it runs inside a `tracing` span with its
    /// name. Its output may be of any type that implements [`TaskOutput`]:
    /// an `Err` output or a panic is recorded as a [`TaskFailure`] in the
    /// report (and triggers the shutdown if
    /// [`trigger_on_failure`](Self::trigger_on_failure) is set); the output
    /// or panic also reaches the returned handle as usual.
    ///
    /// The task is not cancelled by itself: it should watch
    /// [`token`](Self::token) or a child token. It is aborted only if it is
    /// still running when the drain deadline passes; spawned after that, it
    /// is aborted at once without being polled. A task that ends unfinished
    /// by other means than the drain (aborted through its handle, or dropped
    /// because its runtime shut down) is named in the next report's
    /// [`aborted`](ShutdownReport::aborted) list (or among its failures if
    /// its future panicked while being dropped).
    ///
    /// # Panics
    /// Outside a Tokio runtime, like [`tokio::spawn`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let shutdown = asyncwise::Shutdown::new();
    /// let handle = shutdown.spawn("answer", async { 42 });
    /// assert_eq!(handle.await.unwrap(), 42);
    /// # }
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, name: impl Into<TaskName>, task: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: TaskOutput + Send + 'static,
    {
        let meta = TaskMeta {
            name: name.into(),
            location: Location::caller(),
        };
        self.spawn_meta(meta, Record::Failures, task)
    }

    /// Spawns a tracked blocking closure with [`tokio::task::spawn_blocking`].
    ///
    /// Like [`spawn`](Self::spawn) for its name, location and failures, but
    /// a blocking closure cannot be aborted: if it is still running at the
    /// deadline it is reported as a straggler *and* in
    /// [`ShutdownReport::not_stopped`], and its handle yields a cancellation
    /// at once (the output it returns later is dropped). (A forced exit
    /// through [`run`](Self::run) does not wait for it.) A closure that has
    /// not started when the deadline passes never starts; spawned after the
    /// deadline, even at the very instant it passes, it never runs and is
    /// listed as refused.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let shutdown = asyncwise::Shutdown::new();
    /// let handle = shutdown.spawn_blocking("hash", || 6 * 7);
    /// assert_eq!(handle.await.unwrap(), 42);
    /// # }
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, name: impl Into<TaskName>, task: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: TaskOutput + Send + 'static,
    {
        let meta = TaskMeta {
            name: name.into(),
            location: Location::caller(),
        };
        let tracking = self.track();
        let id = tracking.id;
        let started = Instant::now();
        if tracking.halted() {
            // Past the deadline. An abort cannot stop a closure that a pool
            // thread has picked up, and one often does before `register`
            // aborts it: the closure is never handed to a thread. A task
            // aborted before its first poll stands for it (refused).
            let refused = tokio::spawn(async move {
                let _tracking = tracking;
                std::future::pending::<R>().await
            });
            self.register(id, &meta, started, refused.abort_handle());
            return refused;
        }
        let shutdown = self.clone();
        let info_meta = meta.clone();
        // Whether the closure is in time is decided by `register` (under the
        // registry lock, against the deadline), which can only run once the
        // closure is handed to the pool, where a thread may pick it up at
        // once: the closure waits for that decision (the sender is dropped
        // after `register`) and then starts only if the deadline has not
        // passed. Registered before the deadline, it is a straggler the
        // drain sees; registered after it, it is refused and never runs.
        let (decided, wait_for_decision) = std::sync::mpsc::channel::<()>();
        let closure = tokio::task::spawn_blocking(move || {
            let _ = wait_for_decision.recv();
            if tracking.halted() {
                return None;
            }
            let _tracking = tracking;
            Some(
                match std::panic::catch_unwind(std::panic::AssertUnwindSafe(task)) {
                    Ok(output) => {
                        if let Some(message) = output.failure() {
                            shutdown.record_failure(
                                &info_meta,
                                started,
                                failed(&info_meta, message),
                                true,
                            );
                        }
                        output
                    }
                    Err(payload) => {
                        let message = spawn::panic_message(payload.as_ref());
                        shutdown.record_failure(
                            &info_meta,
                            started,
                            panicked(&info_meta, message),
                            true,
                        );
                        std::panic::resume_unwind(payload)
                    }
                },
            )
        });
        // A closure that did not start has no output to give: the handle is
        // this task's, which an abort (at the deadline, or at once when
        // refused) cancels whether or not the closure runs.
        let handle = tokio::spawn(async move {
            match closure.await {
                Ok(Some(output)) => output,
                Err(join_error) if join_error.is_panic() => {
                    std::panic::resume_unwind(join_error.into_panic())
                }
                // Not started (refused, or cut before it began), or the
                // runtime is shutting down: the abort ends this task.
                Ok(None) | Err(_) => std::future::pending().await,
            }
        });
        self.register(id, &meta, started, handle.abort_handle());
        drop(decided);
        handle
    }

    /// The one place where a task of [`spawn`](Self::spawn) and of
    /// [`run`](Self::run) is started. `record` says where its failure goes.
    fn spawn_meta<F>(&self, meta: TaskMeta, record: Record, task: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: TaskOutput + Send + 'static,
    {
        let (wrapped, id, started) = self.prepare(&meta, record, task);
        let handle = tokio::spawn(wrapped);
        self.register(id, &meta, started, handle.abort_handle());
        handle
    }

    /// Spawns a tracked task that is not `Send` on the current
    /// [`LocalSet`](tokio::task::LocalSet), like [`spawn`](Self::spawn)
    /// otherwise (path, location, failures, drain, watchdog).
    ///
    /// # Panics
    ///
    /// Outside a `LocalSet`, as [`tokio::task::spawn_local`] does.
    ///
    /// ```
    /// use std::rc::Rc;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let shutdown = asyncwise::Shutdown::new();
    /// let local = tokio::task::LocalSet::new();
    /// let answer = local
    ///     .run_until(async {
    ///         let not_send = Rc::new(41);
    ///         shutdown.spawn_local("local", async move { *not_send + 1 }).await.unwrap()
    ///     })
    ///     .await;
    /// assert_eq!(answer, 42);
    /// assert!(shutdown.drain().await.is_clean());
    /// # }
    /// ```
    #[track_caller]
    pub fn spawn_local<F>(&self, name: impl Into<TaskName>, task: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: TaskOutput + 'static,
    {
        let meta = TaskMeta {
            name: name.into(),
            location: Location::caller(),
        };
        let (wrapped, id, started) = self.prepare(&meta, Record::Failures, task);
        let handle = tokio::task::spawn_local(wrapped);
        self.register(id, &meta, started, handle.abort_handle());
        handle
    }

    /// The future a tracked task runs as, its tracking id and start time
    /// (`Send` exactly when `task` is).
    fn prepare<F>(
        &self,
        meta: &TaskMeta,
        record: Record,
        task: F,
    ) -> (impl Future<Output = F::Output> + 'static, u64, Instant)
    where
        F: Future + 'static,
        F::Output: TaskOutput + 'static,
    {
        let tracking = self.track();
        let id = tracking.id;
        let started = Instant::now();
        let shutdown = self.clone();
        let info_meta = meta.clone();
        let setup = Setup {
            tracking: Some(tracking),
            ..Setup::plain()
        };
        let wrapped = spawn::wrap(
            meta,
            setup,
            task,
            move |outcome, _, _| match spawn::uncancellable(outcome) {
                Ok(output) => {
                    if let Some(message) = output.failure() {
                        let error = failed(&info_meta, message);
                        shutdown.record_outcome(record, &info_meta, started, error);
                    }
                    output
                }
                Err(message) => {
                    tracing::error!(panic = %message, "tracked task panicked");
                    let error = panicked(&info_meta, message.clone());
                    shutdown.record_outcome(record, &info_meta, started, error);
                    std::panic::resume_unwind(Box::new(message))
                }
            },
        );
        (wrapped, id, started)
    }

    /// Counts a task that is about to be spawned. Pair with
    /// [`register`](Self::register) once its abort handle exists.
    pub(crate) fn track(&self) -> Tracking {
        let id = {
            let mut registry = self.inner.registry();
            registry.next_id += 1;
            registry.next_id
        };
        Tracking {
            inner: Arc::clone(&self.inner),
            id,
            _counted: self.inner.tracker.token(),
        }
    }

    /// Counts, until dropped, as a tracked task that is not in the registry
    /// (never a straggler, never aborted): the drain waits for it, and for
    /// the tasks spawned meanwhile, as it waits for `run`'s main task.
    /// [`DrainTest`](crate::testing::DrainTest) holds one for its service
    /// future, which it polls itself.
    #[cfg(feature = "testing")]
    pub(crate) fn hold_drain(&self) -> TaskTrackerToken {
        self.inner.tracker.token()
    }

    /// Makes a spawned task visible in the registry, with its abort handle.
    /// After the deadline the task is aborted at once instead (its wrapper
    /// never polls it) and listed as refused.
    pub(crate) fn register(&self, id: u64, meta: &TaskMeta, started: Instant, abort: AbortHandle) {
        let mut registry = self.inner.registry();
        if registry.gone_early.remove(&id) {
            return;
        }
        let entry = Entry {
            name: meta.name.clone(),
            location: meta.location,
            started,
            abort,
            cut: false,
        };
        if registry.closed {
            entry.abort.abort();
            tracing::warn!(task.name = %meta.name, task.location = %meta.location, "tracked task spawned after the drain deadline; aborted");
            registry.refused.push(entry.info(started));
        }
        registry.running.insert(id, entry);
    }

    /// Marks registered task `id` as cut by its owner: its supervisor is
    /// about to abort it because it did not stop within its grace period.
    pub(crate) fn mark_cut(&self, id: u64) {
        if let Some(entry) = self.inner.registry().running.get_mut(&id) {
            entry.cut = true;
        }
    }

    /// Records the failure of a task of [`prepare`](Self::prepare) where
    /// `record` says.
    fn record_outcome(&self, record: Record, meta: &TaskMeta, started: Instant, error: TaskError) {
        match record {
            Record::Failures => self.record_failure(meta, started, error, true),
            Record::Main => {
                let task = TaskInfo {
                    name: meta.name.clone(),
                    location: meta.location,
                    started,
                    running_for: started.elapsed(),
                };
                let failure = TaskFailure { task, error };
                let mut registry = self.inner.registry();
                if registry.run_waits_for_main {
                    registry.main_failure = Some(failure);
                } else {
                    tracing::error!(task.name = %meta.name, error = %failure.error, "main task failed after `run` stopped waiting for it");
                    registry.failures.push(failure);
                }
            }
        }
    }

    /// Records the failure of a tracked task; triggers the shutdown if so
    /// configured and `may_trigger`.
    pub(crate) fn record_failure(
        &self,
        meta: &TaskMeta,
        started: Instant,
        error: TaskError,
        may_trigger: bool,
    ) {
        tracing::error!(task.name = %meta.name, task.location = %meta.location, %error, "tracked task failed");
        let task = TaskInfo {
            name: meta.name.clone(),
            location: meta.location,
            started,
            running_for: started.elapsed(),
        };
        self.inner
            .registry()
            .failures
            .push(TaskFailure { task, error });
        if may_trigger && self.inner.trigger_on_failure.load(Ordering::Relaxed) {
            self.trigger();
        }
    }

    /// The tracked tasks still running, in spawn order.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let shutdown = asyncwise::Shutdown::new();
    /// assert!(shutdown.running().is_empty());
    /// # }
    /// ```
    pub fn running(&self) -> Vec<TaskInfo> {
        let now = Instant::now();
        self.inner
            .registry()
            .running
            .values()
            .map(|entry| entry.info(now))
            .collect()
    }

    /// Triggers the shutdown (if not yet triggered), waits up to the deadline
    /// for every tracked task, then aborts and reports the ones still running
    /// (see the type's documentation for the details).
    ///
    /// Tasks spawned during the drain (for example a final flush) are waited
    /// for too. When the drain returns, no tracked task is running any more,
    /// except the ones listed in [`ShutdownReport::not_stopped`].
    ///
    /// The drain is what enforces the deadline: until one runs, tracked
    /// tasks keep running (and new ones start) even past it, and a drain
    /// that starts after the deadline has passed cuts at once. A second
    /// drain returns at once; its report holds only what happened since
    /// the first (each failure is in one report). Two drains that run at
    /// the same time (two clones) end together, at the one deadline, and
    /// share the report between them: each failure and straggler is in
    /// exactly one of the two. A drain whose future is
    /// dropped before it returned reports nothing: the next drain reports
    /// everything (also the stragglers a dropped drain had already cut at
    /// the deadline), and its deadline still counts from the first's start.
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncwise::Shutdown;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let shutdown = Shutdown::with_deadline(Duration::from_secs(2));
    /// let token = shutdown.token();
    /// shutdown.spawn("polite", async move { token.cancelled().await });
    /// shutdown.spawn("deaf", tokio::time::sleep(Duration::from_secs(3600)));
    /// let report = shutdown.drain().await;
    /// let names: Vec<_> = report.stragglers.iter().map(|t| t.name.as_ref()).collect();
    /// assert_eq!(names, ["deaf"]);
    /// assert_eq!(report.drain_time, Duration::from_secs(2));
    /// assert!(shutdown.running().is_empty());
    /// # }
    /// ```
    pub async fn drain(&self) -> ShutdownReport {
        let waited = self.drain_with(None, 1).await;
        self.collect(waited).into_report(Trigger::Requested, None)
    }

    /// The drain; `signals` ends it early after `signals_to_force` signals.
    /// What it found stays in the registry until [`collect`](Self::collect)
    /// takes it, with no `.await` in between: a caller dropped at any of its
    /// awaits loses nothing for the next drain.
    async fn drain_with(
        &self,
        signals: Option<&mut Listening<'_>>,
        signals_to_force: usize,
    ) -> Waited {
        let deadline = self.drain_deadline();
        self.inner.token.cancel();
        self.inner.tracker.close();
        let started = Instant::now();
        tracing::info!(deadline = ?self.inner.deadline, tasks = self.inner.tracker.len(), "draining tracked tasks");
        let forcing_signal = async {
            match signals {
                Some(signals) => {
                    let mut signal = signals.recv().await;
                    for _ in 1..signals_to_force {
                        tracing::info!(%signal, "signal received; the shutdown is already under way, the next one forces the exit");
                        signal = signals.recv().await;
                    }
                    signal
                }
                None => std::future::pending().await,
            }
        };
        let outcome = tokio::select! {
            () = self.inner.tracker.wait() => Ok(()),
            () = tokio::time::sleep_until(deadline) => Err(None),
            signal = forcing_signal => Err(Some(signal)),
        };
        let drain_time = started.elapsed();
        let (stragglers, forced_by) = match outcome {
            Ok(()) => (self.close(), None),
            Err(forced_by) => (self.close(), forced_by),
        };
        if let Some(signal) = forced_by {
            tracing::warn!(%signal, "second signal: forcing exit");
        }
        for task in &stragglers {
            tracing::warn!(
                task.name = %task.name,
                task.location = %task.location,
                "task did not stop in time; aborted"
            );
        }
        // Abort acts when a task yields: wait (bounded) until the aborted
        // tasks are really gone. A forced exit does not wait.
        if !stragglers.is_empty()
            && forced_by.is_none()
            && tokio::time::timeout(Self::ABORT_SETTLE, self.inner.tracker.wait())
                .await
                .is_err()
        {
            self.record_not_stopped();
        }
        Waited {
            forced_by,
            drain_time,
        }
    }

    /// Keeps the tasks still registered as not stopped, in the registry
    /// until a drain reports them: a `run` dropped while it waits for
    /// main's handle after this leaves them to the next drain.
    fn record_not_stopped(&self) {
        let now = Instant::now();
        let mut registry = self.inner.registry();
        let Registry {
            running,
            not_stopped,
            ..
        } = &mut *registry;
        for (id, entry) in running.iter() {
            tracing::warn!(
                task.name = %entry.name,
                task.location = %entry.location,
                settle = ?Self::ABORT_SETTLE,
                "task did not stop within ABORT_SETTLE of its abort (it blocks its thread); left behind"
            );
            not_stopped.entry(*id).or_insert_with(|| entry.info(now));
        }
    }

    /// Takes what a drain reports out of the registry, at one instant.
    fn collect(&self, waited: Waited) -> Drained {
        let mut registry = self.inner.registry();
        Drained {
            stragglers: std::mem::take(&mut registry.stragglers)
                .into_values()
                .collect(),
            not_stopped: std::mem::take(&mut registry.not_stopped)
                .into_values()
                .collect(),
            refused: std::mem::take(&mut registry.refused),
            failures: std::mem::take(&mut registry.failures),
            aborted: std::mem::take(&mut registry.aborted),
            cut: std::mem::take(&mut registry.cut),
            forced_by: waited.forced_by,
            drain_time: waited.drain_time,
        }
    }

    /// At one instant: closes the registry (later tracked spawns are
    /// aborted at once), stops polling tracked tasks, and aborts and
    /// returns, in spawn order, every task still registered. They are also
    /// kept in the registry until a drain returns them in its report, so
    /// that a drain dropped after this point loses none of them.
    fn close(&self) -> Vec<TaskInfo> {
        let mut registry = self.inner.registry();
        registry.closed = true;
        self.inner.halted.store(true, Ordering::Release);
        let now = Instant::now();
        let Registry {
            running,
            stragglers: kept,
            ..
        } = &mut *registry;
        running
            .iter()
            .map(|(id, entry)| {
                entry.abort.abort();
                let task = entry.info(now);
                kept.entry(*id).or_insert_with(|| task.clone());
                task
            })
            .collect()
    }

    /// Runs a service: installs SIGINT/SIGTERM handlers (ctrl-c where there
    /// are no Unix signals), runs `main` as a tracked task named `"main"`,
    /// and when a signal arrives, code calls [`trigger`](Self::trigger) or
    /// `main` returns, [drains](Self::drain) every tracked task within the
    /// deadline. A panic of `main`'s future, or of `main` itself before it
    /// returns the future (tasks it spawned first are drained like any),
    /// is the report's [`main_error`](ShutdownReport::main_error) (exit
    /// code 1), not a panic out of `run`.
    ///
    /// # Forced exit
    /// A signal received *during the drain* (from the operating system, or
    /// delivered by [`signal`](Self::signal)) forces the exit, unless the
    /// shutdown was not started by a signal: then the first signal during
    /// the drain is taken as the request to stop that is already being
    /// served, and the second one forces. Two signals of one kind that
    /// arrive before the first is handled count as one: the operating
    /// system keeps one pending signal per kind, and Tokio reports them as
    /// one (send the second after the drain has begun). On a forced exit `run` aborts
    /// every tracked task, writes the report to standard error, flushes
    /// standard output and error, and ends the process with
    /// [`std::process::exit`] and the report's exit code (128 + signal
    /// number). It does not return: returning would let the runtime's drop
    /// wait for every blocking thread (a `spawn_blocking` closure, or a
    /// `tokio::fs` call, that sleeps for minutes). Destructors of other
    /// threads do not run, as with any forced exit. With
    /// [`exit_on_force(false)`](Self::exit_on_force) it returns the report
    /// instead.
    ///
    /// After a drain that was not forced, `run` returns the report and
    /// leaves a task listening: a signal that arrives while the program
    /// finishes (printing the report, dropping the runtime) ends the
    /// process with 128 + signal number instead of being swallowed. (That
    /// task lives as long as the runtime; when the runtime's drop itself
    /// waits for blocking threads, nothing listens any more.) With
    /// `exit_on_force(false)` no such task is left. Either way, once nothing
    /// listens, SIGINT and SIGTERM are ignored for the rest of the process:
    /// Tokio never gives a signal its default action back once it has
    /// listened for it (see the caveats of `tokio::signal::unix::signal`).
    ///
    /// Return the report (it implements [`Termination`]) or
    /// `ExitCode::from(&report)` from `main`.
    ///
    /// # Cancel safety
    /// If the future of `run` is dropped before it returns (raced in a
    /// `select!`, under a `timeout`, or never polled at all: then `main` was
    /// never called), its report is lost but nothing it
    /// would have held: the shutdown is triggered (if it was not yet), and a
    /// [`drain`](Self::drain) on a clone of the `Shutdown` waits for the
    /// tracked tasks, `main` among them, and reports them, with `main`'s
    /// failure among the [failures](ShutdownReport::failures) (under the
    /// name `main`) and the stragglers the dropped drain had already cut,
    /// also after its drain, while it waits for `main`'s handle: then the
    /// tasks it found still running [`ABORT_SETTLE`](Self::ABORT_SETTLE)
    /// after their abort are in that report's
    /// [`not_stopped`](ShutdownReport::not_stopped) (`main` among them if it
    /// blocks its thread), and a failure `main` returns later is among its
    /// failures. From then on nothing listens for signals: SIGINT and SIGTERM are
    /// ignored (see above), so drain promptly.
    ///
    /// # Errors
    /// [`ShutdownError::Signals`] if the signal handlers cannot be installed
    /// (the runtime is shutting down, or the operating system refuses); then
    /// `main` is not called.
    ///
    /// # Panics
    /// On a runtime built without its IO driver (`enable_io` or
    /// `enable_all`), as `tokio::signal` does; `#[tokio::main]` enables it.
    /// `main` is not called.
    ///
    /// ```no_run
    /// use asyncwise::{BoxError, Shutdown, ShutdownReport};
    ///
    /// #[tokio::main]
    /// async fn main() -> Result<ShutdownReport, asyncwise::ShutdownError> {
    ///     let report = Shutdown::new()
    ///         .run(|shutdown| async move {
    ///             let token = shutdown.child_token();
    ///             shutdown.spawn("server", async move { token.cancelled().await });
    ///             shutdown.triggered().await;
    ///             Ok::<_, BoxError>(())
    ///         })
    ///         .await?;
    ///     eprintln!("{report}");
    ///     Ok(report)
    /// }
    /// ```
    ///
    /// The same entry point, shut down from code:
    ///
    /// ```
    /// use asyncwise::{BoxError, Shutdown, Trigger};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() -> Result<(), asyncwise::ShutdownError> {
    /// let report = Shutdown::new()
    ///     .exit_on_force(false)
    ///     .run(|shutdown| async move {
    ///         shutdown.spawn("job", async { /* short work */ });
    ///         Ok::<_, BoxError>(())
    ///     })
    ///     .await?;
    /// assert_eq!(report.trigger, Trigger::MainReturned);
    /// assert_eq!(report.exit_code(), 0);
    /// # Ok(())
    /// # }
    /// ```
    #[track_caller]
    pub fn run<F, Fut, E>(
        self,
        main: F,
    ) -> impl Future<Output = Result<ShutdownReport, ShutdownError>>
    where
        F: FnOnce(Shutdown) -> Fut,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<BoxError> + fmt::Display + Send + 'static,
    {
        let location = Location::caller();
        // A `run` dropped before it was ever polled has started nothing, but
        // it is dropped before it returned all the same: the shutdown is
        // triggered. Disarmed once `run_with` has its own guard.
        let unpolled = Unpolled(Some(self.clone()));
        async move {
            // Either this fails (`run` returns the error) or `run_with` sets up
            // its own guard before its first await.
            unpolled.disarm();
            let mut signals = SignalSource::os().map_err(ShutdownError::Signals)?;
            let exit_on_force = self.inner.exit_on_force.load(Ordering::Relaxed);
            let report = self.run_with(&mut signals, location, main).await;
            if exit_on_force {
                if let Some(signal) = report.forced_by {
                    exit_now(&report, signal);
                }
                // Later signals end the process instead of being swallowed.
                tokio::spawn(async move {
                    let signal = signals.recv().await;
                    eprintln!("{signal} after the shutdown: exiting at once");
                    let _ = std::io::stdout().flush();
                    std::process::exit(128 + i32::from(signal.number()));
                });
            }
            Ok(report)
        }
    }

    async fn run_with<F, Fut, E>(
        self,
        signals: &mut SignalSource,
        location: &'static Location<'static>,
        main: F,
    ) -> ShutdownReport
    where
        F: FnOnce(Shutdown) -> Fut,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<BoxError> + fmt::Display + Send + 'static,
    {
        let meta = TaskMeta {
            name: TaskName::Borrowed("main"),
            location,
        };
        self.inner.registry().run_waits_for_main = true;
        // Until `run` returns (or its future is dropped), `signal` reaches it.
        let mut signals = self.listen(signals);
        // Dropped with `run`'s future if that is dropped before it returns.
        let mut waiting = RunWaiting {
            shutdown: self.clone(),
            returned: false,
        };
        // A `main` that panics before it returns its future (an `unwrap` of
        // its configuration, maybe after spawning tasks) panics as main's
        // task instead, so that the drain still runs and reports it, as a
        // supervisor's factory that panics is a run that panicked.
        let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| main(self.clone())));
        let main_future = async move {
            match built {
                Ok(future) => future.await,
                Err(payload) => std::panic::resume_unwind(payload),
            }
        };
        let mut main = self.spawn_meta(meta, Record::Main, main_future);
        let mut main_result = None;
        let trigger = tokio::select! {
            // A main future that returns *because* of the trigger reports the trigger.
            biased;
            () = self.inner.token.cancelled() => Trigger::Requested,
            signal = signals.recv() => Trigger::Signal(signal),
            result = &mut main => {
                main_result = Some(result);
                Trigger::MainReturned
            }
        };
        tracing::info!(%trigger, "shutdown triggered");
        // The signal that started the shutdown was the first one; otherwise
        // the first signal during the drain only asks for what is under way.
        let signals_to_force = if matches!(trigger, Trigger::Signal(_)) {
            1
        } else {
            2
        };
        let waited = self.drain_with(Some(&mut signals), signals_to_force).await;
        if main_result.is_none() {
            if waited.forced_by.is_none() {
                // Either it finished (the tracker saw its future dropped a
                // moment before the handle is marked complete) or it was just
                // aborted: it settles at once unless it blocks its thread.
                if let Ok(result) = tokio::time::timeout(MAIN_SETTLE, &mut main).await {
                    main_result = Some(result);
                }
            } else if main.is_finished() {
                main_result = Some((&mut main).await);
            }
        }
        // Taken only now, after the last await: a `run` dropped while it
        // waited for main's handle leaves everything to the next drain.
        let drained = self.collect(waited);
        let recorded = waiting.returns();
        let main_error = match (main_result, recorded) {
            (Some(result), _) => main_error(result),
            // It failed after the wait for its handle ended.
            (None, Some(failure)) => Some(failure.error),
            // Still running: it is among the stragglers and has been aborted.
            (None, None) => Some(TaskError::Cancelled {
                name: TaskName::Borrowed("main"),
            }),
        };
        drained.into_report(trigger, main_error)
    }
}

/// Where a task's failure goes.
#[derive(Debug, Clone, Copy)]
enum Record {
    /// Into the report's failures.
    Failures,
    /// `run`'s main task: into `run`'s report as its `main_error` while
    /// `run` waits for it, into the failures otherwise.
    Main,
}

/// `run` waiting for its main task. If `run`'s future is dropped before it
/// returns (raced in a `select!`, under a `timeout`), nothing is lost: the
/// shutdown is triggered, main's failure (recorded or still to come) goes
/// to the failures, and the stragglers the drain had cut wait in the
/// registry, so a later [`Shutdown::drain`] reports them all.
struct RunWaiting {
    shutdown: Shutdown,
    returned: bool,
}

impl RunWaiting {
    /// `run` is returning: main's failure recorded so far, which `run`'s
    /// report carries as its `main_error` (later ones go to the failures).
    fn returns(&mut self) -> Option<TaskFailure> {
        self.returned = true;
        let mut registry = self.shutdown.inner.registry();
        registry.run_waits_for_main = false;
        registry.main_failure.take()
    }
}

impl Drop for RunWaiting {
    fn drop(&mut self) {
        if self.returned {
            return;
        }
        {
            let mut registry = self.shutdown.inner.registry();
            registry.run_waits_for_main = false;
            if let Some(failure) = registry.main_failure.take() {
                registry.failures.push(failure);
            }
        }
        tracing::warn!(
            "`Shutdown::run` was dropped before it returned: triggering the shutdown; drain a clone for the report"
        );
        self.shutdown.trigger();
    }
}

/// The future of [`Shutdown::run`] before its first poll: dropped then, it
/// triggers the shutdown (nothing else has started: not `main`, no
/// listening for signals).
struct Unpolled(Option<Shutdown>);

impl Unpolled {
    /// Polled: [`RunWaiting`] takes over.
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for Unpolled {
    fn drop(&mut self) {
        if let Some(shutdown) = self.0.take() {
            tracing::warn!(
                "`Shutdown::run` was dropped before it was polled: triggering the shutdown; `main` was never called"
            );
            shutdown.trigger();
        }
    }
}

/// The forced exit: the report first, then the process ends without
/// waiting for blocking threads.
fn exit_now(report: &ShutdownReport, signal: Signal) -> ! {
    eprintln!("{report}");
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    tracing::warn!(%signal, code = report.exit_code(), "forced exit");
    std::process::exit(i32::from(report.exit_code()))
}

fn failed(meta: &TaskMeta, message: String) -> TaskError {
    TaskError::Failed {
        name: meta.name.clone(),
        source: message.into(),
    }
}

fn panicked(meta: &TaskMeta, message: String) -> TaskError {
    TaskError::Panicked {
        name: meta.name.clone(),
        message,
    }
}

fn main_error<E: Into<BoxError>>(result: Result<Result<(), E>, JoinError>) -> Option<TaskError> {
    let name = TaskName::Borrowed("main");
    match result {
        Ok(Ok(())) => None,
        Ok(Err(error)) => Some(TaskError::Failed {
            name,
            source: error.into(),
        }),
        Err(join_error) if join_error.is_panic() => Some(TaskError::Panicked {
            name,
            message: spawn::panic_message(join_error.into_panic().as_ref()),
        }),
        Err(_) => Some(TaskError::Cancelled { name }),
    }
}

/// What a drain saw while it waited; the rest of its report is in the
/// registry until [`Shutdown::collect`].
struct Waited {
    forced_by: Option<Signal>,
    drain_time: Duration,
}

struct Drained {
    stragglers: Vec<TaskInfo>,
    not_stopped: Vec<TaskInfo>,
    refused: Vec<TaskInfo>,
    failures: Vec<TaskFailure>,
    aborted: Vec<TaskInfo>,
    cut: Vec<TaskInfo>,
    forced_by: Option<Signal>,
    drain_time: Duration,
}

impl Drained {
    fn into_report(self, trigger: Trigger, main_error: Option<TaskError>) -> ShutdownReport {
        ShutdownReport {
            trigger,
            main_error,
            failures: self.failures,
            stragglers: self.stragglers,
            not_stopped: self.not_stopped,
            refused: self.refused,
            aborted: self.aborted,
            cut: self.cut,
            forced_by: self.forced_by,
            drain_time: self.drain_time,
            #[cfg(feature = "watchdog")]
            watchdog: crate::watchdog::running_summary(ShutdownReport::WATCHDOG_TOP),
        }
    }
}

/// How many signals [`Shutdown::signal`] can queue for a listening `run`: more than the two a
/// run acts on (the first triggers, the second forces).
const SIGNAL_INBOX_CAPACITY: usize = 4;

/// What a `run` listens to: the operating system's signals (or a test's)
/// and those [`Shutdown::signal`] delivers while it listens; dropping it
/// closes that inbox, so that later calls of `signal` only trigger.
struct Listening<'a> {
    os: &'a mut SignalSource,
    own: mpsc::Receiver<Signal>,
    /// The inbox's sender, to tell it from one a later `run` opened.
    sender: mpsc::Sender<Signal>,
    shutdown: Shutdown,
}

impl Listening<'_> {
    /// The next signal from either source. Cancel safe.
    async fn recv(&mut self) -> Signal {
        tokio::select! {
            signal = self.os.recv() => signal,
            Some(signal) = self.own.recv() => signal,
        }
    }
}

impl Drop for Listening<'_> {
    fn drop(&mut self) {
        let mut inbox = self
            .shutdown
            .inner
            .signal_inbox
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if inbox
            .as_ref()
            .is_some_and(|sender| sender.same_channel(&self.sender))
        {
            *inbox = None;
        }
    }
}

/// Where signals come from: the OS, or a channel in tests.
enum SignalSource {
    #[cfg(unix)]
    Unix {
        interrupt: tokio::signal::unix::Signal,
        terminate: tokio::signal::unix::Signal,
    },
    #[cfg(not(unix))]
    CtrlC,
    #[cfg(test)]
    Channel(tokio::sync::mpsc::Receiver<Signal>),
}

impl SignalSource {
    fn os() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(SignalSource::Unix {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(SignalSource::CtrlC)
        }
    }

    /// The next signal; pending forever once the source is exhausted.
    /// Cancel safe.
    async fn recv(&mut self) -> Signal {
        match self {
            #[cfg(unix)]
            SignalSource::Unix {
                interrupt,
                terminate,
            } => {
                tokio::select! {
                    Some(()) = interrupt.recv() => Signal::Interrupt,
                    Some(()) = terminate.recv() => Signal::Terminate,
                    else => std::future::pending().await,
                }
            }
            #[cfg(not(unix))]
            SignalSource::CtrlC => match tokio::signal::ctrl_c().await {
                Ok(()) => Signal::Interrupt,
                Err(_) => std::future::pending().await,
            },
            #[cfg(test)]
            SignalSource::Channel(rx) => match rx.recv().await {
                Some(signal) => signal,
                None => std::future::pending().await,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_signals() -> (mpsc::Sender<Signal>, SignalSource) {
        let (tx, rx) = mpsc::channel(4);
        (tx, SignalSource::Channel(rx))
    }

    #[tokio::test(start_paused = true)]
    async fn first_signal_drains_second_signal_forces() {
        let (tx, mut signals) = fake_signals();
        let tx2 = tx.clone();
        let shutdown = Shutdown::with_deadline(Duration::from_secs(60));
        let report = shutdown
            .run_with(&mut signals, Location::caller(), |shutdown| async move {
                shutdown.spawn("deaf", std::future::pending::<()>());
                tx.send(Signal::Interrupt)
                    .await
                    .map_err(|e| e.to_string())?;
                shutdown.triggered().await;
                tokio::time::sleep(Duration::from_secs(1)).await;
                tx2.send(Signal::Terminate)
                    .await
                    .map_err(|e| e.to_string())?;
                std::future::pending::<Result<(), BoxError>>().await
            })
            .await;
        assert_eq!(report.trigger, Trigger::Signal(Signal::Interrupt));
        assert_eq!(report.forced_by, Some(Signal::Terminate));
        assert_eq!(report.exit_code(), 143);
        assert_eq!(report.drain_time, Duration::from_secs(1));
        let names: Vec<_> = report.stragglers.iter().map(|t| t.name.as_ref()).collect();
        assert_eq!(names, ["main", "deaf"]);
    }

    #[tokio::test(start_paused = true)]
    async fn after_a_shutdown_begun_by_code_the_first_signal_does_not_force() {
        let (tx, mut signals) = fake_signals();
        let shutdown = Shutdown::with_deadline(Duration::from_secs(10));
        let report = shutdown
            .run_with(&mut signals, Location::caller(), |shutdown| async move {
                let token = shutdown.child_token();
                let flushed = shutdown.spawn("flush", async move {
                    token.cancelled().await;
                    tokio::time::sleep(Duration::from_secs(3)).await;
                });
                // main returns: the shutdown is the program's own decision.
                let tx = tx.clone();
                shutdown.spawn("late-signal", async move {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    tx.send(Signal::Interrupt).await.map_err(|e| e.to_string())
                });
                drop(flushed);
                Ok::<(), BoxError>(())
            })
            .await;
        assert_eq!(report.trigger, Trigger::MainReturned);
        assert_eq!(report.forced_by, None, "{report}");
        assert_eq!(report.drain_time, Duration::from_secs(3));
        assert!(report.is_clean(), "{report}");

        // A second signal during that drain does force.
        let (tx, mut signals) = fake_signals();
        let report = Shutdown::with_deadline(Duration::from_secs(10))
            .run_with(&mut signals, Location::caller(), |shutdown| async move {
                shutdown.spawn("deaf", std::future::pending::<()>());
                shutdown.spawn("signals", async move {
                    for signal in [Signal::Interrupt, Signal::Terminate] {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        tx.send(signal).await.map_err(|e| e.to_string())?;
                    }
                    Ok::<(), String>(())
                });
                Ok::<(), BoxError>(())
            })
            .await;
        assert_eq!(report.forced_by, Some(Signal::Terminate), "{report}");
        assert_eq!(report.drain_time, Duration::from_secs(2));
        assert_eq!(report.exit_code(), 143);
    }

    #[tokio::test(start_paused = true)]
    async fn main_error_and_panic_give_exit_code_one() {
        let (_tx, mut signals) = fake_signals();
        let report = Shutdown::new()
            .run_with(&mut signals, Location::caller(), |_| async {
                Err::<(), BoxError>("config missing".into())
            })
            .await;
        assert_eq!(report.trigger, Trigger::MainReturned);
        assert!(
            matches!(report.main_error, Some(TaskError::Failed { ref name, .. }) if name == "main")
        );
        assert_eq!(report.exit_code(), 1);

        let (_tx, mut signals) = fake_signals();
        let report = Shutdown::new()
            .run_with(&mut signals, Location::caller(), |_| async {
                if true {
                    panic!("main exploded");
                }
                Ok::<(), BoxError>(())
            })
            .await;
        match &report.main_error {
            Some(TaskError::Panicked { message, .. }) => assert_eq!(message, "main exploded"),
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(report.exit_code(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn trigger_from_code_ends_run_cleanly() {
        let (_tx, mut signals) = fake_signals();
        let report = Shutdown::new()
            .run_with(&mut signals, Location::caller(), |shutdown| async move {
                let token = shutdown.child_token();
                shutdown.spawn("worker", async move { token.cancelled().await });
                let trigger = shutdown.clone();
                shutdown.spawn("trigger", async move {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    trigger.trigger();
                });
                shutdown.triggered().await;
                Ok::<(), BoxError>(())
            })
            .await;
        assert_eq!(report.trigger, Trigger::Requested);
        assert!(report.is_clean(), "{report}");
        assert!(report.to_string().contains("all tasks stopped"));
    }
}
