//! [`Supervisor`]: keeps long-running children alive with restart policies,
//! restart intensity, and backoff with jitter.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::task::{Id, JoinError, JoinSet};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::TaskName;
use crate::backoff::Backoff;
use crate::error::{BoxError, SupervisorError, TaskError};
use crate::retry::{RetryDelays, RetryPolicy};
use crate::shutdown::Shutdown;
use crate::spawn::{self, Setup, TaskMeta};

/// When a child is restarted after it ends.
///
/// ```
/// use asyncwise::RestartPolicy;
///
/// assert!(RestartPolicy::Permanent.restarts_after(true));
/// assert!(!RestartPolicy::Transient.restarts_after(true));
/// assert!(RestartPolicy::Transient.restarts_after(false));
/// assert!(!RestartPolicy::Temporary.restarts_after(false));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartPolicy {
    /// Always restarted, even after returning `Ok(())`.
    Permanent,
    /// Restarted only after returning `Err` or panicking.
    Transient,
    /// Never restarted, not even with its group: a group restart
    /// ([`Strategy::OneForAll`], [`Strategy::RestForOne`]) stops it for good.
    Temporary,
}

impl RestartPolicy {
    /// Whether a child that ended (successfully if `succeeded`) is restarted.
    ///
    /// ```
    /// assert!(asyncwise::RestartPolicy::Permanent.restarts_after(false));
    /// ```
    pub fn restarts_after(self, succeeded: bool) -> bool {
        match self {
            RestartPolicy::Permanent => true,
            RestartPolicy::Transient => !succeeded,
            RestartPolicy::Temporary => false,
        }
    }
}

/// Which children are restarted when one child is restarted (Erlang/OTP's
/// restart strategies).
///
/// ```
/// use asyncwise::{CancellationToken, Strategy, Supervisor};
///
/// let supervisor = Supervisor::new(CancellationToken::new()).strategy(Strategy::RestForOne);
/// # drop(supervisor);
/// assert_eq!(Strategy::default(), Strategy::OneForOne);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Strategy {
    /// Only the child that ended.
    #[default]
    OneForOne,
    /// Every child: the others are stopped (their token is cancelled; after
    /// the shutdown grace period they are aborted) and all restart together
    /// once they have stopped, except the [`Temporary`](RestartPolicy::Temporary)
    /// ones, which stay stopped.
    ///
    /// A child that blocks its thread (sync code that never yields) cannot
    /// be stopped: its abort acts only when it yields. If its run has not
    /// ended [`Shutdown::ABORT_SETTLE`] after the abort, the group restarts
    /// without it and a `tracing` warning names it; it restarts alone once
    /// that run ends (runs of one child never overlap). A supervisor that
    /// stops while it is still stuck names it in
    /// [`SupervisorReport::not_stopped`] (or the escalation's
    /// [`not_stopped`](SupervisorError::Escalated::not_stopped)).
    OneForAll,
    /// The child that ended and every child added after it, the same way.
    RestForOne,
}

/// What a child's factory receives on every (re)start.
///
/// ```
/// use asyncwise::{BoxError, RestartPolicy, Supervisor};
/// use tokio_util::sync::CancellationToken;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), asyncwise::SupervisorError> {
/// let report = Supervisor::new(CancellationToken::new())
///     .child("once", RestartPolicy::Temporary, |ctx| async move {
///         assert_eq!(ctx.name(), "once");
///         assert_eq!(ctx.restarts(), 0);
///         assert!(!ctx.token().is_cancelled());
///         Ok::<_, BoxError>(())
///     })
///     .run()
///     .await?;
/// assert_eq!(report.children[0].restarts, 0);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ChildContext {
    name: TaskName,
    token: CancellationToken,
    restarts: u32,
}

impl ChildContext {
    /// The child's name.
    ///
    /// ```
    /// use asyncwise::{BoxError, RestartPolicy, Supervisor};
    /// use tokio_util::sync::CancellationToken;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), asyncwise::SupervisorError> {
    /// Supervisor::new(CancellationToken::new())
    ///     .child("worker", RestartPolicy::Temporary, |ctx| async move {
    ///         assert_eq!(ctx.name(), "worker");
    ///         Ok::<_, BoxError>(())
    ///     })
    ///     .run()
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Cancelled when the supervisor shuts down (its token was cancelled) or
    /// escalates, or stops this run for a group restart (see [`Strategy`]).
    /// The child should return soon after.
    ///
    /// ```
    /// use asyncwise::{BoxError, RestartPolicy, Supervisor};
    /// use tokio_util::sync::CancellationToken;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), asyncwise::SupervisorError> {
    /// Supervisor::new(CancellationToken::new())
    ///     .child("worker", RestartPolicy::Temporary, |ctx| async move {
    ///         let token = ctx.token().clone();
    ///         tokio::select! {
    ///             () = token.cancelled() => {} // shutting down
    ///             () = tokio::task::yield_now() => {} // the real work
    ///         }
    ///         Ok::<_, BoxError>(())
    ///     })
    ///     .run()
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn token(&self) -> &CancellationToken {
        &self.token
    }

    /// How many times this child has been restarted before this run (at most
    /// `u32::MAX`: the count stops there, the restarts do not).
    ///
    /// ```
    /// use asyncwise::{BoxError, RestartPolicy, Supervisor};
    /// use tokio_util::sync::CancellationToken;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), asyncwise::SupervisorError> {
    /// Supervisor::new(CancellationToken::new())
    ///     .child("worker", RestartPolicy::Temporary, |ctx| async move {
    ///         assert_eq!(ctx.restarts(), 0); // first run
    ///         Ok::<_, BoxError>(())
    ///     })
    ///     .run()
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn restarts(&self) -> u32 {
        self.restarts
    }
}

type ChildFuture = Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send>>;
type Factory = Box<dyn FnMut(ChildContext) -> ChildFuture + Send>;

struct ChildSpec {
    name: TaskName,
    policy: RestartPolicy,
    location: &'static Location<'static>,
    factory: Factory,
}

impl fmt::Debug for ChildSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildSpec")
            .field("name", &self.name)
            .field("policy", &self.policy)
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

