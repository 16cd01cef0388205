//! Typed errors shared by every building block of the crate.

use std::time::Duration;

use crate::TaskName;

/// A boxed, thread-safe error: what a task's `Err` is converted into.
///
/// Any `E: std::error::Error + Send + Sync + 'static` converts into it with
/// `?` or `.into()`, and so do `String` and `&str`.
///
/// ```
/// use asyncwise::BoxError;
///
/// let err: BoxError = "disk full".into();
/// assert_eq!(err.to_string(), "disk full");
/// ```
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a task did not produce a value.
///
/// Returned by [`TaskGroup::join_next`](crate::TaskGroup::join_next) and
/// friends, and carried in supervisor and shutdown reports.
///
/// ```
/// use asyncwise::TaskError;
///
/// let err = TaskError::Cancelled { name: "fetch".into() };
/// assert_eq!(err.name(), "fetch");
/// assert_eq!(err.to_string(), "task `fetch` was cancelled");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TaskError {
    /// The task panicked; the panic was caught and its message kept.
    #[error("task `{name}` panicked: {message}")]
    Panicked {
        /// Name the task was spawned with.
        name: TaskName,
        /// The panic payload if it was a string, otherwise a placeholder.
        message: String,
    },
    /// The task returned an error.
    #[error("task `{name}` failed: {source}")]
    Failed {
        /// Name the task was spawned with.
        name: TaskName,
        /// The error the task returned.
        #[source]
        source: BoxError,
    },
    /// The task was cancelled (its group was cancelled, or it was aborted)
    /// before it finished.
    #[error("task `{name}` was cancelled")]
    Cancelled {
        /// Name the task was spawned with.
        name: TaskName,
    },
}

impl TaskError {
    /// The name of the task this error belongs to.
    ///
    /// ```
    /// use asyncwise::TaskError;
    ///
    /// let err = TaskError::Panicked { name: "parse".into(), message: "boom".into() };
    /// assert_eq!(err.name(), "parse");
    /// ```
    pub fn name(&self) -> &str {
        match self {
            TaskError::Panicked { name, .. }
            | TaskError::Failed { name, .. }
            | TaskError::Cancelled { name } => name,
        }
    }

    /// `true` for [`TaskError::Cancelled`]: the task did not fail by itself.
    ///
    /// ```
    /// use asyncwise::TaskError;
    ///
    /// assert!(TaskError::Cancelled { name: "x".into() }.is_cancelled());
    /// assert!(!TaskError::Failed { name: "x".into(), source: "no".into() }.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self, TaskError::Cancelled { .. })
    }
}

/// Why a task could not be spawned into a [`TaskGroup`](crate::TaskGroup).
///
/// ```
/// use asyncwise::SpawnError;
///
/// assert_eq!(SpawnError::Full { limit: 4 }.to_string(),
///            "task group is at its concurrency limit of 4");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpawnError {
    /// [`try_spawn`](crate::TaskGroup::try_spawn) found every slot taken.
    #[error("task group is at its concurrency limit of {limit}")]
    Full {
        /// The group's concurrency limit.
        limit: usize,
    },
    /// The group has been cancelled (explicitly, by its parent token, or by
    /// a fail-fast failure); it accepts no new tasks.
    #[error("task group has been cancelled")]
    Cancelled,
}

/// Why [`Shutdown::run`](crate::Shutdown::run) could not start.
///
/// ```
/// use asyncwise::ShutdownError;
///
/// let err = ShutdownError::Signals(std::io::Error::other("no signal driver"));
/// assert!(err.to_string().starts_with("could not install signal handlers"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ShutdownError {
    /// Installing the SIGINT/SIGTERM (or ctrl-c) handlers failed.
    #[error("could not install signal handlers: {0}")]
    Signals(#[source] std::io::Error),
}

/// Why a [`Supervisor`](crate::Supervisor) gave up.
///
/// ```
/// use std::time::Duration;
/// use asyncwise::SupervisorError;
///
/// let err = SupervisorError::Escalated {
///     child: "db".into(),
///     max_restarts: 3,
///     window: Duration::from_secs(5),
///     last_error: None,
///     aborted: vec!["cache".into()],
///     not_stopped: vec![],
/// };
/// assert_eq!(err.to_string(),
///            "child `db` needed more than 3 restarts within 5s; supervisor escalated");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SupervisorError {
    /// The restart intensity was exceeded: the supervisor stopped all of its
    /// children and hands the problem to its caller.
    #[error(
        "child `{child}` needed more than {max_restarts} restarts within {window:?}; supervisor escalated"
    )]
    Escalated {
        /// The child whose restart crossed the limit.
        child: TaskName,
        /// The configured maximum number of restarts in `window`.
        max_restarts: usize,
        /// The configured window.
        window: Duration,
        /// How that child's last run ended, if it ended with an error.
        #[source]
        last_error: Option<TaskError>,
        /// Children that did not stop within the shutdown grace period
        /// after the escalation and were aborted, in the order they were
        /// added.
        aborted: Vec<TaskName>,
        /// Aborted children that had still not stopped
        /// [`Shutdown::ABORT_SETTLE`](crate::Shutdown::ABORT_SETTLE) after
        /// their abort when the escalation was returned: they block their
        /// thread, so the supervisor left them behind, still running, as
        /// [`SupervisorReport::not_stopped`](crate::SupervisorReport::not_stopped)
        /// does. Each is also in `aborted`, and named by a `tracing`
        /// warning. Empty when every aborted child stopped.
        ///
        /// ```
        /// use std::time::Duration;
        /// use asyncwise::{BoxError, CancellationToken, RestartPolicy, Supervisor, SupervisorError};
        ///
        /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
        /// # async fn main() {
        /// let result = Supervisor::new(CancellationToken::new())
        ///     .restart_intensity(0, Duration::from_secs(60))
        ///     .shutdown_grace(Duration::from_secs(1))
        ///     .child("deaf", RestartPolicy::Permanent, |_| std::future::pending::<Result<(), BoxError>>())
        ///     .child("crashy", RestartPolicy::Permanent, |_| async { Err::<(), BoxError>("crash".into()) })
        ///     .run()
        ///     .await;
        /// let Err(SupervisorError::Escalated { aborted, not_stopped, .. }) = result else {
        ///     panic!("expected an escalation: {result:?}");
        /// };
        /// assert_eq!(aborted, ["deaf"]); // ignored its token for the grace period
        /// assert!(not_stopped.is_empty()); // but the abort stopped it: it yields
        /// # }
        /// ```
        not_stopped: Vec<TaskName>,
    },
}
