//! [`Batcher`]: a bounded queue in front of a flush function that loses
//! nothing on shutdown, and the [`batched`](BatchedExt::batched) stream
//! adaptor.

use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use futures_core::Stream;
use pin_project_lite::pin_project;
use tokio::sync::mpsc;
use tokio::time::{Instant, Sleep};
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use std::any::Any;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;

use crate::retry::{RetryPolicy, retry};

/// A group of items handed to a flush function or a dead-letter callback.
///
/// Cheap to clone (one reference count), so that a failed flush can be
/// retried with the same items; dereferences to a slice.
///
/// ```
/// use asyncwise::Batch;
///
/// let batch = Batch::from(vec![1, 2, 3]);
/// assert_eq!(batch.len(), 3);
/// assert_eq!(batch.iter().sum::<i32>(), 6);
/// assert_eq!(batch.try_into_vec(), Ok(vec![1, 2, 3]));
/// ```
pub struct Batch<T>(Arc<Vec<T>>);

impl<T> Batch<T> {
    /// The items, if this is the only handle to them.
    ///
    /// ```
    /// let batch = asyncwise::Batch::from(vec!["a"]);
    /// let copy = batch.clone();
    /// let batch = batch.try_into_vec().unwrap_err();
    /// drop(copy);
    /// assert_eq!(batch.try_into_vec(), Ok(vec!["a"]));
    /// ```
    pub fn try_into_vec(self) -> Result<Vec<T>, Self> {
        Arc::try_unwrap(self.0).map_err(Batch)
    }
}

impl<T> From<Vec<T>> for Batch<T> {
    fn from(items: Vec<T>) -> Self {
        Batch(Arc::new(items))
    }
}

impl<T> Clone for Batch<T> {
    fn clone(&self) -> Self {
        Batch(Arc::clone(&self.0))
    }
}

impl<T> Deref for Batch<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T: fmt::Debug> fmt::Debug for Batch<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.iter()).finish()
    }
}

impl<T: PartialEq> PartialEq for Batch<T> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

/// How a [`Batcher`] groups, queues, retries and stops.
///
/// ```
/// use std::time::Duration;
/// use asyncwise::{BatchConfig, RetryPolicy};
///
/// let config = BatchConfig::new(500, Duration::from_millis(50))
///     .capacity(10_000)
///     .retry(RetryPolicy::exponential(Duration::from_millis(20)).max_attempts(4));
/// assert_eq!(config.get_max_items(), 500);
/// ```
#[derive(Debug, Clone)]
pub struct BatchConfig {
    max_items: usize,
    max_delay: Duration,
    capacity: usize,
    retry: RetryPolicy,
    shutdown: Option<CancellationToken>,
}

impl BatchConfig {
    /// Flush when `max_items` items are waiting (0 is taken as 1) or
    /// `max_delay` after the worker took the first item of the batch from
    /// the queue. That is when the item was sent, unless the worker was busy
    /// flushing the previous batch: items sent meanwhile wait in the queue,
    /// and that wait does not count (the next batch's deadline starts when
    /// the flush ends). The queue holds `2 * max_items` items unless
    /// [`capacity`](Self::capacity) says otherwise; failed flushes follow
    /// [`RetryPolicy::default`].
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let config = asyncwise::BatchConfig::new(0, Duration::from_secs(1));
    /// assert_eq!(config.get_max_items(), 1);
    /// ```
    pub fn new(max_items: usize, max_delay: Duration) -> Self {
        let max_items = max_items.max(1);
        BatchConfig {
            max_items,
            max_delay,
            capacity: max_items.saturating_mul(2).min(MAX_CAPACITY),
            retry: RetryPolicy::default(),
            shutdown: None,
        }
    }

    /// How many accepted items may wait for the worker before `send` waits
    /// (0 is taken as 1; capped at Tokio's channel limit,
    /// `Semaphore::MAX_PERMITS`).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let config = asyncwise::BatchConfig::new(10, Duration::from_secs(1)).capacity(100);
    /// assert_eq!(config.get_capacity(), 100);
    /// ```
    pub fn capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity.clamp(1, MAX_CAPACITY);
        self
    }

    /// The policy for retrying a failed flush. Retries are not cancelled by
    /// shutdown: bound them with `max_attempts` or `max_elapsed`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncwise::{BatchConfig, RetryPolicy};
    ///
    /// let config = BatchConfig::new(10, Duration::from_secs(1))
    ///     .retry(RetryPolicy::default().max_attempts(2));
    /// # let _ = config;
    /// ```
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// When `token` is cancelled the batcher stops accepting items at once
    /// (every later send fails and hands the item back, and so does a send
    /// waiting for room), the worker flushes everything it accepted, and
    /// finishes.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tokio_util::sync::CancellationToken;
    ///
    /// let config = asyncwise::BatchConfig::new(10, Duration::from_secs(1))
    ///     .cancel_on(CancellationToken::new());
    /// # let _ = config;
    /// ```
    pub fn cancel_on(mut self, token: CancellationToken) -> Self {
        self.shutdown = Some(token);
        self
    }

    /// The largest batch.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// assert_eq!(asyncwise::BatchConfig::new(8, Duration::ZERO).get_max_items(), 8);
    /// ```
    pub fn get_max_items(&self) -> usize {
        self.max_items
    }

    /// The queue capacity.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// assert_eq!(asyncwise::BatchConfig::new(8, Duration::ZERO).get_capacity(), 16);
    /// ```
    pub fn get_capacity(&self) -> usize {
        self.capacity
    }
}

