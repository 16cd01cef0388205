//! Set-up shared by the tests written from the docs (`tests/docs_promises.rs`,
//! `tests/hostile_drain.rs`): the clocks, logs, tokens and stand-in children and flushes that
//! many of them need. Each helper does only the set-up; what a test checks stays in the test.
//! Everything runs on Tokio's clock, so on paused time in these tests.

#![allow(dead_code, reason = "each test binary uses a part of it")]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asyncwise::{
    Batch, BoxError, BreakerBuilder, ChildContext, CircuitBreaker, Jitter, RetryPolicy,
};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Sets its flag when dropped: tells whether a future (or what it owns) was dropped.
pub struct DropFlag(pub Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// A flag, unset.
pub fn flag() -> Arc<AtomicBool> {
    Arc::new(AtomicBool::new(false))
}

/// A future that records whether it was ever polled and whether it was dropped: `(future,
/// polled, dropped)`.
pub fn watched<T: Send + 'static>(
    output: T,
) -> (
    impl Future<Output = T> + Send + 'static,
    Arc<AtomicBool>,
    Arc<AtomicBool>,
) {
    let polled = flag();
    let dropped = flag();
    let guard = DropFlag(Arc::clone(&dropped));
    let seen = Arc::clone(&polled);
    let future = async move {
        let _guard = guard;
        seen.store(true, Ordering::SeqCst);
        output
    };
    (future, polled, dropped)
}

/// Panics with its message when dropped.
pub struct PanicOnDrop(pub &'static str);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("{}", self.0);
    }
}

/// A token that a task of its own cancels `after` from now.
pub fn cancelled_after(after: Duration) -> CancellationToken {
    let token = CancellationToken::new();
    let stop = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(after).await;
        stop.cancel();
    });
    token
}

/// Values with the time they were recorded, counted from the log's creation: the starts of a
/// child's runs or of a stage's items, the batches a flush received. Clones share the log.
pub struct TimeLog<T> {
    origin: Instant,
    entries: Arc<Mutex<Vec<(Duration, T)>>>,
}

impl<T> Clone for TimeLog<T> {
    fn clone(&self) -> Self {
        TimeLog {
            origin: self.origin,
            entries: Arc::clone(&self.entries),
        }
    }
}

impl<T: Clone> TimeLog<T> {
    /// An empty log whose times count from now.
    pub fn new() -> Self {
        TimeLog {
            origin: Instant::now(),
            entries: Arc::default(),
        }
    }

    /// Records `value` at the current time.
    pub fn record(&self, value: T) {
        let at = self.origin.elapsed();
        self.entries.lock().expect("time log").push((at, value));
    }

    /// Everything recorded, in order.
    pub fn entries(&self) -> Vec<(Duration, T)> {
        self.entries.lock().expect("time log").clone()
    }
}

impl TimeLog<()> {
    /// Records the current time.
    pub fn mark(&self) {
        self.record(());
    }

    /// The times marked, in order.
    pub fn times(&self) -> Vec<Duration> {
        self.entries().into_iter().map(|(at, ())| at).collect()
    }
}

/// A boxed flush future, as [`recording_flush`] returns.
pub type FlushFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// A flush function for `Batcher::new` that records each batch's items in `log` when it is
/// called, then takes `takes` (on Tokio's clock) and succeeds.
pub fn recording_flush(
    log: &TimeLog<Vec<u32>>,
    takes: Duration,
) -> impl FnMut(Batch<u32>) -> FlushFuture + Send + 'static {
    let log = log.clone();
    move |batch| {
        log.record(batch.to_vec());
        Box::pin(async move {
            if !takes.is_zero() {
                tokio::time::sleep(takes).await;
            }
            Ok(())
        })
    }
}

/// What a callback received, collected from any thread. Clones share the list.
pub struct Collected<T>(Arc<Mutex<Vec<T>>>);

impl<T> Clone for Collected<T> {
    fn clone(&self) -> Self {
        Collected(Arc::clone(&self.0))
    }
}

impl<T: Clone> Collected<T> {
    /// An empty list.
    pub fn new() -> Self {
        Collected(Arc::default())
    }

    /// Adds `value`.
    pub fn push(&self, value: T) {
        self.0.lock().expect("collected").push(value);
    }

    /// Everything collected, in order.
    pub fn all(&self) -> Vec<T> {
        self.0.lock().expect("collected").clone()
    }
}

/// A supervisor's child that runs until its token is cancelled, then returns `Ok`.
pub async fn until_stopped(ctx: ChildContext) -> Result<(), BoxError> {
    ctx.token().cancelled().await;
    Ok(())
}

/// Exponential delays `initial * 2^n` exactly: no jitter, no floor.
pub fn exact_doubling(initial: Duration) -> RetryPolicy {
    RetryPolicy::exponential(initial)
        .jitter(Jitter::None)
        .floor(Duration::ZERO)
}

/// A breaker builder that opens on the first failure, for one second.
pub fn trips_on_one_failure() -> BreakerBuilder {
    CircuitBreaker::builder()
        .consecutive_failures(1)
        .open_for(Duration::from_secs(1))
}

/// A boxed run of a supervisor's child, as the child factories here return.
pub type ChildRun = Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send>>;

/// A child factory whose first run fails; a later run (after `settle`, if not zero) cancels
/// `stop`, waits for its own token and returns `Ok`.
pub fn fails_first_run_then_stops(
    stop: CancellationToken,
    settle: Duration,
) -> impl FnMut(ChildContext) -> ChildRun + Send + 'static {
    move |ctx| {
        let stop = stop.clone();
        Box::pin(async move {
            if ctx.restarts() == 0 {
                return Err::<(), BoxError>("first run fails".into());
            }
            if !settle.is_zero() {
                tokio::time::sleep(settle).await;
            }
            stop.cancel();
            ctx.token().cancelled().await;
            Ok(())
        })
    }
}

/// A child factory whose every run fails at once with `error`; `runs` counts the runs.
pub fn always_fails(
    runs: &Arc<std::sync::atomic::AtomicU32>,
    error: &'static str,
) -> impl FnMut(ChildContext) -> ChildRun + Send + 'static {
    let runs = Arc::clone(runs);
    move |_ctx| {
        runs.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move { Err::<(), BoxError>(error.into()) })
    }
}
