//! Bounded-concurrency pipeline stages over a [`Stream`]:
//! [`map_concurrent`](PipelineExt::map_concurrent).

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use pin_project_lite::pin_project;
use tokio::time::Sleep;

/// Why one item of a [`MapConcurrent`] stage produced no value.
///
/// ```
/// use std::time::Duration;
/// use asyncwise::{StageError, StageErrorKind};
///
/// let err: StageError<String> = StageError { index: 4, kind: StageErrorKind::TimedOut(Duration::from_secs(1)) };
/// assert_eq!(err.to_string(), "item 4 timed out after 1s");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("item {index} {kind}")]
pub struct StageError<E> {
    /// Position of the item in the input stream, from 0.
    pub index: u64,
    /// What went wrong.
    pub kind: StageErrorKind<E>,
}

/// What went wrong with one item; see [`StageError`].
///
/// ```
/// use asyncwise::StageErrorKind;
///
/// assert_eq!(StageErrorKind::Failed("bad input").to_string(), "failed: bad input");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StageErrorKind<E> {
    /// The stage function returned this error.
    #[error("failed: {0}")]
    Failed(E),
    /// The item took longer than the per-item timeout and was dropped.
    #[error("timed out after {0:?}")]
    TimedOut(Duration),
}

type DeadLetterSink<E> = Box<dyn FnMut(StageError<E>) + Send>;

/// What a stage does with an item that failed or timed out.
///
/// ```
/// use asyncwise::OnError;
///
/// let policy: OnError<String> = OnError::dead_letter(|err| eprintln!("{err}"));
/// assert!(matches!(policy, OnError::DeadLetter(_)));
/// assert!(matches!(OnError::<String>::default(), OnError::Stop));
/// ```
#[derive(Default)]
#[non_exhaustive]
pub enum OnError<E> {
    /// Yield the error, then end the stream (items in flight are dropped).
    #[default]
    Stop,
    /// Drop the item and go on; a `tracing` debug event records the item's
    /// index (not the error: `E` need not be printable).
    Skip,
    /// Hand the error to the sink and go on.
    DeadLetter(DeadLetterSink<E>),
}

impl<E> OnError<E> {
    /// [`OnError::DeadLetter`] with `sink`.
    ///
    /// ```
    /// let policy = asyncwise::OnError::<u8>::dead_letter(|_| {});
    /// # let _ = policy;
    /// ```
    pub fn dead_letter(sink: impl FnMut(StageError<E>) + Send + 'static) -> Self {
        OnError::DeadLetter(Box::new(sink))
    }
}

impl<E> fmt::Debug for OnError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OnError::Stop => "Stop",
            OnError::Skip => "Skip",
            OnError::DeadLetter(_) => "DeadLetter(..)",
        })
    }
}