/// The batcher no longer accepts items (it was shut down, or its worker
/// ended); the item is handed back, it was not accepted.
///
/// ```
/// let err = asyncwise::BatcherClosed(7);
/// assert_eq!(err.to_string(), "the batcher is closed; the item was not accepted");
/// assert_eq!(err.0, 7);
/// ```
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error("the batcher is closed; the item was not accepted")]
pub struct BatcherClosed<T>(pub T);

impl<T> fmt::Debug for BatcherClosed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BatcherClosed(..)")
    }
}

/// Why [`Batcher::try_send`] did not accept an item; the item is handed back.
///
/// ```
/// use asyncwise::TrySendError;
///
/// assert_eq!(TrySendError::Full(1).into_inner(), 1);
/// ```
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrySendError<T> {
    /// The queue is at capacity.
    #[error("the batcher's queue is full")]
    Full(T),
    /// The batcher no longer accepts items.
    #[error("the batcher is closed")]
    Closed(T),
}

impl<T> TrySendError<T> {
    /// The item that was not accepted.
    ///
    /// ```
    /// assert_eq!(asyncwise::TrySendError::Closed("x").into_inner(), "x");
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(item) | TrySendError::Closed(item) => item,
        }
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("Full(..)"),
            TrySendError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

/// The sending side of a batcher: cheap to clone, one per producer.
///
/// Use a `Batcher` instead of an `mpsc` channel and a hand-written
/// `recv_many` loop when batches must also be flushed on a deadline, failed
/// flushes retried, and nothing lost on shutdown: an item is *accepted* when
/// [`send`](Self::send) returns `Ok`, and every accepted item ends up either
/// flushed or handed to the dead-letter callback before
/// [`BatchWorker::run`] returns.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
/// use asyncwise::{BatchConfig, Batcher};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let flushed = Arc::new(Mutex::new(Vec::new()));
/// let sink = flushed.clone();
/// let (batcher, worker) = Batcher::new(BatchConfig::new(3, Duration::from_millis(10)), move |batch| {
///     sink.lock().unwrap().push(batch.to_vec());
///     async { Ok::<_, String>(()) }
/// });
/// let worker = tokio::spawn(worker.run());
/// for n in 0..7 {
///     batcher.send(n).await.unwrap();
/// }
/// drop(batcher); // every sender gone: the worker flushes what is left and ends
/// let report = worker.await.unwrap();
/// assert_eq!(report.items_flushed, 7);
/// assert_eq!(*flushed.lock().unwrap(), [vec![0, 1, 2], vec![3, 4, 5], vec![6]]);
/// # }
/// ```
pub struct Batcher<T> {
    tx: mpsc::Sender<T>,
    // The shutdown token, checked by the senders themselves so that no send
    // succeeds once it fired, even before the worker noticed.
    shutdown: Option<Arc<SenderShutdown>>,
}

/// The shutdown token as the senders check it, at the cost of one atomic
/// load per send rather than the token's mutex: `fired` is set by a waker
/// registered with the token, which the token wakes inside its `cancel`
/// call, so the flag is set before `cancel` returns.
struct SenderShutdown {
    token: CancellationToken,
    fired: Arc<Fired>,
    // Keeps the waker registered with the token; polled once, never again.
    _registration: std::sync::Mutex<Pin<Box<WaitForCancellationFutureOwned>>>,
}

/// Set when the token wakes its registration.
struct Fired(AtomicBool);

impl Wake for Fired {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.store(true, Ordering::Release);
    }
}

impl SenderShutdown {
    fn new(token: CancellationToken) -> Self {
        let fired = Arc::new(Fired(AtomicBool::new(false)));
        let mut registration = Box::pin(token.clone().cancelled_owned());
        let waker = Waker::from(Arc::clone(&fired));
        if registration
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_ready()
        {
            fired.0.store(true, Ordering::Release);
        }
        SenderShutdown {
            token,
            fired,
            _registration: std::sync::Mutex::new(registration),
        }
    }

    fn has_fired(&self) -> bool {
        // A wake means the token fired (it wakes only from `cancel`); the
        // token itself confirms, so that even a wake from elsewhere could
        // not close the batcher by mistake.
        self.fired.0.load(Ordering::Acquire) && self.token.is_cancelled()
    }
}

impl<T> Clone for Batcher<T> {
    fn clone(&self) -> Self {
        Batcher {
            tx: self.tx.clone(),
            shutdown: self.shutdown.clone(),
        }
    }
}