/// How each child ended up when the supervisor stopped.
///
/// ```
/// use asyncwise::{BoxError, RestartPolicy, Supervisor};
/// use tokio_util::sync::CancellationToken;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), asyncwise::SupervisorError> {
/// let report = Supervisor::new(CancellationToken::new())
///     .child("fails-once", RestartPolicy::Temporary, |_| async {
///         Err::<(), BoxError>("bad".into())
///     })
///     .run()
///     .await?;
/// let child = &report.children[0];
/// assert_eq!(child.name, "fails-once");
/// assert!(child.last_error.is_some());
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct ChildReport {
    /// The child's name.
    pub name: TaskName,
    /// How many times it was restarted (at most `u32::MAX`).
    pub restarts: u32,
    /// How its last run ended, if it ended with an error: also a run that
    /// ended while the supervisor was stopping (it failed or panicked in
    /// reaction to its token, or while stopped for a group restart), and
    /// `None` when that last run returned `Ok(())` or was aborted: while the
    /// supervisor stopped (at the end of the grace period: it is then named
    /// in [`SupervisorReport::aborted`]), at the end of the grace of a group
    /// restart, or by a shutdown's drain at its deadline (a straggler of its
    /// report), whatever an earlier run did. An aborted run whose future
    /// panicked as it was dropped ended with that panic.
    pub last_error: Option<TaskError>,
}

/// The result of a supervisor that stopped without escalating.
///
/// ```
/// use asyncwise::Supervisor;
/// use tokio_util::sync::CancellationToken;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), asyncwise::SupervisorError> {
/// let report = Supervisor::new(CancellationToken::new()).run().await?;
/// assert!(report.children.is_empty() && report.aborted.is_empty() && !report.shut_down);
/// assert!(report.not_stopped.is_empty());
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct SupervisorReport {
    /// One entry per child, in the order they were added.
    pub children: Vec<ChildReport>,
    /// `true` if the supervisor stopped because its token was cancelled,
    /// `false` if every child ended without being restarted.
    pub shut_down: bool,
    /// Children that did not stop within the shutdown grace period and were
    /// aborted, in the order they were added.
    pub aborted: Vec<TaskName>,
    /// Aborted children that had still not stopped
    /// [`Shutdown::ABORT_SETTLE`] after their abort, when `run` returned:
    /// they block their thread (an abort acts only when a task yields), so
    /// `run` left them behind, still running. Each is also in
    /// [`aborted`](Self::aborted). Empty when every aborted child stopped.
    /// A child a group restart left behind (see [`Strategy::OneForAll`]) and
    /// still stuck when the supervisor stops is named here too.
    pub not_stopped: Vec<TaskName>,
}

impl fmt::Display for SupervisorReport {
    /// One line per child: name, restarts and last error, then one line per
    /// aborted child, which says so for one left behind
    /// ([`not_stopped`](Self::not_stopped)).
    ///
    /// ```
    /// use asyncwise::{BoxError, CancellationToken, RestartPolicy, Supervisor};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), asyncwise::SupervisorError> {
    /// let report = Supervisor::new(CancellationToken::new())
    ///     .child("once", RestartPolicy::Temporary, |_| async { Err::<(), BoxError>("bad".into()) })
    ///     .run()
    ///     .await?;
    /// assert_eq!(report.to_string(), "child `once`: 0 restart(s), last error: task `once` failed: bad");
    /// # Ok(())
    /// # }
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for child in &self.children {
            if !first {
                writeln!(f)?;
            }
            first = false;
            write!(f, "child `{}`: {} restart(s)", child.name, child.restarts)?;
            if let Some(error) = &child.last_error {
                write!(f, ", last error: {error}")?;
            }
        }
        for name in &self.aborted {
            if !first {
                writeln!(f)?;
            }
            first = false;
            write!(f, "child `{name}` did not stop in time and was aborted")?;
            if self.not_stopped.contains(name) {
                write!(
                    f,
                    ", but had not stopped {:?} later (it blocks its thread) and was left behind",
                    Shutdown::ABORT_SETTLE
                )?;
            }
        }
        Ok(())
    }
}

/// Keeps long-running children alive.
///
/// Each child is an async factory, `|ctx| async move { ... }`, called again
/// for every restart. After a child ends, its [`RestartPolicy`] decides
/// whether it is restarted; a restart waits for the next delay of the
/// child's own [`RetryPolicy::delays`] (by default full jitter, see
/// [`restart_policy`](Self::restart_policy); the schedule starts again after
/// a run that lasted [`stable_after`](Self::stable_after)). A child is restarted only after its
/// previous run has ended, so runs of one child never overlap.
///
/// If more than `max_restarts` restarts (of all children together) fall
/// within `window`, the supervisor cancels and stops every child and returns
/// [`SupervisorError::Escalated`]. When its token is cancelled, children see
/// it through [`ChildContext::token`]; those still running after the
/// shutdown grace period are aborted. Every start, exit, restart and
/// escalation is a `tracing` event.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::time::Duration;
/// use asyncwise::{Backoff, BoxError, RestartPolicy, Supervisor};
/// use tokio_util::sync::CancellationToken;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> Result<(), asyncwise::SupervisorError> {
/// let runs = Arc::new(AtomicU32::new(0));
/// let counter = Arc::clone(&runs);
/// let report = Supervisor::new(CancellationToken::new())
///     .backoff(Backoff::new(Duration::from_millis(10), Duration::from_secs(1)))
///     .seed(7)
///     .child("flaky", RestartPolicy::Transient, move |ctx| {
///         let counter = Arc::clone(&counter);
///         async move {
///             // Fails twice, then succeeds and is not restarted again.
///             if counter.fetch_add(1, Ordering::SeqCst) < 2 {
///                 return Err::<(), BoxError>(format!("attempt {}", ctx.restarts()).into());
///             }
///             Ok(())
///         }
///     })
///     .run()
///     .await?;
/// assert_eq!(runs.load(Ordering::SeqCst), 3);
/// assert_eq!(report.children[0].restarts, 2);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Supervisor {
    token: CancellationToken,
    children: Vec<ChildSpec>,
    max_restarts: usize,
    window: Duration,
    restart_policy: RetryPolicy,
    stable_after: Duration,
    seed: Option<u64>,
    shutdown_grace: Duration,
    name: TaskName,
    tracked: Option<Shutdown>,
    strategy: Strategy,
}

