//! [`Shutdown`]: one cancellation tree for a service, tracked tasks and a
//! drain with a deadline that names the tasks which did not stop.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::task::{AbortHandle, JoinError, JoinHandle};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::TaskName;
use crate::error::{BoxError, ShutdownError, TaskError};
use crate::spawn::{self, TaskMeta};

/// How long `run` waits for the main task's handle to settle after a drain.
const MAIN_SETTLE: Duration = Duration::from_millis(100);

/// Exit code when the service ended cleanly.
const EXIT_OK: u8 = 0;
/// Exit code when the main future failed or panicked.
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

/// A task tracked by a [`Shutdown`]: its name, where it was spawned and when.
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
    /// The name the task was spawned with.
    pub name: TaskName,
    /// Where [`Shutdown::spawn`] was called.
    pub location: &'static Location<'static>,
    /// When the task was spawned.
    pub started: Instant,
}

impl fmt::Display for TaskInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` spawned at {} (running for {:.1?})",
            self.name,
            self.location,
            self.started.elapsed()
        )
    }
}

/// What happened during a shutdown; its [`exit_code`](Self::exit_code) is
/// what the process should exit with.
///
/// Exit codes: 0 when everything ended cleanly; 1 when the main future failed
/// or panicked; 124 when the drain deadline passed and stragglers were
/// aborted; 128 + the signal number (130 for SIGINT, 143 for SIGTERM) when a
/// second signal forced the exit. The most severe applies.
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
/// assert_eq!(report.code(), 124);
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
    /// Tasks still running when the deadline passed (or when a second
    /// signal arrived), in spawn order. They have been aborted.
    pub stragglers: Vec<TaskInfo>,
    /// The second signal that cut the drain short, if any.
    pub forced_by: Option<Signal>,
    /// How long the drain took.
    pub drain_time: Duration,
}

impl ShutdownReport {
    /// `true` when every task stopped in time and the main future succeeded.
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
        self.code() == EXIT_OK
    }

    /// The exit code as a number (see the type's documentation).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let shutdown = asyncwise::Shutdown::new();
    /// shutdown.trigger();
    /// assert_eq!(shutdown.drain().await.code(), 0);
    /// # }
    /// ```
    pub fn code(&self) -> u8 {
        if let Some(signal) = self.forced_by {
            128 + signal.number()
        } else if matches!(
            self.main_error,
            Some(TaskError::Failed { .. } | TaskError::Panicked { .. })
        ) {
            EXIT_FAILURE
        } else if !self.stragglers.is_empty() {
            EXIT_DRAIN_TIMEOUT
        } else {
            EXIT_OK
        }
    }

    /// The exit code to return from `main`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let shutdown = asyncwise::Shutdown::new();
    /// shutdown.trigger();
    /// assert_eq!(shutdown.drain().await.exit_code(), std::process::ExitCode::SUCCESS);
    /// # }
    /// ```
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.code())
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
        write!(f, "\nexit code {}", self.code())
    }
}

/// Graceful shutdown for a service.
///
/// One root [`CancellationToken`] is cancelled by SIGINT/SIGTERM (when
/// started through [`run`](Self::run)) or by [`trigger`](Self::trigger);
/// subsystems take [child tokens](Self::child_token). Tasks started with
/// [`spawn`](Self::spawn) are tracked with their name, spawn location and
/// start time; [`drain`](Self::drain) waits for them up to the deadline and
/// then names and aborts every one that is still running.
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
    registry: Mutex<Registry>,
}

#[derive(Debug, Default)]
struct Registry {
    next_id: u64,
    /// Keyed by a spawn counter, so iteration is spawn order.
    running: BTreeMap<u64, Entry>,
}

#[derive(Debug)]
struct Entry {
    info: TaskInfo,
    abort: Option<AbortHandle>,
}