impl<T> fmt::Debug for Batcher<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batcher")
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The largest queue Tokio's channel accepts; larger capacities are capped.
const MAX_CAPACITY: usize = tokio::sync::Semaphore::MAX_PERMITS;

/// Batches reserve room for at most this many items up front, so that a
/// huge `max_items` does not allocate a huge buffer per batch.
const PREALLOCATE: usize = 4_096;

type DeadLetterFn<T, E> = Box<dyn FnMut(Batch<T>, FlushError<E>) + Send>;

/// Why a batch went to the dead-letter callback.
///
/// ```
/// use asyncwise::FlushError;
///
/// let err: FlushError<&str> = FlushError::Failed { error: "503", attempts: 3 };
/// assert_eq!(err.to_string(), "flush failed after 3 attempt(s): 503");
/// assert_eq!(err.attempts(), 3);
/// let err: FlushError<&str> = FlushError::Panicked { message: "bug".into(), attempts: 1 };
/// assert_eq!(err.to_string(), "flush panicked: bug");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FlushError<E> {
    /// The flush function kept failing until the retry policy gave up.
    #[error("flush failed after {attempts} attempt(s): {error}")]
    Failed {
        /// The last error.
        error: E,
        /// Attempts made.
        attempts: u32,
    },
    /// The flush function or its future panicked; a panic is not retried.
    /// The worker caught it and goes on with the next batch.
    #[error("flush panicked: {message}")]
    Panicked {
        /// The panic message, if it was a string.
        message: String,
        /// Attempts made, the panicking one included.
        attempts: u32,
    },
    /// The worker future was dropped (cancelled or aborted) before this
    /// batch was flushed. For items still queued or being gathered nothing
    /// was attempted (`attempts` is 0); for the batch whose flush was in
    /// flight the flush may or may not have taken effect.
    #[error("the batch worker was dropped before the batch was flushed")]
    Cancelled {
        /// Flush attempts started for the batch (at most `u32::MAX`).
        attempts: u32,
    },
}

impl<E> FlushError<E> {
    /// How many flush attempts were made for the batch.
    ///
    /// ```
    /// let err = asyncwise::FlushError::Failed { error: (), attempts: 2 };
    /// assert_eq!(err.attempts(), 2);
    /// ```
    pub fn attempts(&self) -> u32 {
        match self {
            FlushError::Failed { attempts, .. }
            | FlushError::Panicked { attempts, .. }
            | FlushError::Cancelled { attempts } => *attempts,
        }
    }
}

/// The outcome of one flush attempt that did not succeed.
enum AttemptError<E> {
    Failed(E),
    Panicked(String),
}

impl<E: fmt::Display> fmt::Display for AttemptError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttemptError::Failed(error) => error.fmt(f),
            AttemptError::Panicked(message) => write!(f, "panicked: {message}"),
        }
    }
}

fn panic_text(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "<non-string panic payload>".to_owned()
    }
}