impl Supervisor {
    /// A supervisor that stops when `token` is cancelled (pass
    /// [`Shutdown::child_token`](crate::Shutdown::child_token) to tie it to a
    /// service's shutdown). Defaults: at most 3 restarts within 5 seconds,
    /// restart delays of [`Backoff::default`] (see
    /// [`restart_policy`](Self::restart_policy)), a 5 second shutdown grace
    /// period.
    ///
    /// ```
    /// let supervisor = asyncwise::Supervisor::new(tokio_util::sync::CancellationToken::new());
    /// # drop(supervisor);
    /// ```
    pub fn new(token: CancellationToken) -> Self {
        Supervisor {
            token,
            children: Vec::new(),
            max_restarts: 3,
            window: Duration::from_secs(5),
            restart_policy: Backoff::default().retry_policy(),
            stable_after: Backoff::default().reset_after(),
            seed: None,
            shutdown_grace: Duration::from_secs(5),
            name: TaskName::Borrowed("supervisor"),
            tracked: None,
            strategy: Strategy::OneForOne,
        }
    }

    /// Which children restart together (default [`Strategy::OneForOne`]).
    /// Only the restart of the child that ended counts towards the restart
    /// intensity; the siblings restarted with it count as restarts in
    /// their [`ChildReport`] once they run again.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicU32, Ordering};
    /// use std::time::Duration;
    /// use asyncwise::{BoxError, CancellationToken, RestartPolicy, Strategy, Supervisor};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() -> Result<(), asyncwise::SupervisorError> {
    /// let token = CancellationToken::new();
    /// let stop = token.clone();
    /// let report = Supervisor::new(token)
    ///     .strategy(Strategy::OneForAll)
    ///     .child("cache", RestartPolicy::Permanent, |ctx| async move {
    ///         ctx.token().cancelled().await; // stopped when "db" fails
    ///         Ok::<_, BoxError>(())
    ///     })
    ///     .child("db", RestartPolicy::Transient, move |ctx| {
    ///         let stop = stop.clone();
    ///         async move {
    ///             if ctx.restarts() == 0 {
    ///                 return Err::<(), BoxError>("lost connection".into());
    ///             }
    ///             stop.cancel(); // second run: end the example
    ///             Ok(())
    ///         }
    ///     })
    ///     .run()
    ///     .await?;
    /// let restarts: Vec<u32> = report.children.iter().map(|c| c.restarts).collect();
    /// assert_eq!(restarts, [1, 1]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn strategy(mut self, strategy: Strategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// Names the supervisor (default `"supervisor"`): the first part of
    /// its children's paths (`name/child`) in a [`Shutdown`]'s report.
    ///
    /// ```
    /// let supervisor = asyncwise::Supervisor::new(asyncwise::CancellationToken::new())
    ///     .name("acceptors");
    /// # drop(supervisor);
    /// ```
    pub fn name(mut self, name: impl Into<TaskName>) -> Self {
        self.name = name.into();
        self
    }

    /// Tracks every run of every child in `shutdown` as `name/child` (see
    /// [`name`](Self::name)): the drain waits for it, names it and aborts it
    /// if it is still running at the deadline, and its failures and panics
    /// are recorded in the report (they never trigger the shutdown:
    /// restarting is the supervisor's job). Pass a token tied to the same
    /// shutdown to [`new`](Self::new).
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncwise::{BoxError, RestartPolicy, Shutdown, Supervisor};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let shutdown = Shutdown::with_deadline(Duration::from_secs(2));
    /// let supervisor = Supervisor::new(shutdown.child_token())
    ///     .name("workers")
    ///     .shutdown_grace(Duration::from_secs(60))
    ///     .with_shutdown(&shutdown)
    ///     .child("deaf", RestartPolicy::Permanent, |_ctx| async {
    ///         std::future::pending::<Result<(), BoxError>>().await
    ///     });
    /// shutdown.spawn("supervisor", supervisor.run());
    /// tokio::task::yield_now().await;
    /// let report = shutdown.drain().await;
    /// let names: Vec<_> = report.stragglers.iter().map(|t| t.name.as_ref()).collect();
    /// assert_eq!(names, ["supervisor", "workers/deaf"]);
    /// # }
    /// ```
    pub fn with_shutdown(mut self, shutdown: &Shutdown) -> Self {
        self.tracked = Some(shutdown.clone());
        self
    }

    /// Adds a child. `factory` is called for the first start and for every
    /// restart; its future's `Err` counts as a failure, and so does a panic.
    ///
    /// ```
    /// use asyncwise::{BoxError, RestartPolicy, Supervisor};
    ///
    /// let supervisor = Supervisor::new(tokio_util::sync::CancellationToken::new())
    ///     .child("heartbeat", RestartPolicy::Permanent, |ctx| async move {
    ///         ctx.token().cancelled().await;
    ///         Ok::<_, BoxError>(())
    ///     });
    /// # drop(supervisor);
    /// ```
    #[track_caller]
    pub fn child<F, Fut, E>(
        mut self,
        name: impl Into<TaskName>,
        policy: RestartPolicy,
        mut factory: F,
    ) -> Self
    where
        F: FnMut(ChildContext) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<BoxError> + 'static,
    {
        self.children.push(ChildSpec {
            name: name.into(),
            policy,
            location: Location::caller(),
            factory: Box::new(move |ctx| {
                let fut = factory(ctx);
                Box::pin(async move { fut.await.map_err(Into::into) })
            }),
        });
        self
    }

    /// Escalate when more than `max_restarts` restarts happen within `window`.
    /// The supervisor remembers the time of at most `max_restarts + 1`
    /// restarts, and none older than `window`, so its memory stays bounded
    /// however long it runs.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let supervisor = asyncwise::Supervisor::new(tokio_util::sync::CancellationToken::new())
    ///     .restart_intensity(10, Duration::from_secs(60));
    /// # drop(supervisor);
    /// ```
    pub fn restart_intensity(mut self, max_restarts: usize, window: Duration) -> Self {
        self.max_restarts = max_restarts;
        self.window = window;
        self
    }