/// Bounded-concurrency stages for any [`Stream`].
///
/// ```
/// use asyncwise::PipelineExt;
/// use futures_util::StreamExt;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let doubled: Vec<_> = futures_util::stream::iter(1..=4)
///     .map_concurrent(2, |n| async move { Ok::<_, String>(n * 2) })
///     .ordered()
///     .collect()
///     .await;
/// assert_eq!(doubled, [Ok(2), Ok(4), Ok(6), Ok(8)]);
/// # }
/// ```
pub trait PipelineExt: Stream + Sized {
    /// Runs `f` on up to `limit` items at once (0 is taken as 1) and yields
    /// `Ok(value)` or, under [`OnError::Stop`] (the default), the first
    /// [`StageError`], boxed: the error path is the rare one, and a box keeps
    /// each item as small as `f`'s own result, which the consumer moves on
    /// every item. Output is in completion order unless
    /// [`ordered`](MapConcurrent::ordered) is set.
    ///
    /// Backpressure is end to end: the stage pulls an input item only when
    /// it is polled and holds fewer than `limit` items, counting both
    /// running items and (when ordered) finished ones waiting for an
    /// earlier item, so a slow consumer slows the producer and the stage
    /// never holds more than `limit` items.
    ///
    /// Use it instead of `futures`' `buffer_unordered` / `buffered` when
    /// you need a per-item timeout, an error policy, or the position of a
    /// failed item.
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncwise::{OnError, PipelineExt};
    /// use futures_util::StreamExt;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let results: Vec<u64> = futures_util::stream::iter(0..6_u64)
    ///     .map_concurrent(3, |n| async move {
    ///         tokio::time::sleep(Duration::from_secs(n)).await;
    ///         if n == 1 { Err("bad item") } else { Ok(n) }
    ///     })
    ///     .item_timeout(Duration::from_millis(4_500))
    ///     .on_error(OnError::Skip)
    ///     .filter_map(|r| async move { r.ok() })
    ///     .collect()
    ///     .await;
    /// // Item 1 failed and item 5 timed out; both were skipped.
    /// assert_eq!(results, [0, 2, 3, 4]);
    /// # }
    /// ```
    fn map_concurrent<F, Fut, U, E>(self, limit: usize, f: F) -> MapConcurrent<Self, F, Fut, U, E>
    where
        F: FnMut(Self::Item) -> Fut,
        Fut: Future<Output = Result<U, E>>,
    {
        MapConcurrent {
            upstream: self,
            f,
            limit: limit.max(1),
            held: 0,
            ordered: false,
            timeout: None,
            on_error: OnError::Stop,
            running: FuturesUnordered::new(),
            timed: None,
            finished: BTreeMap::new(),
            next_index: 0,
            next_out: 0,
            upstream_done: false,
            in_poll: false,
        }
    }
}

impl<S: Stream> PipelineExt for S {}

pin_project! {
    /// The stream returned by [`PipelineExt::map_concurrent`].
    ///
    /// Dropping it drops the items it holds (running, or finished and
    /// waiting for an earlier one): their futures are dropped with it and
    /// nothing keeps running, and nothing reports them. A panic of `f`, of
    /// an item's future, of an [`OnError::DeadLetter`] sink or of the
    /// upstream stream is not caught:
    /// it unwinds out of the consumer's poll. A consumer that catches it
    /// and polls again gets the end of the stream (the items still held are
    /// dropped then).
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncwise::{MapConcurrent, PipelineExt};
    /// use futures_util::StreamExt;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// // Unordered by default: the quicker item comes out first.
    /// let stage: MapConcurrent<_, _, _, _, String> = futures_util::stream::iter([300_u64, 100])
    ///     .map_concurrent(2, |ms| async move {
    ///         tokio::time::sleep(Duration::from_millis(ms)).await;
    ///         Ok(ms)
    ///     });
    /// let started = tokio::time::Instant::now();
    /// let out: Vec<_> = stage.collect().await;
    /// assert_eq!(out, [Ok(100), Ok(300)]);
    /// assert_eq!(started.elapsed(), Duration::from_millis(300)); // both ran at once
    /// # }
    /// ```
    #[must_use = "streams do nothing unless polled"]
    #[project = MapConcurrentProj]
    pub struct MapConcurrent<S, F, Fut, U, E> {
        #[pin]
        upstream: S,
        f: F,
        limit: usize,
        // Items taken from upstream and not yet yielded or handed to the
        // error policy: running ones plus `finished`.
        held: usize,
        ordered: bool,
        timeout: Option<Duration>,
        on_error: OnError<E>,
        // Items started without a per-item timeout: they carry no timer.
        running: FuturesUnordered<Indexed<Fut>>,
        // Items started with one, each with its timer inline (one allocation
        // per item); created by the first such item.
        timed: Option<FuturesUnordered<Timed<Fut>>>,
        // Ordered mode: finished items waiting for an earlier one.
        finished: BTreeMap<u64, Result<U, Box<StageError<E>>>>,
        next_index: u64,
        next_out: u64,
        // Set when upstream ended and when the stage stopped on an error.
        upstream_done: bool,
        // Set for the duration of a poll: still set at the next poll only if
        // the last one unwound (a panic of `f`, an item or the sink).
        in_poll: bool,
    }
}