impl<T> Batcher<T> {
    /// Creates the sending side and the worker that flushes with `flush`.
    /// Run the worker with [`BatchWorker::run`], for example in a task of a
    /// [`Shutdown`](crate::Shutdown).
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncwise::{BatchConfig, Batcher};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let (batcher, worker) = Batcher::new(BatchConfig::new(100, Duration::from_secs(1)), |batch| {
    ///     let len = batch.len();
    ///     async move { if len > 0 { Ok(()) } else { Err("empty") } }
    /// });
    /// batcher.send("event").await.unwrap();
    /// drop(batcher);
    /// assert_eq!(worker.run().await.batches_flushed, 1);
    /// # }
    /// ```
    pub fn new<F, Fut, E>(config: BatchConfig, flush: F) -> (Batcher<T>, BatchWorker<T, F, E>)
    where
        F: FnMut(Batch<T>) -> Fut,
        Fut: Future<Output = Result<(), E>>,
    {
        let (tx, rx) = mpsc::channel(config.capacity);
        let shutdown = config
            .shutdown
            .clone()
            .map(|token| Arc::new(SenderShutdown::new(token)));
        let worker = BatchWorker {
            config,
            rx,
            flush,
            dead_letter: None,
            report: BatchReport::default(),
            pending: Vec::new(),
            in_flight: None,
            attempts_before_first: 0,
        };
        (Batcher { tx, shutdown }, worker)
    }

    /// Queues `item`, waiting while the queue is full (backpressure).
    /// `Ok` means the item was accepted and will be flushed or
    /// dead-lettered.
    ///
    /// # Errors
    ///
    /// [`BatcherClosed`] with the item when the batcher has shut down: its
    /// [shutdown token](BatchConfig::cancel_on) fired (checked by the sender
    /// itself, also while it waits for room, so no send succeeds after the
    /// token fired), or its worker finished or was dropped.
    ///
    /// # Cancel safety
    ///
    /// A `send` dropped before it returned (raced in a `select!`, under a
    /// `timeout`) did not accept its item: the item is dropped with the
    /// future, never flushed nor dead-lettered, and no room stays reserved.
    /// Keep the item by using [`try_send`](Self::try_send), which hands it
    /// back when the queue is full.
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncwise::{BatchConfig, Batcher};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let (batcher, worker) =
    ///     Batcher::new(BatchConfig::new(1, Duration::ZERO), |_| async { Ok::<_, String>(()) });
    /// drop(worker);
    /// assert_eq!(batcher.send(1).await.unwrap_err().0, 1);
    /// # }
    /// ```
    pub async fn send(&self, item: T) -> Result<(), BatcherClosed<T>> {
        // Fast path, taken whenever the queue has room: a slot taken without
        // building a waiting future. It spends a unit of the task's
        // cooperative budget as Tokio's own `send` does, so a producer that
        // never finds the queue full still yields to the scheduler.
        {
            let budget = std::future::poll_fn(tokio::task::coop::poll_proceed).await;
            // Checked after that await, which suspends the send when the
            // budget is spent: the token may have fired meanwhile.
            if self
                .shutdown
                .as_ref()
                .is_some_and(|shutdown| shutdown.has_fired())
            {
                return Err(BatcherClosed(item));
            }
            match self.tx.try_reserve() {
                Ok(permit) => {
                    budget.made_progress();
                    permit.send(item);
                    return Ok(());
                }
                Err(mpsc::error::TrySendError::Closed(())) => return Err(BatcherClosed(item)),
                Err(mpsc::error::TrySendError::Full(())) => {}
            }
        }
        // The queue is full: wait for room (backpressure). The item stays
        // here until a slot is reserved, so that a shutdown while waiting
        // hands it back instead of dropping it.
        let reserved = match &self.shutdown {
            None => self.tx.reserve().await,
            Some(shutdown) => tokio::select! {
                biased;
                () = shutdown.token.cancelled() => return Err(BatcherClosed(item)),
                reserved = self.tx.reserve() => reserved,
            },
        };
        match reserved {
            Ok(permit) => {
                permit.send(item);
                Ok(())
            }
            Err(_) => Err(BatcherClosed(item)),
        }
    }

    /// Queues `item` if there is room now.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] when the queue is at capacity,
    /// [`TrySendError::Closed`] when the batcher has shut down.
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncwise::{BatchConfig, Batcher, TrySendError};
    ///
    /// let (batcher, _worker) = Batcher::new(
    ///     BatchConfig::new(1, Duration::ZERO).capacity(1),
    ///     |_| async { Ok::<_, String>(()) },
    /// );
    /// assert!(batcher.try_send(1).is_ok());
    /// assert_eq!(batcher.try_send(2), Err(TrySendError::Full(2)));
    /// ```
    pub fn try_send(&self, item: T) -> Result<(), TrySendError<T>> {
        if self
            .shutdown
            .as_ref()
            .is_some_and(|shutdown| shutdown.has_fired())
        {
            return Err(TrySendError::Closed(item));
        }
        self.tx.try_send(item).map_err(|e| match e {
            mpsc::error::TrySendError::Full(item) => TrySendError::Full(item),
            mpsc::error::TrySendError::Closed(item) => TrySendError::Closed(item),
        })
    }

    /// `true` once the batcher accepts no more items.
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncwise::{BatchConfig, Batcher};
    ///
    /// let (batcher, worker) =
    ///     Batcher::new(BatchConfig::new(1, Duration::ZERO), |_: asyncwise::Batch<u8>| async { Ok::<_, String>(()) });
    /// assert!(!batcher.is_closed());
    /// drop(worker);
    /// assert!(batcher.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
            || self
                .shutdown
                .as_ref()
                .is_some_and(|shutdown| shutdown.has_fired())
    }
}

/// What a batcher did, returned by [`BatchWorker::run`].
///
/// ```
/// let report = asyncwise::BatchReport::default();
/// assert_eq!(report.items_flushed + report.items_dead_lettered, 0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchReport {
    /// Items whose flush succeeded.
    pub items_flushed: u64,
    /// Successful flushes.
    pub batches_flushed: u64,
    /// Flush attempts that failed and were retried.
    pub flush_retries: u64,
    /// Items handed to the dead-letter callback (or, without one, reported
    /// as an error event).
    pub items_dead_lettered: u64,
    /// Batches handed to the dead-letter callback.
    pub batches_dead_lettered: u64,
}

/// Always a success: so that the worker can run as a task of a [`Shutdown`](crate::Shutdown)
/// or a [`TaskGroup`](crate::TaskGroup), as the crate docs suggest. A dead-lettered batch is
/// not a failure of the worker: the callback (or the `tracing` error event) has it, and the
/// report counts it.
///
/// ```
/// use std::time::Duration;
/// use asyncwise::{BatchConfig, Batcher, Shutdown};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let shutdown = Shutdown::with_deadline(Duration::from_secs(5));
/// let config = BatchConfig::new(100, Duration::from_secs(60)).cancel_on(shutdown.child_token());
/// let (batcher, worker) = Batcher::new(config, |_| async { Ok::<_, String>(()) });
/// let worker = shutdown.spawn("batcher", worker.run());
/// batcher.send(1).await.unwrap();
/// let report = shutdown.drain().await; // the token fires: the worker flushes and ends
/// assert!(report.is_clean());
/// assert_eq!(worker.await.unwrap().items_flushed, 1);
/// # }
/// ```
impl crate::TaskOutput for BatchReport {}