    /// The backoff between restarts.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let supervisor = asyncwise::Supervisor::new(tokio_util::sync::CancellationToken::new())
    ///     .backoff(asyncwise::Backoff::new(Duration::from_millis(50), Duration::from_secs(5)));
    /// # drop(supervisor);
    /// ```
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.restart_policy = backoff.retry_policy();
        self.stable_after = backoff.reset_after();
        self
    }

    /// The delays between restarts: each child keeps its own
    /// [`RetryPolicy::delays`], draws the next delay before each restart and
    /// starts it again after a stable run (see
    /// [`stable_after`](Self::stable_after)). Its attempt and time budgets
    /// are not used: restart intensity bounds restarts. The default is
    /// `RetryPolicy::exponential(100 ms).max_delay(10 s).floor(Duration::ZERO)`,
    /// full jitter.
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncwise::{Jitter, RetryPolicy};
    ///
    /// let supervisor = asyncwise::Supervisor::new(tokio_util::sync::CancellationToken::new())
    ///     .restart_policy(RetryPolicy::exponential(Duration::from_millis(50)).jitter(Jitter::Equal));
    /// # drop(supervisor);
    /// ```
    pub fn restart_policy(mut self, policy: RetryPolicy) -> Self {
        self.restart_policy = policy;
        self
    }

    /// How long a run must last for the child's restart delays to start
    /// from the first one again (default 30 s).
    ///
    /// ```
    /// let supervisor = asyncwise::Supervisor::new(tokio_util::sync::CancellationToken::new())
    ///     .stable_after(std::time::Duration::from_secs(5));
    /// # drop(supervisor);
    /// ```
    pub fn stable_after(mut self, stable: Duration) -> Self {
        self.stable_after = stable;
        self
    }

    /// Seeds the jitter so restart delays are reproducible: the child added
    /// `i`-th (from 0) draws its delays from the restart policy seeded with
    /// `seed + i` (the same as `Backoff::schedule(seed + i)` for a policy
    /// set with [`backoff`](Self::backoff)).
    /// Without a seed the jitter comes from entropy.
    ///
    /// ```
    /// let supervisor = asyncwise::Supervisor::new(tokio_util::sync::CancellationToken::new())
    ///     .seed(1234);
    /// # drop(supervisor);
    /// ```
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// How long children get to stop after the supervisor's token is
    /// cancelled (or after an escalation, or when siblings are stopped for
    /// a group restart) before they are aborted. `Duration::MAX` never
    /// aborts them (any grace past about 30 years is taken as 30 years).
    /// A child of a supervisor made [`with_shutdown`](Self::with_shutdown)
    /// that is aborted when a non-zero grace ends is named in
    /// [`ShutdownReport::cut`](crate::ShutdownReport::cut) (among the
    /// [stragglers](crate::ShutdownReport::stragglers) if the drain deadline
    /// had passed by then); with zero grace in
    /// [`aborted`](crate::ShutdownReport::aborted).
    /// Likewise a restart delay of `Duration::MAX` from the
    /// [restart policy](Self::restart_policy) means the child waits, not a
    /// crash.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let supervisor = asyncwise::Supervisor::new(tokio_util::sync::CancellationToken::new())
    ///     .shutdown_grace(Duration::from_secs(1));
    /// # drop(supervisor);
    /// ```
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// Runs the children until every one has ended for good, the token is
    /// cancelled, or the restart intensity is exceeded.
    ///
    /// When it returns (a report or an escalation), every child has stopped:
    /// children still running after the shutdown grace period are aborted,
    /// and `run` waits until their futures are gone (what they own dropped),
    /// at most [`Shutdown::ABORT_SETTLE`] after the abort. A child that
    /// blocks its thread is left behind then, still running: the report
    /// names it in [`SupervisorReport::not_stopped`], and a `tracing`
    /// warning names it in either case. How each child's last run
    /// ended, also while the supervisor stopped, is in its
    /// [`ChildReport::last_error`].
    ///
    /// # Errors
    /// [`SupervisorError::Escalated`] when the restart intensity is exceeded;
    /// every child has been stopped by then (except one left behind as
    /// above), and the error names those that had to be aborted after the
    /// grace period and, among them, those left behind (its `not_stopped`).
    ///
    /// # Cancel safety
    /// Not cancel safe in the sense of resuming: dropping the future aborts
    /// all children at once (they are owned by a `JoinSet`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncwise::{BoxError, RestartPolicy, Supervisor};
    /// use tokio_util::sync::CancellationToken;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() -> Result<(), asyncwise::SupervisorError> {
    /// let token = CancellationToken::new();
    /// let stop = token.clone();
    /// tokio::spawn(async move {
    ///     tokio::time::sleep(Duration::from_secs(60)).await;
    ///     stop.cancel();
    /// });
    /// let report = Supervisor::new(token)
    ///     .child("server", RestartPolicy::Permanent, |ctx| async move {
    ///         ctx.token().cancelled().await;
    ///         Ok::<_, BoxError>(())
    ///     })
    ///     .run()
    ///     .await?;
    /// assert!(report.shut_down);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn run(self) -> Result<SupervisorReport, SupervisorError> {
        let Supervisor {
            token,
            children,
            max_restarts,
            window,
            restart_policy,
            stable_after,
            seed,
            shutdown_grace,
            name,
            tracked,
            strategy,
        } = self;
        // Cancelled on escalation without touching the caller's token.
        let token = token.child_token();
        let mut run = Run {
            children: children
                .into_iter()
                .enumerate()
                .map(|(index, spec)| {
                    let delays = match seed {
                        Some(seed) => restart_policy
                            .clone()
                            .seed(seed.wrapping_add(index as u64))
                            .delays(),
                        None => restart_policy.delays(),
                    };
                    Child {
                        spec,
                        delays,
                        restarts: 0,
                        runs: 0,
                        started: Instant::now(),
                        restart_at: None,
                        last_error: None,
                        run_token: None,
                        abort: None,
                        running: false,
                        stopping_until: None,
                        stopping_for_group: false,
                        settling_until: None,
                        left_behind: false,
                        tracking_id: None,
                        drop_panic: Arc::default(),
                    }
                })
                .collect(),
            set: JoinSet::new(),
            ids: HashMap::new(),
            token,
            restart_window: RestartWindow::new(max_restarts, window),
            grace: shutdown_grace,
            name,
            tracked,
            strategy,
            stable_after,
        };
        for index in 0..run.children.len() {
            run.start(index);
        }
        loop {
            let next_restart = run.children.iter().filter_map(|c| c.restart_at).min();
            if run.set.is_empty() && next_restart.is_none() {
                return Ok(run.into_report(false, Stopped::default()));
            }
            let next_cut = run.children.iter().filter_map(|c| c.stopping_until).min();
            let next_settle = run.children.iter().filter_map(|c| c.settling_until).min();
            tokio::select! {
                biased;
                () = run.token.cancelled() => {
                    tracing::info!("supervisor shutting down");
                    let stopped = run.stop().await;
                    return Ok(run.into_report(true, stopped));
                }
                Some(joined) = run.set.join_next_with_id() => {
                    let aborted = joined.as_ref().err().is_some_and(JoinError::is_cancelled);
                    let (id, result) = run_result(joined);
                    if let Some(index) = run.ids.remove(&id) {
                        run.exited(index, result, aborted).await?;
                    }
                }
                // Siblings stopped for a group restart that ignore their
                // token: aborted after the grace period.
                () = tokio::time::sleep_until(next_cut.unwrap_or_else(Instant::now)),
                    if next_cut.is_some() =>
                {
                    let now = Instant::now();
                    for child in &mut run.children {
                        if child.running && child.stopping_until.is_some_and(|at| at <= now) {
                            tracing::warn!(child = %child.spec.name, "child did not stop for the group restart; aborted");
                            if let (Some(shutdown), Some(id), false) =
                                (&run.tracked, child.tracking_id, run.grace.is_zero())
                            {
                                shutdown.mark_cut(id);
                            }
                            if let Some(abort) = &child.abort {
                                abort.abort();
                            }
                            child.stopping_until = None;
                            child.settling_until =
                                Some(crate::instant_after(now, Shutdown::ABORT_SETTLE));
                        }
                    }
                }
                // Aborted siblings that block their thread: the abort cannot
                // act, so the group restarts without them.
                () = tokio::time::sleep_until(next_settle.unwrap_or_else(Instant::now)),
                    if next_settle.is_some() =>
                {
                    let now = Instant::now();
                    for child in &mut run.children {
                        if child.running && child.settling_until.is_some_and(|at| at <= now) {
                            tracing::warn!(
                                child = %child.spec.name,
                                settle = ?Shutdown::ABORT_SETTLE,
                                "child did not stop within ABORT_SETTLE of its abort for the group restart (it blocks its thread); the group restarts without it, and it restarts once its run ends"
                            );
                            child.settling_until = None;
                            child.left_behind = true;
                        }
                    }
                }
                () = tokio::time::sleep_until(next_restart.unwrap_or_else(Instant::now)),
                    if next_restart.is_some() && !run.group_stopping() =>
                {
                    let now = Instant::now();
                    for index in 0..run.children.len() {
                        let child = &run.children[index];
                        if !child.running && child.restart_at.is_some_and(|at| at <= now) {
                            run.children[index].restart_at = None;
                            run.start(index);
                        }
                    }
                }
            }
        }
    }
}

