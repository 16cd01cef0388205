//! # tidewater
//!
//! Utilities for building resilient async services: retry policies,
//! timeouts, graceful shutdown signals and a few file helpers that behave
//! the same from sync and async code.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let text = tidewater::fs::read_text("Cargo.toml").await?;
//! println!("{}", text.len());
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]
#![warn(missing_docs)]

use std::future::Future;
use std::io;
use std::path::Path;
use std::time::Duration;

use thiserror::Error;
use tokio::task::JoinHandle;
use tracing::{debug, warn, Instrument};

pub mod retry;
pub mod shutdown;

#[cfg(feature = "metrics")]
pub mod metrics;

pub use crate::retry::{Backoff, RetryPolicy};
pub use crate::shutdown::{Shutdown, ShutdownGuard};

#[cfg(feature = "metrics")]
pub use crate::metrics::{Registry, Reporter};

/// Re-exported so downstream crates do not need a direct dependency.
pub use tokio_util::sync::CancellationToken;

/// Errors produced by the helpers in this crate.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// The operation did not finish within its deadline.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// The operation was cancelled through a [`CancellationToken`].
    #[error("cancelled")]
    Cancelled,
    /// An I/O error.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Convenience alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// File helpers that never block the async runtime.
pub mod fs {
    use std::io;
    use std::path::Path;

    /// Reads a UTF-8 file on tokio's blocking-aware file API.
    pub async fn read_text(path: impl AsRef<Path>) -> io::Result<String> {
        tokio::fs::read_to_string(path).await
    }

    /// Writes atomically: write to a sibling temp file, then rename.
    pub async fn write_atomic(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
        let path = path.as_ref();
        let tmp = path.with_extension("tmp");
        tokio::fs::write(&tmp, contents).await?;
        tokio::fs::rename(&tmp, path).await
    }

    /// Synchronous counterpart of [`read_text`], for build scripts and tests.
    pub fn read_text_blocking(path: impl AsRef<Path>) -> io::Result<String> {
        std::fs::read_to_string(path)
    }
}

/// Runs `fut` with a deadline.
pub async fn with_timeout<F, T>(dur: Duration, fut: F) -> Result<T>
where
    F: Future<Output = T>,
{
    tokio::time::timeout(dur, fut).await.map_err(|_| Error::Timeout(dur))
}

/// Runs `fut` until it completes or `token` is cancelled.
pub async fn cancellable<F, T>(token: &CancellationToken, fut: F) -> Result<T>
where
    F: Future<Output = T>,
{
    tokio::select! {
        out = fut => Ok(out),
        _ = token.cancelled() => Err(Error::Cancelled),
    }
}

/// Spawns a named task and returns its handle. The span carries the name so
/// log lines from inside the task are attributable.
pub fn spawn_named<F>(name: &'static str, fut: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    debug!(task = name, "spawning");
    tokio::spawn(fut.instrument(tracing::info_span!("task", name)))
}

/// Runs a blocking closure on the blocking pool and flattens the join error
/// into an I/O error.
pub async fn blocking<F, T>(f: F) -> io::Result<T>
where
    F: FnOnce() -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(res) => res,
        Err(e) => Err(io::Error::new(io::ErrorKind::Other, e)),
    }
}

/// Lists a directory without blocking the runtime.
pub async fn list_dir(dir: impl AsRef<Path>) -> io::Result<Vec<String>> {
    let dir = dir.as_ref().to_owned();
    let joined = tokio::task::spawn_blocking(move || -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(&dir)? {
            names.push(entry?.file_name().to_string_lossy().into_owned());
        }
        names.sort();
        Ok(names)
    })
    .await;
    joined.map_err(|e| io::Error::new(io::ErrorKind::Other, e))?
}

/// Sleeps for `dur` unless the token is cancelled first. Returns `true` if
/// the full duration elapsed.
pub async fn sleep_or_cancel(dur: Duration, token: &CancellationToken) -> bool {
    let sleep = tokio::time::sleep(dur);
    tokio::pin!(sleep);
    tokio::select! {
        _ = &mut sleep => true,
        _ = token.cancelled() => false,
    }
}

/// Blocks the current thread on `fut`. For use from synchronous entry points
/// (FFI callbacks, `Drop` impls of sync types) that are *not* on a runtime.
pub fn block_on_sync<F: Future>(fut: F) -> F::Output {
    futures::executor::block_on(fut)
}

/// Spawns `fut` and logs (rather than loses) its error.
pub fn spawn_logged<F, E>(name: &'static str, fut: F) -> JoinHandle<()>
where
    F: Future<Output = std::result::Result<(), E>> + Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    tokio::spawn(async move {
        if let Err(e) = fut.await {
            warn!(task = name, error = %e, "task failed");
        }
    })
}

/// Builds a current-thread runtime for tools that only need a little async.
pub fn small_runtime() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread().enable_all().build()
}

/// Declares a `const` [`Duration`] from a human-friendly literal.
#[macro_export]
macro_rules! duration {
    ($n:literal ms) => {
        ::std::time::Duration::from_millis($n)
    };
    ($n:literal s) => {
        ::std::time::Duration::from_secs($n)
    };
}

#[cfg(feature = "blocking")]
/// Synchronous facade for callers without a runtime.
pub mod blocking_api {
    use super::*;

    /// Reads a file, running the async helper to completion on a private
    /// runtime.
    pub fn read_text(path: &Path) -> io::Result<String> {
        let rt = small_runtime()?;
        rt.block_on(crate::fs::read_text(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_macro() {
        assert_eq!(duration!(250 ms), Duration::from_millis(250));
        assert_eq!(duration!(3 s), Duration::from_secs(3));
    }

    #[test]
    fn block_on_sync_outside_runtime() {
        assert_eq!(block_on_sync(async { 1 + 1 }), 2);
    }

    #[test]
    fn read_text_blocking_reports_missing() {
        let err = fs::read_text_blocking("/no/such/file").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }

    #[tokio::test]
    async fn timeout_fires() {
        let res = with_timeout(Duration::from_millis(5), tokio::time::sleep(Duration::from_secs(1))).await;
        assert!(matches!(res, Err(Error::Timeout(_))));
    }

    #[tokio::test]
    async fn cancellation_wins() {
        let token = CancellationToken::new();
        token.cancel();
        assert!(!sleep_or_cancel(Duration::from_secs(10), &token).await);
    }

    #[tokio::test]
    async fn list_dir_sorted() {
        let dir = tempfile::tempdir().unwrap();
        fs::write_atomic(dir.path().join("b"), b"").await.unwrap();
        fs::write_atomic(dir.path().join("a"), b"").await.unwrap();
        assert_eq!(list_dir(dir.path()).await.unwrap(), vec!["a", "b"]);
    }

    #[tokio::test]
    async fn spawned_task_logs_error() {
        let h = spawn_logged("t", async { Err::<(), _>("boom") });
        h.await.unwrap();
    }
}