/// The receiving side of a [`Batcher`]: groups items and calls the flush
/// function. Does nothing until [`run`](Self::run) is awaited.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
/// use asyncwise::{BatchConfig, Batcher, RetryPolicy};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let config = BatchConfig::new(10, Duration::from_millis(5))
///     .retry(RetryPolicy::exponential(Duration::from_millis(1)).max_attempts(2));
/// let (batcher, worker) = Batcher::new(config, |_| async { Err("store down") });
/// let dead = Arc::new(Mutex::new(Vec::new()));
/// let sink = dead.clone();
/// let worker = worker.dead_letter(move |batch, _error| {
///     sink.lock().unwrap().extend(batch.iter().copied());
/// });
/// batcher.send(1).await.unwrap();
/// drop(batcher);
/// let report = worker.run().await;
/// assert_eq!(*dead.lock().unwrap(), [1]);
/// assert_eq!((report.flush_retries, report.items_dead_lettered), (1, 1));
/// # }
/// ```
#[must_use = "the batcher flushes nothing until `run` is awaited"]
pub struct BatchWorker<T, F, E> {
    config: BatchConfig,
    rx: mpsc::Receiver<T>,
    flush: F,
    dead_letter: Option<DeadLetterFn<T, E>>,
    report: BatchReport,
    /// The batch being gathered. A field, not a local of `run`, so that a
    /// dropped worker can still dead-letter it.
    pending: Vec<T>,
    /// The batch being flushed and the attempts started for it.
    in_flight: Option<(Batch<T>, u32)>,
    /// Where each batch's count of started attempts begins: 0, except in this module's tests,
    /// which start it next to `u32::MAX` to reach the saturation without 2^32 flushes.
    attempts_before_first: u32,
}

/// A worker dropped before it finished (its `run` future cancelled or
/// aborted, or never run) dead-letters what it had accepted: the batch in
/// flight, the batch being gathered and everything still queued, as
/// [`FlushError::Cancelled`]. After a normal end all of these are empty.
/// So `send` returning `Ok` keeps its promise even when the worker's task
/// is aborted (found by `testing::cancel_at_each_await`: before, a dropped
/// worker silently lost those items). A dead-letter callback that panics
/// here still gets every other batch; its first panic then unwinds out of
/// the drop, unless the drop runs during a panic (the worker's own `run`
/// unwinding), where it is only logged: a second panic would abort the
/// process.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
/// use asyncwise::{BatchConfig, Batcher, FlushError};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let dead = Arc::new(Mutex::new(Vec::new()));
/// let sink = Arc::clone(&dead);
/// let (batcher, worker) =
///     Batcher::new(BatchConfig::new(10, Duration::from_secs(1)), |_| async { Ok::<_, String>(()) });
/// let worker = worker.dead_letter(move |batch, error| {
///     assert!(matches!(error, FlushError::Cancelled { attempts: 0 }));
///     sink.lock().unwrap().extend(batch.iter().copied());
/// });
/// batcher.send(1).await.unwrap();
/// batcher.send(2).await.unwrap();
/// drop(worker); // never run: the accepted items are dead-lettered, not lost
/// assert_eq!(*dead.lock().unwrap(), [1, 2]);
/// # }
/// ```
impl<T, F, E> Drop for BatchWorker<T, F, E> {
    fn drop(&mut self) {
        self.rx.close();
        let mut left = std::mem::take(&mut self.pending);
        while let Ok(item) = self.rx.try_recv() {
            left.push(item);
        }
        let in_flight = self.in_flight.take();
        if left.is_empty() && in_flight.is_none() {
            return;
        }
        let batches = in_flight
            .into_iter()
            .chain((!left.is_empty()).then(|| (Batch::from(left), 0)));
        let mut first_panic = None;
        for (batch, attempts) in batches {
            let items = batch.len();
            match &mut self.dead_letter {
                Some(callback) => {
                    let offered = std::panic::catch_unwind(AssertUnwindSafe(|| {
                        callback(batch, FlushError::Cancelled { attempts });
                    }));
                    if let Err(payload) = offered {
                        tracing::error!(
                            items,
                            panic = %panic_text(payload.as_ref()),
                            "dead-letter callback panicked while the batch worker was dropped"
                        );
                        first_panic.get_or_insert(payload);
                    }
                }
                None => tracing::error!(
                    items,
                    "batch worker dropped with accepted items and no dead-letter callback is set"
                ),
            }
        }
        // Re-raised once every batch was offered; never while this drop runs
        // during a panic, where a second panic would abort the process.
        if let Some(payload) = first_panic
            && !std::thread::panicking()
        {
            std::panic::resume_unwind(payload);
        }
    }
}

impl<T, F, E> fmt::Debug for BatchWorker<T, F, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchWorker")
            .field("config", &self.config)
            .field("report", &self.report)
            .finish_non_exhaustive()
    }
}