struct Child {
    spec: ChildSpec,
    delays: RetryDelays,
    restarts: u32,
    runs: u32,
    started: Instant,
    restart_at: Option<Instant>,
    last_error: Option<TaskError>,
    /// The token of the current run: cancelled to stop this child alone.
    run_token: Option<CancellationToken>,
    abort: Option<tokio::task::AbortHandle>,
    running: bool,
    /// Stopped for a group restart: aborted at this instant if still running.
    stopping_until: Option<Instant>,
    /// The current run is being stopped for a group restart: the group
    /// restarts once it has ended (or been left behind).
    stopping_for_group: bool,
    /// Aborted for a group restart: left behind at this instant if its run
    /// has still not ended (it blocks its thread, so the abort cannot act).
    settling_until: Option<Instant>,
    /// Left behind by a group restart: the group restarts without it, and
    /// it is restarted once this run ends (runs of a child never overlap).
    left_behind: bool,
    /// The current run's key in the tracking shutdown's registry.
    tracking_id: Option<u64>,
    /// The message of a panic raised as the current run's future was
    /// dropped by an abort (see [`KeepsDropPanic`]).
    drop_panic: Arc<Mutex<Option<String>>>,
}

impl Child {
    /// Records that the current run was aborted: cut, not ended, so no
    /// error of its own (whatever an earlier run did).
    fn cut(&mut self) {
        self.stopped();
        let drop_panic = self
            .drop_panic
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        self.last_error = drop_panic.map(|message| {
            let error = TaskError::Panicked {
                name: self.spec.name.clone(),
                message,
            };
            tracing::warn!(child = %self.spec.name, %error, "child panicked while its abort dropped it");
            error
        });
    }

    /// The current run is over: nothing of it is left to abort or wait for.
    fn stopped(&mut self) {
        self.running = false;
        self.abort = None;
        self.settling_until = None;
        self.left_behind = false;
        self.stopping_for_group = false;
    }

    /// Records how the current run ended (its error, or none) and logs it;
    /// `true` when it succeeded.
    fn ended(&mut self, result: RunResult, now: Instant) -> bool {
        self.stopped();
        let name = &self.spec.name;
        let ran_for = now.saturating_duration_since(self.started);
        match result {
            Ok(Ok(())) => {
                tracing::info!(child = %name, ?ran_for, "child returned");
                self.last_error = None;
                true
            }
            Ok(Err(source)) => {
                let error = TaskError::Failed {
                    name: name.clone(),
                    source,
                };
                tracing::warn!(child = %name, ?ran_for, %error, "child failed");
                self.last_error = Some(error);
                false
            }
            Err(message) => {
                let error = TaskError::Panicked {
                    name: name.clone(),
                    message,
                };
                tracing::warn!(child = %name, ?ran_for, %error, "child panicked");
                self.last_error = Some(error);
                false
            }
        }
    }
}