impl<S, F, Fut, U, E> fmt::Debug for MapConcurrent<S, F, Fut, U, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MapConcurrent")
            .field("limit", &self.limit)
            .field("ordered", &self.ordered)
            .field("timeout", &self.timeout)
            .field("on_error", &self.on_error)
            .field("held", &self.held())
            .finish_non_exhaustive()
    }
}

impl<S, F, Fut, U, E> MapConcurrent<S, F, Fut, U, E> {
    /// Yields results in input order. A slow item then holds back finished
    /// later ones, which still count against the limit. On a stage already
    /// polled, the order applies to the items taken from this call on; items
    /// started before it come out as they finish.
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncwise::PipelineExt;
    /// use futures_util::StreamExt;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let out: Vec<_> = futures_util::stream::iter([3_u64, 1, 2])
    ///     .map_concurrent(3, |n| async move {
    ///         tokio::time::sleep(Duration::from_secs(n)).await;
    ///         Ok::<_, String>(n)
    ///     })
    ///     .ordered()
    ///     .map(Result::unwrap)
    ///     .collect()
    ///     .await;
    /// assert_eq!(out, [3, 1, 2]);
    /// # }
    /// ```
    pub fn ordered(mut self) -> Self {
        if !self.ordered {
            // Unordered results already yielded never advanced `next_out`: the order
            // starts at the next item taken, or the stage would wait for one already out.
            self.next_out = self.next_index;
        }
        self.ordered = true;
        self
    }

    /// Gives up on an item after `limit` (the future is dropped) and treats
    /// it as a [`StageErrorKind::TimedOut`] error under the error policy.
    /// Items started before this call (on a stage already polled) keep
    /// running under the terms they started with: without a timeout, or
    /// with the earlier one (which their error then reports). Without a timeout an item carries no
    /// timer at all.
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncwise::{PipelineExt, StageErrorKind};
    /// use futures_util::StreamExt;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let mut out = std::pin::pin!(futures_util::stream::iter([1])
    ///     .map_concurrent(1, |_| std::future::pending::<Result<(), String>>())
    ///     .item_timeout(Duration::from_secs(2)));
    /// let err = out.next().await.unwrap().unwrap_err();
    /// assert_eq!(err.kind, StageErrorKind::TimedOut(Duration::from_secs(2)));
    /// # }
    /// ```
    pub fn item_timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    /// What to do with an item that failed or timed out (default
    /// [`OnError::Stop`]).
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use asyncwise::{OnError, PipelineExt};
    /// use futures_util::StreamExt;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let dead = Arc::new(Mutex::new(Vec::new()));
    /// let sink = dead.clone();
    /// let ok: Vec<_> = futures_util::stream::iter(0..4)
    ///     .map_concurrent(2, |n| async move { if n % 2 == 0 { Ok(n) } else { Err(n) } })
    ///     .ordered()
    ///     .on_error(OnError::dead_letter(move |err| sink.lock().unwrap().push(err.index)))
    ///     .collect()
    ///     .await;
    /// assert_eq!(ok, [Ok(0), Ok(2)]);
    /// assert_eq!(*dead.lock().unwrap(), [1, 3]);
    /// # }
    /// ```
    pub fn on_error(mut self, policy: OnError<E>) -> Self {
        self.on_error = policy;
        self
    }

    /// Items taken from upstream and not yet yielded or handed to the error
    /// policy; never more than the limit.
    ///
    /// ```
    /// use asyncwise::PipelineExt;
    ///
    /// let stage = futures_util::stream::iter(0..3)
    ///     .map_concurrent(2, |n| async move { Ok::<_, String>(n) });
    /// assert_eq!(stage.held(), 0);
    /// ```
    pub fn held(&self) -> usize {
        self.held
    }
}

/// How one item ended.
enum Outcome<U, E> {
    Value(U),
    Failed(E),
    /// After the timeout the item was started under.
    TimedOut(Duration),
}