impl<T, F, Fut, E> BatchWorker<T, F, E>
where
    F: FnMut(Batch<T>) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: fmt::Display,
{
    /// Hands batches whose flush still failed after the retries, or
    /// panicked, to `callback`. Without a callback they are reported as
    /// `tracing` error events and counted in the report. A callback that
    /// panics ends the worker (its `run` unwinds); the items it still held
    /// are then offered to the callback once more by its drop, as
    /// [`FlushError::Cancelled`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncwise::{BatchConfig, Batcher};
    ///
    /// let (_batcher, worker) =
    ///     Batcher::new(BatchConfig::new(1, Duration::ZERO), |_: asyncwise::Batch<u8>| async { Ok::<_, String>(()) });
    /// let _worker = worker.dead_letter(|batch, error| eprintln!("{} items lost: {error}", batch.len()));
    /// ```
    pub fn dead_letter(
        mut self,
        callback: impl FnMut(Batch<T>, FlushError<E>) + Send + 'static,
    ) -> Self {
        self.dead_letter = Some(Box::new(callback));
        self
    }

    /// Runs until every sender is gone or the shutdown token fires, then
    /// flushes every accepted item and returns what it did.
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncwise::{BatchConfig, Batcher};
    /// use tokio_util::sync::CancellationToken;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let token = CancellationToken::new();
    /// let config = BatchConfig::new(1_000, Duration::from_secs(60)).cancel_on(token.clone());
    /// let (batcher, worker) = Batcher::new(config, |_| async { Ok::<_, String>(()) });
    /// let worker = tokio::spawn(worker.run());
    /// batcher.send(1).await.unwrap();
    /// batcher.send(2).await.unwrap();
    /// token.cancel();
    /// let report = worker.await.unwrap();
    /// // Flushed at shutdown, long before the 60 s deadline.
    /// assert_eq!(report.items_flushed, 2);
    /// assert!(batcher.send(3).await.is_err());
    /// # }
    /// ```
    pub async fn run(mut self) -> BatchReport {
        let max_items = self.config.max_items;
        let max_delay = self.config.max_delay;
        let token = self.config.shutdown.clone();
        let shutdown = async move {
            match token {
                Some(token) => token.cancelled_owned().await,
                None => std::future::pending().await,
            }
        };
        let mut shutdown = pin!(shutdown);
        let mut draining = false;
        // One timer for the whole run, armed once per batch that does not
        // fill at once: moving a registered timer to a later deadline is an
        // atomic update, not a trip through the timer driver's lock.
        let mut deadline = pin!(tokio::time::sleep_until(deadline_after(max_delay)));
        self.pending = Vec::with_capacity(max_items.min(PREALLOCATE));
        loop {
            // Wait for the first item of a batch.
            let received = tokio::select! {
                biased;
                () = &mut shutdown, if !draining => {
                    self.start_draining(&mut draining);
                    continue;
                }
                n = self.rx.recv_many(&mut self.pending, max_items) => n,
            };
            if received == 0 {
                // Closed and empty: every sender is gone, or draining is done.
                break;
            }
            if self.pending.len() < max_items {
                deadline.as_mut().reset(deadline_after(max_delay));
            }
            while self.pending.len() < max_items {
                let limit = max_items - self.pending.len();
                let received = tokio::select! {
                    biased;
                    () = &mut deadline => break,
                    () = &mut shutdown, if !draining => {
                        self.start_draining(&mut draining);
                        continue;
                    }
                    n = self.rx.recv_many(&mut self.pending, limit) => n,
                };
                if received == 0 {
                    break;
                }
            }
            let items = std::mem::take(&mut self.pending);
            // The flushed batch's buffer is gathered into again unless the
            // flush function kept a handle to it.
            self.pending = self
                .flush_batch(items)
                .await
                .unwrap_or_else(|| Vec::with_capacity(max_items.min(PREALLOCATE)));
        }
        tracing::debug!(
            items_flushed = self.report.items_flushed,
            items_dead_lettered = self.report.items_dead_lettered,
            "batcher finished"
        );
        std::mem::take(&mut self.report)
    }

    fn start_draining(&mut self, draining: &mut bool) {
        *draining = true;
        // Senders now fail; everything already accepted stays receivable,
        // and `recv_many` returns 0 only once it is all taken.
        self.rx.close();
        tracing::debug!("batcher shutting down: draining accepted items");
    }

    /// Flushes `items` (retrying, then dead-lettering) and hands back their
    /// buffer, emptied, when nobody else holds the batch.
    async fn flush_batch(&mut self, items: Vec<T>) -> Option<Vec<T>> {
        let len = items.len() as u64;
        let batch = Batch::from(items);
        let flush = &mut self.flush;
        let retries = &mut self.report.flush_retries;
        let in_flight = self
            .in_flight
            .insert((batch.clone(), self.attempts_before_first));
        let result = retry(self.config.retry.clone(), || {
            // Stops at `u32::MAX`, like `retry`'s own count: a flush retried
            // without limit must not panic the worker (debug) or wrap (release).
            in_flight.1 = in_flight.1.saturating_add(1);
            // A panicking flush must not take the accepted items down with
            // the worker: it is caught and dead-lettered, whether the flush
            // function panics while building its future or the future
            // panics when polled.
            let attempt = std::panic::catch_unwind(AssertUnwindSafe(|| flush(batch.clone())));
            async move {
                let outcome = match attempt {
                    Ok(future) => AssertUnwindSafe(future).catch_unwind().await,
                    Err(payload) => Err(payload),
                };
                match outcome {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(error)) => Err(AttemptError::Failed(error)),
                    Err(payload) => Err(AttemptError::Panicked(panic_text(payload.as_ref()))),
                }
            }
        })
        .when(|error| matches!(error, AttemptError::Failed(_)))
        .notify(|error, delay| {
            *retries += 1;
            tracing::warn!(%error, ?delay, items = len, "batch flush failed; retrying");
        })
        .await;
        self.in_flight = None;
        let error = match result {
            Ok(()) => {
                self.report.items_flushed += len;
                self.report.batches_flushed += 1;
                return batch.try_into_vec().ok().map(|mut items| {
                    items.clear();
                    items
                });
            }
            Err(error) => {
                let attempts = error.attempts();
                // No cancellation token is given to `retry` here, so every
                // error carries the last attempt's outcome.
                match error.into_error() {
                    Some(AttemptError::Failed(error)) => FlushError::Failed { error, attempts },
                    Some(AttemptError::Panicked(message)) => {
                        FlushError::Panicked { message, attempts }
                    }
                    None => FlushError::Panicked {
                        message: "flush stopped without an outcome".to_owned(),
                        attempts,
                    },
                }
            }
        };
        self.report.items_dead_lettered += len;
        self.report.batches_dead_lettered += 1;
        match &mut self.dead_letter {
            Some(callback) => callback(batch, error),
            None => tracing::error!(
                %error,
                items = len,
                "batch flush failed for good and no dead-letter callback is set"
            ),
        }
        None
    }
}