/// A joined run of a child: its task id and how it ended. Panics are
/// caught inside the task, so a `JoinError` is an abort from elsewhere (a
/// handle, the drain) or a panic in a child's `Drop`.
fn run_result(joined: Result<(Id, RunResult), JoinError>) -> (Id, RunResult) {
    match joined {
        Ok((id, result)) => (id, result),
        Err(join_error) => {
            let id = join_error.id();
            let message = if join_error.is_panic() {
                spawn::panic_message(join_error.into_panic().as_ref())
            } else {
                "aborted".to_owned()
            };
            (id, Err(message))
        }
    }
}

/// A run's future that keeps the message of a panic raised while an abort
/// drops it unfinished: the join then says only "cancelled", and the run's
/// report must still say it panicked.
struct KeepsDropPanic {
    fut: Option<ChildFuture>,
    panic: Arc<Mutex<Option<String>>>,
}

impl Future for KeepsDropPanic {
    type Output = Result<(), BoxError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.fut.as_mut() {
            Some(fut) => {
                let output = std::task::ready!(fut.as_mut().poll(cx));
                // Dropped here, inside the task's own catch: a panic of a
                // finished run's drop is the run's panic.
                self.fut = None;
                Poll::Ready(output)
            }
            None => Poll::Pending,
        }
    }
}

impl Drop for KeepsDropPanic {
    fn drop(&mut self) {
        if let Some(fut) = self.fut.take()
            && let Err(payload) = catch_unwind(AssertUnwindSafe(|| drop(fut)))
        {
            *self.panic.lock().unwrap_or_else(PoisonError::into_inner) =
                Some(spawn::panic_message(payload.as_ref()));
            // On to the task's wrapper, which tells a tracking shutdown
            // (never while unwinding already: that would abort).
            if !std::thread::panicking() {
                std::panic::resume_unwind(payload);
            }
        }
    }
}

/// The restart intensity's memory: the times of the latest restarts within
/// the window.
#[derive(Debug)]
struct RestartWindow {
    /// Never more than `max_restarts + 1` entries, none older than `window`.
    recent: VecDeque<Instant>,
    max_restarts: usize,
    window: Duration,
}

impl RestartWindow {
    fn new(max_restarts: usize, window: Duration) -> Self {
        RestartWindow {
            recent: VecDeque::new(),
            max_restarts,
            window,
        }
    }

    /// Records a restart at `now`; `true` when more than `max_restarts`
    /// restarts now fall within the window.
    fn record(&mut self, now: Instant) -> bool {
        self.recent.push_back(now);
        while self
            .recent
            .front()
            .is_some_and(|&at| now.saturating_duration_since(at) >= self.window)
        {
            self.recent.pop_front();
        }
        // Only the last `max_restarts + 1` decide: memory stays bounded
        // even for a window too long to empty itself.
        while self.recent.len() > self.max_restarts.saturating_add(1) {
            self.recent.pop_front();
        }
        self.recent.len() > self.max_restarts
    }

    /// Restart times held.
    #[cfg(test)]
    fn held(&self) -> usize {
        self.recent.len()
    }
}

/// Outcome of one run of a child: what it returned, or its panic message.
type RunResult = Result<Result<(), BoxError>, String>;

struct Run {
    children: Vec<Child>,
    set: JoinSet<RunResult>,
    ids: HashMap<Id, usize>,
    token: CancellationToken,
    restart_window: RestartWindow,
    grace: Duration,
    name: TaskName,
    tracked: Option<Shutdown>,
    strategy: Strategy,
    /// A run this long starts the child's restart delays again.
    stable_after: Duration,
}

impl Run {
    /// `true` while siblings stopped for a group restart are still running:
    /// the group restarts only once all of them have stopped, or been left
    /// behind (aborted, and still running `ABORT_SETTLE` later).
    fn group_stopping(&self) -> bool {
        self.children
            .iter()
            .any(|child| child.running && child.stopping_for_group && !child.left_behind)
    }

    /// Starts one run of child `index`: the one place children are spawned.
    fn start(&mut self, index: usize) {
        let child = &mut self.children[index];
        // A restart counts once it runs, not when it is scheduled. The
        // counts stop at `u32::MAX`: a child restarted for ever keeps running.
        if child.runs > 0 {
            child.restarts = child.restarts.saturating_add(1);
        }
        child.runs = child.runs.saturating_add(1);
        child.running = true;
        child.stopping_until = None;
        child.stopping_for_group = false;
        child.settling_until = None;
        child.left_behind = false;
        let run_token = self.token.child_token();
        child.run_token = Some(run_token.clone());
        let ctx = ChildContext {
            name: child.spec.name.clone(),
            token: run_token,
            restarts: child.restarts,
        };
        let meta = TaskMeta {
            name: child.spec.name.clone(),
            location: child.spec.location,
        };
        child.started = Instant::now();
        tracing::info!(child = %meta.name, restarts = child.restarts, "starting child");
        let factory = &mut child.spec.factory;
        // The factory's synchronous part may panic too: count it as a run
        // that panicked at once.
        let fut: ChildFuture = match catch_unwind(AssertUnwindSafe(|| factory(ctx))) {
            Ok(fut) => fut,
            Err(payload) => {
                let message = spawn::panic_message(payload.as_ref());
                Box::pin(async move { std::panic::panic_any(message) })
            }
        };
        child.drop_panic = Arc::default();
        let fut = KeepsDropPanic {
            fut: Some(fut),
            panic: Arc::clone(&child.drop_panic),
        };
        let tracked = self.tracked.as_ref().map(|shutdown| {
            let path = TaskMeta {
                name: format!("{}/{}", self.name, meta.name).into(),
                location: meta.location,
            };
            (shutdown.clone(), path, shutdown.track())
        });
        let started = Instant::now();
        let (setup, registration) = match tracked {
            Some((shutdown, path, tracking)) => {
                let id = tracking.id();
                let setup = Setup {
                    tracking: Some(tracking),
                    path: Some(path.name.clone()),
                    ..Setup::plain()
                };
                (setup, Some((shutdown, path, id)))
            }
            None => {
                // The watchdog names the run by its full path as well.
                let path = spawn::watching()
                    .then(|| TaskName::from(format!("{}/{}", self.name, meta.name)));
                let setup = Setup {
                    path,
                    ..Setup::plain()
                };
                (setup, None)
            }
        };
        let report_to = registration
            .as_ref()
            .map(|(shutdown, path, _)| (shutdown.clone(), path.clone()));
        let handle = self
            .set
            .spawn(spawn::wrap(&meta, setup, fut, move |outcome, _, _| {
                let result = spawn::uncancellable(outcome);
                if let Some((shutdown, path)) = &report_to {
                    let error = match &result {
                        Ok(Ok(())) => None,
                        Ok(Err(source)) => Some(TaskError::Failed {
                            name: path.name.clone(),
                            source: source.to_string().into(),
                        }),
                        Err(message) => Some(TaskError::Panicked {
                            name: path.name.clone(),
                            message: message.clone(),
                        }),
                    };
                    if let Some(error) = error {
                        shutdown.record_failure(path, started, error, false);
                    }
                }
                result
            }));
        self.children[index].tracking_id = registration.as_ref().map(|(_, _, id)| *id);
        if let Some((shutdown, path, id)) = registration {
            shutdown.register(id, &path, started, handle.clone());
        }
        self.ids.insert(handle.id(), index);
        self.children[index].abort = Some(handle);
    }