impl<U, E> Outcome<U, E> {
    #[inline]
    fn into_result(self, index: u64) -> Result<U, Box<StageError<E>>> {
        match self {
            Outcome::Value(value) => Ok(value),
            Outcome::Failed(error) => Err(Box::new(StageError {
                index,
                kind: StageErrorKind::Failed(error),
            })),
            Outcome::TimedOut(limit) => Err(Box::new(StageError {
                index,
                kind: StageErrorKind::TimedOut(limit),
            })),
        }
    }
}

impl<S, F, Fut, U, E> Stream for MapConcurrent<S, F, Fut, U, E>
where
    S: Stream,
    F: FnMut(S::Item) -> Fut,
    Fut: Future<Output = Result<U, E>>,
{
    type Item = Result<U, Box<StageError<E>>>;

    #[inline]
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self.project();
        if *this.in_poll {
            return poll_after_unwind(&mut this);
        }
        *this.in_poll = true;
        let polled = poll_stage(&mut this, cx);
        *this.in_poll = false;
        polled
    }
}

/// The previous poll unwound: the item (or sink) that panicked is gone and
/// its place in the limit and the order with it, so the stage ends, as under
/// [`OnError::Stop`], instead of waiting for an item that will never come.
#[cold]
fn poll_after_unwind<S, F, Fut, U, E>(
    this: &mut MapConcurrentProj<'_, S, F, Fut, U, E>,
) -> Poll<Option<StageResult<U, E>>> {
    halt(this);
    Poll::Ready(None)
}

/// What a stage yields per item: its output or the error that stopped it.
type StageResult<U, E> = Result<U, Box<StageError<E>>>;

/// [`stop`] on the stage's projected state: nothing more is read from upstream, and what is
/// held or running is dropped.
fn halt<S, F, Fut, U, E>(this: &mut MapConcurrentProj<'_, S, F, Fut, U, E>) {
    stop(
        this.upstream_done,
        this.held,
        this.running,
        this.timed,
        this.finished,
    );
}

/// One poll of the stage (see [`MapConcurrent`]'s `poll_next`).
#[inline]
fn poll_stage<S, F, Fut, U, E>(
    this: &mut MapConcurrentProj<'_, S, F, Fut, U, E>,
    cx: &mut Context<'_>,
) -> Poll<Option<StageResult<U, E>>>
where
    S: Stream,
    F: FnMut(S::Item) -> Fut,
    Fut: Future<Output = Result<U, E>>,
{
    if !*this.ordered && this.timeout.is_none() && this.timed.is_none() {
        return poll_unordered_untimed(
            this.upstream.as_mut(),
            &mut *this.f,
            *this.limit,
            &mut *this.held,
            &mut *this.running,
            &mut *this.next_index,
            &mut *this.upstream_done,
            &mut *this.on_error,
            &mut *this.finished,
            &mut *this.timed,
            cx,
        );
    }
    loop {
        // Pull only while there is room: this is the backpressure.
        while *this.held < *this.limit && !*this.upstream_done {
            match this.upstream.as_mut().poll_next(cx) {
                Poll::Ready(Some(input)) => {
                    let index = *this.next_index;
                    *this.next_index += 1;
                    *this.held += 1;
                    let fut = (this.f)(input);
                    match *this.timeout {
                        None => this.running.push(Indexed { index, fut }),
                        Some(limit) => {
                            this.timed
                                .get_or_insert_with(FuturesUnordered::new)
                                .push(Timed {
                                    index,
                                    fut,
                                    limit,
                                    deadline: tokio::time::sleep(limit),
                                })
                        }
                    }
                }
                Poll::Ready(None) => *this.upstream_done = true,
                Poll::Pending => break,
            }
        }
        if *this.ordered
            && let Some(result) = this.finished.remove(this.next_out)
        {
            *this.next_out += 1;
            *this.held -= 1;
            match result {
                Ok(value) => return Poll::Ready(Some(Ok(value))),
                Err(error) => match settle_error(this, error) {
                    Some(stopped) => return stopped,
                    None => continue,
                },
            }
        }
        let (index, outcome) = match poll_finished(this.running, this.timed, cx) {
            Poll::Ready(Some(done)) => done,
            // Nothing running. In ordered mode `finished` is empty here
            // too: its head would have been the next to run.
            Poll::Ready(None) if *this.upstream_done => return Poll::Ready(None),
            // Upstream returned Pending above and will wake us.
            Poll::Ready(None) | Poll::Pending => return Poll::Pending,
        };
        if *this.ordered {
            if index > *this.next_out {
                let result = outcome.into_result(index);
                this.finished.insert(index, result);
                continue;
            }
            // Below `next_out`: started before `ordered()` was called, yielded as it
            // finishes.
            if index == *this.next_out {
                *this.next_out += 1;
            }
        }
        *this.held -= 1;
        // The common case first: a success goes straight out, without
        // the error policy.
        let error = match outcome.into_result(index) {
            Ok(value) => return Poll::Ready(Some(Ok(value))),
            Err(error) => error,
        };
        if let Some(stopped) = settle_error(this, error) {
            return stopped;
        }
    }
}