impl Inner {
    fn registry(&self) -> MutexGuard<'_, Registry> {
        // Critical sections never panic; recover the data if one ever did.
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Removes a task from the registry when the task's future is dropped:
/// after it finished, panicked or was aborted.
struct Deregister {
    inner: Arc<Inner>,
    id: u64,
}

impl Drop for Deregister {
    fn drop(&mut self) {
        self.inner.registry().running.remove(&self.id);
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
                registry: Mutex::new(Registry::default()),
            }),
        }
    }

    /// The drain deadline.
    ///
    /// ```
    /// assert!(asyncwise::Shutdown::new().deadline() > std::time::Duration::ZERO);
    /// ```
    pub fn deadline(&self) -> Duration {
        self.inner.deadline
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

    /// Starts the shutdown from code (the same as a signal would).
    ///
    /// ```
    /// let shutdown = asyncwise::Shutdown::new();
    /// shutdown.trigger();
    /// assert!(shutdown.is_triggered());
    /// ```
    pub fn trigger(&self) {
        self.inner.token.cancel();
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
    /// The task is recorded with `name`, the caller's location and the spawn
    /// time until it ends; it runs inside a `tracing` span with its name. It
    /// does not get cancelled by itself: it should watch
    /// [`token`](Self::token) or a child token, and is aborted only if it is
    /// still running when the drain deadline passes. A panic is logged as a
    /// `tracing` error with the task's name and location and then reaches
    /// the returned handle as usual.
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
        F::Output: Send + 'static,
    {
        self.spawn_meta(
            TaskMeta {
                name: name.into(),
                location: Location::caller(),
            },
            task,
        )
    }

    /// The one place where a tracked task is started.
    fn spawn_meta<F>(&self, meta: TaskMeta, task: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let info = TaskInfo {
            name: meta.name.clone(),
            location: meta.location,
            started: Instant::now(),
        };
        let id = {
            let mut registry = self.inner.registry();
            let id = registry.next_id;
            registry.next_id += 1;
            registry.running.insert(id, Entry { info, abort: None });
            id
        };
        let guard = Deregister {
            inner: Arc::clone(&self.inner),
            id,
        };
        let handle =
            self.inner
                .tracker
                .spawn(spawn::wrap(&meta, None, guard, task, move |outcome, _| {
                    match spawn::uncancellable(outcome) {
                        Ok(output) => output,
                        Err(message) => {
                            tracing::error!(panic = %message, "tracked task panicked");
                            std::panic::resume_unwind(Box::new(message))
                        }
                    }
                }));
        // The task may already have finished and removed its entry.
        if let Some(entry) = self.inner.registry().running.get_mut(&id) {
            entry.abort = Some(handle.abort_handle());
        }
        handle
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
        self.inner
            .registry()
            .running
            .values()
            .map(|entry| entry.info.clone())
            .collect()
    }

    /// Triggers the shutdown (if not yet triggered), waits up to the deadline
    /// for every tracked task, then aborts and reports the ones still running.
    ///
    /// Tasks spawned during the drain (for example a final flush) are waited
    /// for too.
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
    /// # }
    /// ```
    pub async fn drain(&self) -> ShutdownReport {
        let trigger = Trigger::Requested;
        let drained = self.drain_with(None).await;
        ShutdownReport {
            trigger,
            main_error: None,
            stragglers: drained.stragglers,
            forced_by: drained.forced_by,
            drain_time: drained.drain_time,
        }
    }

    async fn drain_with(&self, signals: Option<&mut SignalSource>) -> Drained {
        self.inner.token.cancel();
        self.inner.tracker.close();
        let started = Instant::now();
        tracing::info!(deadline = ?self.inner.deadline, tasks = self.inner.tracker.len(), "draining tracked tasks");
        let second_signal = async {
            match signals {
                Some(signals) => signals.recv().await,
                None => std::future::pending().await,
            }
        };
        let outcome = tokio::select! {
            () = self.inner.tracker.wait() => Ok(()),
            () = tokio::time::sleep(self.inner.deadline) => Err(None),
            signal = second_signal => Err(Some(signal)),
        };
        let drain_time = started.elapsed();
        let (stragglers, forced_by) = match outcome {
            Ok(()) => (Vec::new(), None),
            Err(forced_by) => (self.abort_running(), forced_by),
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
        Drained {
            stragglers,
            forced_by,
            drain_time,
        }
    }

    /// Aborts every running tracked task and returns them in spawn order.
    fn abort_running(&self) -> Vec<TaskInfo> {
        let registry = self.inner.registry();
        registry
            .running
            .values()
            .map(|entry| {
                if let Some(abort) = &entry.abort {
                    abort.abort();
                }
                entry.info.clone()
            })
            .collect()
    }

    /// Runs a service: installs SIGINT/SIGTERM handlers (ctrl-c where there
    /// are no Unix signals), runs `main` as a tracked task named `"main"`,
    /// and when a signal arrives, code calls [`trigger`](Self::trigger) or
    /// `main` returns, drains every tracked task within the deadline. A
    /// second signal during the drain aborts everything and returns at once
    /// with exit code 128 + signal number.
    ///
    /// Return [`ShutdownReport::exit_code`] from `main`. (If the process may
    /// have blocking work that would hold up the runtime's own shutdown, a
    /// forced exit can call `std::process::exit(report.code().into())`.)
    ///
    /// # Errors
    /// [`ShutdownError::Signals`] if the signal handlers cannot be installed.
    ///
    /// ```no_run
    /// use std::process::ExitCode;
    /// use asyncwise::{BoxError, Shutdown};
    ///
    /// #[tokio::main]
    /// async fn main() -> Result<ExitCode, asyncwise::ShutdownError> {
    ///     let report = Shutdown::new()
    ///         .run(|shutdown| async move {
    ///             let token = shutdown.child_token();
    ///             shutdown.spawn("server", async move { token.cancelled().await });
    ///             shutdown.triggered().await;
    ///             Ok::<_, BoxError>(())
    ///         })
    ///         .await?;
    ///     eprintln!("{report}");
    ///     Ok(report.exit_code())
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
    ///     .run(|shutdown| async move {
    ///         shutdown.spawn("job", async { /* short work */ });
    ///         Ok::<_, BoxError>(())
    ///     })
    ///     .await?;
    /// assert_eq!(report.trigger, Trigger::MainReturned);
    /// assert_eq!(report.code(), 0);
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
        E: Into<BoxError> + Send + 'static,
    {
        let location = Location::caller();
        async move {
            let signals = SignalSource::os().map_err(ShutdownError::Signals)?;
            Ok(self.run_with(signals, location, main).await)
        }
    }

    async fn run_with<F, Fut, E>(
        self,
        mut signals: SignalSource,
        location: &'static Location<'static>,
        main: F,
    ) -> ShutdownReport
    where
        F: FnOnce(Shutdown) -> Fut,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<BoxError> + Send + 'static,
    {
        let meta = TaskMeta {
            name: TaskName::Borrowed("main"),
            location,
        };
        let mut main = self.spawn_meta(meta, main(self.clone()));
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
        let drained = self.drain_with(Some(&mut signals)).await;
        if main_result.is_none() {
            if drained.forced_by.is_none() {
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
        let main_error = match main_result {
            Some(result) => main_error(result),
            // Still running: it is among the stragglers and has been aborted.
            None => Some(TaskError::Cancelled {
                name: TaskName::Borrowed("main"),
            }),
        };
        ShutdownReport {
            trigger,
            main_error,
            stragglers: drained.stragglers,
            forced_by: drained.forced_by,
            drain_time: drained.drain_time,
        }
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

struct Drained {
    stragglers: Vec<TaskInfo>,
    forced_by: Option<Signal>,
    drain_time: Duration,
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
    use tokio::sync::mpsc;

    fn fake_signals() -> (mpsc::Sender<Signal>, SignalSource) {
        let (tx, rx) = mpsc::channel(4);
        (tx, SignalSource::Channel(rx))
    }

    #[tokio::test(start_paused = true)]
    async fn first_signal_drains_second_signal_forces() {
        let (tx, signals) = fake_signals();
        let tx2 = tx.clone();
        let shutdown = Shutdown::with_deadline(Duration::from_secs(60));
        let report = shutdown
            .run_with(signals, Location::caller(), |shutdown| async move {
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
        assert_eq!(report.code(), 143);
        assert_eq!(report.drain_time, Duration::from_secs(1));
        let names: Vec<_> = report.stragglers.iter().map(|t| t.name.as_ref()).collect();
        assert_eq!(names, ["main", "deaf"]);
    }

    #[tokio::test(start_paused = true)]
    async fn main_error_and_panic_give_exit_code_one() {
        let (_tx, signals) = fake_signals();
        let report = Shutdown::new()
            .run_with(signals, Location::caller(), |_| async {
                Err::<(), BoxError>("config missing".into())
            })
            .await;
        assert_eq!(report.trigger, Trigger::MainReturned);
        assert!(
            matches!(report.main_error, Some(TaskError::Failed { ref name, .. }) if name == "main")
        );
        assert_eq!(report.code(), 1);

        let (_tx, signals) = fake_signals();
        let report = Shutdown::new()
            .run_with(signals, Location::caller(), |_| async {
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
        assert_eq!(report.code(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn trigger_from_code_ends_run_cleanly() {
        let (_tx, signals) = fake_signals();
        let report = Shutdown::new()
            .run_with(signals, Location::caller(), |shutdown| async move {
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