    /// Handles the end of one run of child `index`; `aborted` when the run
    /// was cut by an abort (for a group restart, or from outside) rather
    /// than ended by itself: no error of its own, and not a success.
    async fn exited(
        &mut self,
        index: usize,
        result: RunResult,
        aborted: bool,
    ) -> Result<(), SupervisorError> {
        let (max_restarts, window) = (self.restart_window.max_restarts, self.restart_window.window);
        let now = Instant::now();
        let child = &mut self.children[index];
        let name = child.spec.name.clone();
        let ran_for = now.duration_since(child.started);
        // Recorded first, whatever happens next: a sibling stopped for a
        // group restart may have failed or panicked while stopping, and its
        // report must say so.
        let succeeded = if aborted {
            tracing::info!(child = %name, ?ran_for, "child aborted");
            child.cut();
            false
        } else {
            child.ended(result, now)
        };
        if child.stopping_until.take().is_some() || (child.restart_at.is_some()) {
            // Stopped for a group restart: it restarts with the group.
            tracing::info!(child = %name, ?ran_for, "child stopped for a group restart");
            return Ok(());
        }
        if self.token.is_cancelled() {
            return Ok(());
        }
        if !child.spec.policy.restarts_after(succeeded) {
            tracing::info!(child = %name, policy = ?child.spec.policy, "child not restarted");
            return Ok(());
        }
        // Restart intensity, over all children.
        if self.restart_window.record(now) {
            tracing::error!(
                child = %name,
                max_restarts,
                ?window,
                "restart intensity exceeded; stopping all children and escalating"
            );
            let last_error = child.last_error.take();
            self.token.cancel();
            let stopped = self.stop().await;
            return Err(SupervisorError::Escalated {
                child: name,
                max_restarts,
                window,
                last_error,
                aborted: stopped.aborted,
                not_stopped: stopped.not_stopped,
            });
        }
        let child = &mut self.children[index];
        if ran_for >= self.stable_after {
            child.delays.reset();
        }
        let delay = child.delays.next_delay();
        let restart_at = crate::instant_after(now, delay);
        child.restart_at = Some(restart_at);
        tracing::info!(child = %name, ?delay, restarts = child.restarts, "restart scheduled");
        let siblings = match self.strategy {
            Strategy::OneForOne => 0..0,
            Strategy::OneForAll => 0..self.children.len(),
            Strategy::RestForOne => index + 1..self.children.len(),
        };
        for sibling in siblings {
            if sibling == index {
                continue;
            }
            let child = &mut self.children[sibling];
            let aborted = child.settling_until.is_some() || child.left_behind;
            if child.running && !aborted {
                if let Some(token) = &child.run_token {
                    token.cancel();
                }
                child.stopping_until = Some(crate::instant_after(now, self.grace));
                child.stopping_for_group = true;
                // A temporary child is stopped with the group, never restarted.
                if child.spec.policy != RestartPolicy::Temporary {
                    child.restart_at = Some(restart_at);
                }
            } else if child.restart_at.is_some() {
                // Waiting to restart, or already aborted for an earlier
                // group restart: it restarts with this one.
                child.restart_at = Some(restart_at);
            }
        }
        Ok(())
    }

    /// Cancels every child, waits up to `grace` for them, aborts the rest
    /// and waits up to `ABORT_SETTLE` for those.
    async fn stop(&mut self) -> Stopped {
        self.token.cancel();
        for child in &mut self.children {
            child.restart_at = None;
        }
        let drained = tokio::time::timeout(self.grace, async {
            while let Some(joined) = self.set.join_next_with_id().await {
                // A child that ends while it stops (it returns, fails or
                // panics in reaction to its token) has ended its last run:
                // the report shows how. One aborted from outside meanwhile
                // (a shutdown's drain at its deadline) was cut, like those
                // aborted below.
                let aborted = joined.as_ref().err().is_some_and(JoinError::is_cancelled);
                let (id, result) = run_result(joined);
                if let Some(index) = self.ids.remove(&id) {
                    let child = &mut self.children[index];
                    if aborted {
                        child.cut();
                    } else {
                        child.ended(result, Instant::now());
                    }
                }
            }
        })
        .await;
        if drained.is_ok() {
            return Stopped::default();
        }
        // The children still running, by task id: those not joined within
        // `ABORT_SETTLE` of their abort are left behind.
        let mut left: HashMap<tokio::task::Id, usize> = self.ids.drain().collect();
        let mut aborted: Vec<(usize, TaskName)> = left
            .values()
            .map(|&index| (index, self.children[index].spec.name.clone()))
            .collect();
        aborted.sort_by_key(|(index, _)| *index);
        for (index, name) in &aborted {
            tracing::warn!(child = %name, "child did not stop in time; aborted");
            // Given a grace period and ignored it: a cut, not an abort.
            if let (Some(shutdown), Some(id), false) = (
                &self.tracked,
                self.children[*index].tracking_id,
                self.grace.is_zero(),
            ) {
                shutdown.mark_cut(id);
            }
        }
        self.set.abort_all();
        // An abort acts when the task is next scheduled: wait until the
        // aborted children are gone (their futures, and what they own,
        // dropped) before the supervisor reports them stopped. Bounded like
        // the shutdown's drain: a child blocking its thread is left behind,
        // and named as such.
        let _ = tokio::time::timeout(Shutdown::ABORT_SETTLE, async {
            while let Some(joined) = self.set.join_next_with_id().await {
                let id = match &joined {
                    Ok((id, _)) => *id,
                    Err(error) => error.id(),
                };
                left.remove(&id);
            }
        })
        .await;
        let mut not_stopped: Vec<(usize, TaskName)> = left
            .into_values()
            .map(|index| (index, self.children[index].spec.name.clone()))
            .collect();
        not_stopped.sort_by_key(|(index, _)| *index);
        for (_, name) in &not_stopped {
            tracing::warn!(
                child = %name,
                settle = ?Shutdown::ABORT_SETTLE,
                "child did not stop within ABORT_SETTLE of its abort (it blocks its thread); left behind"
            );
        }
        for (index, _) in &aborted {
            self.children[*index].cut();
        }
        Stopped {
            aborted: aborted.into_iter().map(|(_, name)| name).collect(),
            not_stopped: not_stopped.into_iter().map(|(_, name)| name).collect(),
        }
    }