/// `max_delay` from now on Tokio's clock, or a far-off instant when that
/// does not fit in an `Instant`.
fn deadline_after(max_delay: Duration) -> Instant {
    crate::instant_after(Instant::now(), max_delay)
}

/// Whether the batch's deadline has passed, read from the clock after each
/// item: an upstream that always has an item ready keeps the loop from ever
/// reaching the timer (and a coop-budgeted one is `Pending` only when the
/// timer has no budget left either), so the batch would fill by size only,
/// or never end. Right after the first item only a zero delay has passed;
/// an endless one never does (no clock read for either).
#[inline]
fn deadline_passed(first: bool, max_delay: Duration, deadline: Option<&Pin<Box<Sleep>>>) -> bool {
    if first || max_delay == Duration::MAX {
        return first && max_delay.is_zero();
    }
    deadline.is_some_and(|sleep| Instant::now() >= sleep.deadline())
}

/// Groups the items of a stream into `Vec`s: [`batched`](BatchedExt::batched).
///
/// ```
/// use std::time::Duration;
/// use asyncwise::BatchedExt;
/// use futures_util::StreamExt;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let batches: Vec<Vec<u32>> = futures_util::stream::iter(0..5)
///     .batched(2, Duration::from_secs(1))
///     .collect()
///     .await;
/// assert_eq!(batches, [vec![0, 1], vec![2, 3], vec![4]]);
/// # }
/// ```
pub trait BatchedExt: Stream + Sized {
    /// Yields a batch when it holds `max_items` items (0 is taken as 1), when
    /// `max_delay` has passed since its first item arrived (on Tokio's timer,
    /// so paused time controls it; `Duration::MAX` means no deadline), or
    /// when the stream ends with items waiting. Never yields an empty batch.
    /// The clock is also read after each item, so a stream that always has
    /// an item ready (never `Pending`, or a flooded channel that is only
    /// `Pending` when Tokio's cooperative budget runs out) still ends a
    /// batch with the first item that arrives once the delay has passed, and
    /// loses nothing at its end. `Duration::ZERO` has passed when the first
    /// item arrives: every batch is one item (`ready_chunks` groups what is
    /// ready at once). Under an endless delay, a stream that is never
    /// `Pending` keeps one poll going until the batch is full.
    ///
    /// Use it instead of `futures`' `ready_chunks` when a slow trickle of
    /// items must still be passed on within a bounded delay.
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncwise::BatchedExt;
    /// use futures_util::StreamExt;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let (tx, rx) = tokio::sync::mpsc::channel(8);
    /// let rx = futures_util::stream::unfold(rx, |mut rx| async { rx.recv().await.map(|v| (v, rx)) });
    /// let mut batches = std::pin::pin!(rx.batched(100, Duration::from_millis(10)));
    /// tx.send(1).await.unwrap();
    /// let started = tokio::time::Instant::now();
    /// assert_eq!(batches.next().await, Some(vec![1]));
    /// assert_eq!(started.elapsed(), Duration::from_millis(10));
    /// # }
    /// ```
    fn batched(self, max_items: usize, max_delay: Duration) -> Batched<Self> {
        let max_items = max_items.max(1);
        Batched {
            stream: self,
            max_items,
            max_delay,
            buf: Vec::new(),
            deadline: None,
            done: false,
        }
    }
}