/// Hands a failed or timed-out item to the error policy. Under
/// [`OnError::Stop`] the stage stops and the poll's answer (the error) comes
/// back; under the other policies `None`, and the stage goes on.
#[cold]
fn settle_error<S, F, Fut, U, E>(
    this: &mut MapConcurrentProj<'_, S, F, Fut, U, E>,
    error: Box<StageError<E>>,
) -> Option<Poll<Option<StageResult<U, E>>>> {
    let error = apply_policy(error, this.on_error)?;
    halt(this);
    Some(Poll::Ready(Some(Err(error))))
}

/// `poll_next` for the common configuration, unordered and without a
/// per-item timeout: the same steps without the branches for ordering and
/// timers (as lean per item as `buffer_unordered`).
#[inline]
#[allow(clippy::too_many_arguments)]
fn poll_unordered_untimed<S, F, Fut, U, E>(
    mut upstream: Pin<&mut S>,
    f: &mut F,
    limit: usize,
    held: &mut usize,
    running: &mut FuturesUnordered<Indexed<Fut>>,
    next_index: &mut u64,
    upstream_done: &mut bool,
    on_error: &mut OnError<E>,
    finished: &mut BTreeMap<u64, Result<U, Box<StageError<E>>>>,
    timed: &mut Option<FuturesUnordered<Timed<Fut>>>,
    cx: &mut Context<'_>,
) -> Poll<Option<StageResult<U, E>>>
where
    S: Stream,
    F: FnMut(S::Item) -> Fut,
    Fut: Future<Output = Result<U, E>>,
{
    loop {
        // Pull only while there is room: this is the backpressure.
        while *held < limit && !*upstream_done {
            match upstream.as_mut().poll_next(cx) {
                Poll::Ready(Some(input)) => {
                    let index = *next_index;
                    *next_index += 1;
                    *held += 1;
                    let fut = f(input);
                    running.push(Indexed { index, fut });
                }
                Poll::Ready(None) => *upstream_done = true,
                Poll::Pending => break,
            }
        }
        let (index, error) = match running.poll_next_unpin(cx) {
            Poll::Ready(Some((_, Ok(value)))) => {
                *held -= 1;
                return Poll::Ready(Some(Ok(value)));
            }
            Poll::Ready(Some((index, Err(error)))) => (index, error),
            Poll::Ready(None) if *upstream_done => return Poll::Ready(None),
            // Upstream returned Pending above and will wake us.
            Poll::Ready(None) | Poll::Pending => return Poll::Pending,
        };
        *held -= 1;
        let error = Box::new(StageError {
            index,
            kind: StageErrorKind::Failed(error),
        });
        if let Some(error) = apply_policy(error, on_error) {
            stop(upstream_done, held, running, timed, finished);
            return Poll::Ready(Some(Err(error)));
        }
    }
}