    fn into_report(self, shut_down: bool, stopped: Stopped) -> SupervisorReport {
        SupervisorReport {
            children: self
                .children
                .into_iter()
                .map(|child| ChildReport {
                    name: child.spec.name,
                    restarts: child.restarts,
                    last_error: child.last_error,
                })
                .collect(),
            shut_down,
            aborted: stopped.aborted,
            not_stopped: stopped.not_stopped,
        }
    }
}

/// The children a stopping supervisor had to abort, in the order they were
/// added, and among them those still not gone `ABORT_SETTLE` later.
#[derive(Default)]
struct Stopped {
    aborted: Vec<TaskName>,
    not_stopped: Vec<TaskName>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A permanent child restarted without limit (`restart_intensity(usize::MAX, ..)`): after
    /// `u32::MAX` restarts its counts stay at `u32::MAX` (a `+= 1` would panic in a debug build,
    /// ending the supervisor, and wrap to zero in a release one, so the report and
    /// `ChildContext::restarts` would start again at 0) and the next run still starts.
    #[tokio::test]
    async fn the_restart_and_run_counts_saturate_instead_of_overflowing() {
        let (seen_tx, mut seen_rx) = tokio::sync::mpsc::unbounded_channel();
        let factory: Factory = Box::new(move |ctx: ChildContext| {
            let seen_tx = seen_tx.clone();
            Box::pin(async move {
                seen_tx.send(ctx.restarts()).expect("the test listens");
                Ok(())
            })
        });
        let spec = ChildSpec {
            name: "restarted-for-ever".into(),
            policy: RestartPolicy::Permanent,
            location: Location::caller(),
            factory,
        };
        let mut run = Run {
            children: vec![Child {
                spec,
                delays: RetryPolicy::default().delays(),
                restarts: u32::MAX - 1,
                runs: u32::MAX,
                started: Instant::now(),
                restart_at: None,
                last_error: None,
                run_token: None,
                abort: None,
                running: false,
                stopping_until: None,
                stopping_for_group: false,
                settling_until: None,
                left_behind: false,
                tracking_id: None,
                drop_panic: Arc::default(),
            }],
            set: JoinSet::new(),
            ids: HashMap::new(),
            token: CancellationToken::new(),
            restart_window: RestartWindow::new(usize::MAX, Duration::from_secs(1)),
            grace: Duration::ZERO,
            name: "supervisor".into(),
            tracked: None,
            strategy: Strategy::OneForOne,
            stable_after: Duration::MAX,
        };
        for _ in 0..2 {
            run.start(0);
            assert_eq!(seen_rx.recv().await, Some(u32::MAX));
            let ran = run
                .set
                .join_next()
                .await
                .expect("one run")
                .expect("no panic");
            assert!(matches!(ran, Ok(Ok(()))));
            run.children[0].running = false;
        }
        assert_eq!(run.children[0].restarts, u32::MAX);
        assert_eq!(run.children[0].runs, u32::MAX);
    }

    #[test]
    fn restart_times_older_than_the_window_are_dropped() {
        let mut window = RestartWindow::new(1_000, Duration::from_secs(5));
        let start = Instant::now();
        // One restart every 2 s for ~5.5 hours: never more than 1 000 in
        // any 5 s, so never escalated; only the ones within 5 s are kept.
        for n in 0..10_000_u32 {
            let now = start + Duration::from_secs(2) * n;
            assert!(!window.record(now), "escalated at restart {n}");
            assert!(window.held() <= 3, "{} restart times held", window.held());
        }
        assert_eq!(window.held(), 3, "the restarts at t, t - 2 s and t - 4 s");
        // After a quiet spell longer than the window only the new one stays.
        let later = start + Duration::from_secs(2) * 10_000 + Duration::from_secs(60);
        assert!(!window.record(later));
        assert_eq!(window.held(), 1);
    }

    #[test]
    fn a_long_window_holds_at_most_one_more_than_the_limit() {
        // A window no restart ever leaves: the count cap bounds the memory.
        let mut window = RestartWindow::new(3, Duration::from_secs(86_400 * 365));
        let start = Instant::now();
        let mut escalated = 0;
        for n in 0..10_000_u32 {
            escalated += u32::from(window.record(start + Duration::from_millis(u64::from(n))));
            assert!(window.held() <= 4, "{} restart times held", window.held());
        }
        // Every restart from the fourth on exceeds 3 within the window.
        assert_eq!(escalated, 10_000 - 3);
    }

    #[test]
    fn an_unlimited_intensity_never_escalates_nor_overflows() {
        let mut window = RestartWindow::new(usize::MAX, Duration::from_millis(10));
        let start = Instant::now();
        for n in 0..1_000_u32 {
            assert!(!window.record(start + Duration::from_millis(u64::from(n))));
        }
        assert_eq!(window.held(), 10, "only the last 10 ms of restarts");
    }
}