impl<S: Stream> BatchedExt for S {}

pin_project! {
    /// The stream returned by [`BatchedExt::batched`]: `Vec`s of the
    /// upstream's items, never empty, in their order.
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncwise::{Batched, BatchedExt};
    /// use futures_util::StreamExt;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let mut batches: Batched<_> = futures_util::stream::iter(["a", "b", "c"])
    ///     .batched(2, Duration::from_secs(1));
    /// assert_eq!(batches.next().await, Some(vec!["a", "b"]));
    /// assert_eq!(batches.next().await, Some(vec!["c"])); // the end flushes what waits
    /// assert_eq!(batches.next().await, None);
    /// # }
    /// ```
    #[must_use = "streams do nothing unless polled"]
    pub struct Batched<S: Stream> {
        #[pin]
        stream: S,
        max_items: usize,
        max_delay: Duration,
        buf: Vec<S::Item>,
        // Allocated with the first batch and reset afterwards.
        deadline: Option<Pin<Box<Sleep>>>,
        done: bool,
    }
}

impl<S: Stream> fmt::Debug for Batched<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batched")
            .field("max_items", &self.max_items)
            .field("max_delay", &self.max_delay)
            .field("waiting", &self.buf.len())
            .finish_non_exhaustive()
    }
}

impl<S: Stream> Stream for Batched<S> {
    type Item = Vec<S::Item>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self.project();
        while !*this.done {
            match this.stream.as_mut().poll_next(cx) {
                Poll::Ready(Some(item)) => {
                    let first = this.buf.is_empty();
                    if first {
                        let at = deadline_after(*this.max_delay);
                        match this.deadline {
                            Some(sleep) => sleep.as_mut().reset(at),
                            None => *this.deadline = Some(Box::pin(tokio::time::sleep_until(at))),
                        }
                        this.buf.reserve((*this.max_items).min(PREALLOCATE));
                    }
                    this.buf.push(item);
                    if this.buf.len() >= *this.max_items
                        || deadline_passed(first, *this.max_delay, this.deadline.as_ref())
                    {
                        return Poll::Ready(Some(std::mem::take(this.buf)));
                    }
                }
                Poll::Ready(None) => *this.done = true,
                Poll::Pending => break,
            }
        }
        if this.buf.is_empty() {
            return if *this.done {
                Poll::Ready(None)
            } else {
                Poll::Pending
            };
        }
        if *this.done {
            return Poll::Ready(Some(std::mem::take(this.buf)));
        }
        let expired = this
            .deadline
            .as_mut()
            .is_some_and(|sleep| sleep.as_mut().poll(cx).is_ready());
        if expired {
            Poll::Ready(Some(std::mem::take(this.buf)))
        } else {
            Poll::Pending
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let (low, high) = self.stream.size_hint();
        let waiting = self.buf.len();
        let low = (low.saturating_add(waiting)).div_ceil(self.max_items);
        (low, high.and_then(|h| h.checked_add(waiting)))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::{BatchConfig, Batcher, FlushError};
    use crate::RetryPolicy;

    /// `FlushError::Cancelled`'s count of started attempts stops at `u32::MAX` ("at most
    /// `u32::MAX`") instead of wrapping to 0 or panicking in a debug build: the worker starts
    /// counting at `u32::MAX - 1`, two flushes fail, the third hangs and the worker is dropped.
    #[tokio::test(start_paused = true)]
    async fn started_attempts_saturate_at_u32_max() {
        let dead = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&dead);
        let calls = Arc::new(Mutex::new(0_u32));
        let counted = Arc::clone(&calls);
        let config = BatchConfig::new(1, Duration::ZERO)
            .retry(RetryPolicy::exponential(Duration::from_millis(1)).max_attempts(u32::MAX));
        let (batcher, mut worker) = Batcher::new(config, move |_: super::Batch<u8>| {
            let call = {
                let mut calls = counted.lock().unwrap();
                *calls += 1;
                *calls
            };
            async move {
                if call < 3 {
                    return Err("down");
                }
                std::future::pending::<()>().await;
                Ok(())
            }
        });
        worker.attempts_before_first = u32::MAX - 1;
        let worker = worker.dead_letter(move |batch, error| {
            sink.lock().unwrap().push((
                batch.to_vec(),
                error.attempts(),
                matches!(error, FlushError::Cancelled { .. }),
            ));
        });
        batcher.send(7).await.unwrap();
        let run = tokio::spawn(worker.run());
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(
            *calls.lock().unwrap(),
            3,
            "two failures, then the hanging attempt"
        );
        run.abort();
        let _ = run.await;
        assert_eq!(*dead.lock().unwrap(), [(vec![7], u32::MAX, true)]);
    }
}