/// Polls the running items, untimed and timed, for one that has ended.
#[inline]
fn poll_finished<Fut, U, E>(
    running: &mut FuturesUnordered<Indexed<Fut>>,
    timed: &mut Option<FuturesUnordered<Timed<Fut>>>,
    cx: &mut Context<'_>,
) -> Poll<Option<(u64, Outcome<U, E>)>>
where
    Fut: Future<Output = Result<U, E>>,
{
    let Some(timed) = timed else {
        return match running.poll_next_unpin(cx) {
            Poll::Ready(Some((index, Ok(value)))) => {
                Poll::Ready(Some((index, Outcome::Value(value))))
            }
            Poll::Ready(Some((index, Err(error)))) => {
                Poll::Ready(Some((index, Outcome::Failed(error))))
            }
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        };
    };
    let timed_poll = match timed.poll_next_unpin(cx) {
        Poll::Ready(Some((index, output))) => {
            let outcome = match output {
                Ok(Ok(value)) => Outcome::Value(value),
                Ok(Err(error)) => Outcome::Failed(error),
                Err(limit) => Outcome::TimedOut(limit),
            };
            return Poll::Ready(Some((index, outcome)));
        }
        other => other,
    };
    // Untimed items are left only when the timeout was set after the stage
    // had started items.
    if running.is_empty() {
        return if timed_poll.is_ready() {
            Poll::Ready(None)
        } else {
            Poll::Pending
        };
    }
    match running.poll_next_unpin(cx) {
        Poll::Ready(Some((index, Ok(value)))) => Poll::Ready(Some((index, Outcome::Value(value)))),
        Poll::Ready(Some((index, Err(error)))) => {
            Poll::Ready(Some((index, Outcome::Failed(error))))
        }
        Poll::Ready(None) | Poll::Pending => Poll::Pending,
    }
}

/// Under [`OnError::Stop`], after the error was yielded: nothing more runs
/// or comes out.
#[cold]
fn stop<Fut, T>(
    upstream_done: &mut bool,
    held: &mut usize,
    running: &mut FuturesUnordered<Indexed<Fut>>,
    timed: &mut Option<FuturesUnordered<Timed<Fut>>>,
    finished: &mut BTreeMap<u64, T>,
) {
    // Upstream is not polled again, and with nothing held the next poll
    // ends the stream.
    *upstream_done = true;
    *held = 0;
    running.clear();
    if let Some(timed) = timed.as_mut() {
        timed.clear();
    }
    finished.clear();
}

/// Applies the error policy to a failed or timed-out item; the error comes
/// back only under [`OnError::Stop`], to be yielded before the stage stops.
#[cold]
fn apply_policy<E>(
    error: Box<StageError<E>>,
    on_error: &mut OnError<E>,
) -> Option<Box<StageError<E>>> {
    match on_error {
        OnError::Stop => Some(error),
        OnError::Skip => {
            tracing::debug!(index = error.index, "pipeline item skipped after an error");
            None
        }
        OnError::DeadLetter(sink) => {
            sink(*error);
            None
        }
    }
}

pin_project! {
    /// One item in flight without a timeout, with its input position.
    struct Indexed<Fut> {
        index: u64,
        #[pin]
        fut: Fut,
    }
}

impl<Fut: Future> Future for Indexed<Fut> {
    type Output = (u64, Fut::Output);

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        match this.fut.poll(cx) {
            Poll::Ready(output) => Poll::Ready((*this.index, output)),
            Poll::Pending => Poll::Pending,
        }
    }
}

pin_project! {
    /// One item in flight with a per-item timeout: its position, the
    /// timeout it was started under (reported if it passes, even when the
    /// stage's timeout changed since) and its deadline.
    struct Timed<Fut> {
        index: u64,
        #[pin]
        fut: Fut,
        limit: Duration,
        #[pin]
        deadline: Sleep,
    }
}

impl<Fut: Future> Future for Timed<Fut> {
    /// `Err` with the timeout when the deadline passed first.
    type Output = (u64, Result<Fut::Output, Duration>);

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(output) = this.fut.poll(cx) {
            return Poll::Ready((*this.index, Ok(output)));
        }
        match this.deadline.poll(cx) {
            Poll::Ready(()) => Poll::Ready((*this.index, Err(*this.limit))),
            Poll::Pending => Poll::Pending,
        }
    }
}
