//! [`retry`] with a reusable [`RetryPolicy`]: exponential backoff with a
//! choice of jitter, a floor, and attempt and wall-clock budgets.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::time::{Instant, Sleep};
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

/// How a backoff delay is randomised.
///
/// `d` is the exponential ceiling of the attempt, `min(max_delay, initial *
/// factor^n)`, and `floor` the policy's [floor](RetryPolicy::floor) (never
/// above `max_delay`).
///
/// ```
/// use asyncwise::Jitter;
///
/// assert_eq!(Jitter::default(), Jitter::Full);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Jitter {
    /// Exactly `max(floor, d)`: every client retries in lock step. Use only
    /// when a single client retries.
    None,
    /// Uniform in `[floor, d]` (`[0, d]` with a zero floor): spreads the
    /// retries of clients that failed together over the whole interval.
    #[default]
    Full,
    /// Uniform in `[max(floor, d/2), d]`: keeps at least half of the
    /// exponential delay.
    Equal,
    /// "Decorrelated" jitter: uniform in `[max(floor, initial), min(max_delay,
    /// 3 * previous)]`, where `previous` starts at `initial`. Grows about as
    /// fast as the exponential schedule without depending on the attempt
    /// number.
    Decorrelated,
}

/// A reusable, cloneable backoff policy: when to retry, how long to wait, and
/// when to give up.
///
/// Delays grow exponentially from `initial` by `factor` up to `max_delay`, are
/// randomised by [`Jitter`] and never fall below `floor` (half of `initial`
/// unless set, so that the first retry is not close to zero unless you ask
/// for it with `floor(Duration::ZERO)`). Retrying stops after `max_attempts`
/// attempts in total (the first call counts) or when the next attempt would
/// start after `max_elapsed`, measured from the start of the first attempt
/// and therefore including the time the operation itself took.
///
/// Use a policy with [`retry`] instead of a hand-written `loop { match
/// op().await { .. } sleep(..) }`, which usually forgets jitter, a time
/// budget, cancellation during the sleep, or a server's Retry-After.
///
/// ```
/// use std::time::Duration;
/// use asyncwise::{Jitter, RetryPolicy};
///
/// let policy = RetryPolicy::exponential(Duration::from_millis(100))
///     .factor(2.0)
///     .max_delay(Duration::from_secs(5))
///     .jitter(Jitter::None)
///     .max_attempts(4)
///     .max_elapsed(Duration::from_secs(30));
/// let delays: Vec<_> = policy.delays().take(3).collect();
/// assert_eq!(delays, [100, 200, 400].map(Duration::from_millis));
/// assert_eq!(policy.get_max_attempts(), Some(4));
/// ```
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    initial: Duration,
    factor: f64,
    max_delay: Duration,
    floor: Option<Duration>,
    jitter: Jitter,
    max_attempts: Option<u32>,
    max_elapsed: Option<Duration>,
    seed: Option<u64>,
    clock: fn() -> Instant,
}

/// Equal when the schedules, limits and seeds are, and the clocks are the
/// same function (compared by address, so one function may compare unequal
/// to itself across codegen units: the policies then differ only in that).
impl PartialEq for RetryPolicy {
    fn eq(&self, other: &Self) -> bool {
        self.initial == other.initial
            && self.factor == other.factor
            && self.max_delay == other.max_delay
            && self.floor == other.floor
            && self.jitter == other.jitter
            && self.max_attempts == other.max_attempts
            && self.max_elapsed == other.max_elapsed
            && self.seed == other.seed
            && std::ptr::fn_addr_eq(self.clock, other.clock)
    }
}

impl Default for RetryPolicy {
    /// 100 ms doubling up to 10 s with full jitter and a 50 ms floor, at most
    /// 5 attempts, no time budget.
    ///
    /// ```
    /// let policy = asyncwise::RetryPolicy::default();
    /// assert_eq!(policy.get_max_attempts(), Some(5));
    /// ```
    fn default() -> Self {
        RetryPolicy::exponential(Duration::from_millis(100)).max_attempts(5)
    }
}

impl RetryPolicy {
    /// Exponential backoff from `initial`, doubling up to 10 s, with full
    /// jitter, floor `initial / 2` and no limits (set them).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let policy = asyncwise::RetryPolicy::exponential(Duration::from_millis(10));
    /// assert_eq!(policy.ceiling(0), Duration::from_millis(10));
    /// assert_eq!(policy.get_max_attempts(), None);
    /// ```
    pub fn exponential(initial: Duration) -> Self {
        RetryPolicy {
            initial,
            factor: 2.0,
            max_delay: Duration::from_secs(10).max(initial),
            floor: None,
            jitter: Jitter::Full,
            max_attempts: None,
            max_elapsed: None,
            seed: None,
            clock: Instant::now,
        }
    }

    /// Growth factor per attempt; values below 1 (and NaN) are taken as 1.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let policy = asyncwise::RetryPolicy::exponential(Duration::from_secs(1)).factor(3.0);
    /// assert_eq!(policy.ceiling(2), Duration::from_secs(9));
    /// ```
    pub fn factor(mut self, factor: f64) -> Self {
        self.factor = if factor >= 1.0 { factor } else { 1.0 };
        self
    }

    /// Upper bound of every delay computed from the schedule (a server's
    /// Retry-After may be longer). Raised to `initial` if below it.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let policy = asyncwise::RetryPolicy::exponential(Duration::from_secs(1))
    ///     .max_delay(Duration::from_secs(3));
    /// assert_eq!(policy.ceiling(10), Duration::from_secs(3));
    /// ```
    pub fn max_delay(mut self, max_delay: Duration) -> Self {
        self.max_delay = max_delay.max(self.initial);
        self
    }

    /// The smallest delay the schedule produces (capped at `max_delay`).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let policy = asyncwise::RetryPolicy::exponential(Duration::from_millis(100))
    ///     .floor(Duration::from_millis(80));
    /// assert!(policy.delays().take(100).all(|d| d >= Duration::from_millis(80)));
    /// ```
    pub fn floor(mut self, floor: Duration) -> Self {
        self.floor = Some(floor);
        self
    }

    /// How delays are randomised.
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncwise::{Jitter, RetryPolicy};
    ///
    /// let policy = RetryPolicy::exponential(Duration::from_millis(100)).jitter(Jitter::Equal);
    /// assert!(policy.delays().next().unwrap() >= Duration::from_millis(50));
    /// ```
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self
    }

    /// At most `attempts` calls in total, the first included (0 is taken as 1).
    ///
    /// ```
    /// let policy = asyncwise::RetryPolicy::default().max_attempts(3);
    /// assert_eq!(policy.get_max_attempts(), Some(3));
    /// ```
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts.max(1));
        self
    }

    /// No attempt starts later than `budget` after the first one started; the
    /// time the operation takes counts. A retry whose sleep ends past the
    /// budget (a timer may wake late) does not start either: `retry` gives
    /// up with [`RetryError::Exhausted`] and the last error. An attempt
    /// already running is not cut short (wrap the operation in
    /// `tokio::time::timeout` for that).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let policy = asyncwise::RetryPolicy::default().max_elapsed(Duration::from_secs(10));
    /// assert_eq!(policy.get_max_elapsed(), Some(Duration::from_secs(10)));
    /// ```
    pub fn max_elapsed(mut self, budget: Duration) -> Self {
        self.max_elapsed = Some(budget);
        self
    }

    /// Seeds the jitter generator, making every schedule of this policy
    /// reproducible (for tests).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let policy = asyncwise::RetryPolicy::exponential(Duration::from_millis(10)).seed(7);
    /// assert!(policy.delays().take(5).eq(policy.delays().take(5)));
    /// ```
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// The clock the time budget ([`max_elapsed`](Self::max_elapsed)) is
    /// measured with; Tokio's `Instant::now` unless set, which paused time
    /// controls. It is read only when a time budget is set: once when the
    /// first attempt starts, and twice for each retry (when its delay is
    /// chosen, and when the sleep ends, since a timer may wake late). The
    /// delays themselves always sleep on Tokio's timer. Useful to count or fake
    /// the budget's clock reads in tests.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU32, Ordering};
    /// use std::time::Duration;
    /// use asyncwise::{retry, RetryPolicy};
    ///
    /// static READS: AtomicU32 = AtomicU32::new(0);
    /// fn counting_clock() -> tokio::time::Instant {
    ///     READS.fetch_add(1, Ordering::Relaxed);
    ///     tokio::time::Instant::now()
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let policy = RetryPolicy::default().clock(counting_clock);
    /// retry(policy.clone(), || async { Ok::<_, ()>(()) }).await.unwrap();
    /// assert_eq!(READS.load(Ordering::Relaxed), 0, "no budget, no clock");
    /// let budgeted = policy.max_elapsed(Duration::from_secs(1));
    /// retry(budgeted, || async { Ok::<_, ()>(()) }).await.unwrap();
    /// assert_eq!(READS.load(Ordering::Relaxed), 1, "the first attempt's start");
    /// # }
    /// ```
    pub fn clock(mut self, now: fn() -> Instant) -> Self {
        self.clock = now;
        self
    }

    /// The configured attempt limit, if any.
    ///
    /// ```
    /// assert_eq!(asyncwise::RetryPolicy::default().get_max_attempts(), Some(5));
    /// ```
    pub fn get_max_attempts(&self) -> Option<u32> {
        self.max_attempts
    }

    /// The configured wall-clock budget, if any.
    ///
    /// ```
    /// assert_eq!(asyncwise::RetryPolicy::default().get_max_elapsed(), None);
    /// ```
    pub fn get_max_elapsed(&self) -> Option<Duration> {
        self.max_elapsed
    }

    /// The largest delay the schedule can produce.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let policy = asyncwise::RetryPolicy::exponential(Duration::from_secs(1));
    /// assert_eq!(policy.get_max_delay(), Duration::from_secs(10));
    /// ```
    pub fn get_max_delay(&self) -> Duration {
        self.max_delay
    }

    /// The effective floor: the configured one (or `initial / 2`), capped at
    /// `max_delay`.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let policy = asyncwise::RetryPolicy::exponential(Duration::from_millis(100));
    /// assert_eq!(policy.get_floor(), Duration::from_millis(50));
    /// ```
    pub fn get_floor(&self) -> Duration {
        self.floor.unwrap_or(self.initial / 2).min(self.max_delay)
    }

    /// The exponential ceiling before jitter for the `attempt`-th delay
    /// (counting from 0): `min(max_delay, initial * factor^attempt)`.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let policy = asyncwise::RetryPolicy::exponential(Duration::from_millis(100));
    /// assert_eq!(policy.ceiling(3), Duration::from_millis(800));
    /// assert_eq!(policy.ceiling(u32::MAX), Duration::from_secs(10));
    /// ```
    pub fn ceiling(&self, attempt: u32) -> Duration {
        // `initial <= max_delay` always (both setters keep it). Zero stays zero: the float
        // product below would make `0 * inf` NaN, read as `max_delay`.
        if self.initial.is_zero() || attempt == 0 || self.factor == 1.0 {
            return self.initial;
        }
        // A whole factor (`Backoff`'s 2 among them) multiplies exactly, to the nanosecond;
        // each step at least doubles, so the loop ends within 95 steps.
        if self.factor.fract() == 0.0 && self.factor <= f64::from(u32::MAX) {
            let factor = self.factor as u32;
            let mut delay = self.initial;
            for _ in 0..attempt {
                match delay.checked_mul(factor) {
                    Some(next) if next < self.max_delay => delay = next,
                    _ => return self.max_delay,
                }
            }
            return delay;
        }
        let exponent = i32::try_from(attempt).unwrap_or(i32::MAX);
        let secs = self.initial.as_secs_f64() * self.factor.powi(exponent);
        if secs.is_finite() && secs < self.max_delay.as_secs_f64() {
            Duration::from_secs_f64(secs).min(self.max_delay)
        } else {
            self.max_delay
        }
    }

    /// A fresh sequence of delays following this policy (endless; the
    /// attempt and time budgets are applied by [`retry`], not here). Seeded
    /// from [`seed`](Self::seed) if set, otherwise from entropy.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let policy = asyncwise::RetryPolicy::exponential(Duration::from_millis(100));
    /// let mut delays = policy.delays();
    /// assert!(delays.next_delay() <= Duration::from_millis(100));
    /// assert!(delays.next_delay() <= Duration::from_millis(200));
    /// delays.reset();
    /// assert_eq!(delays.attempt(), 0);
    /// ```
    pub fn delays(&self) -> RetryDelays {
        let rng = match self.seed {
            Some(seed) => fastrand::Rng::with_seed(seed),
            None => fastrand::Rng::new(),
        };
        RetryDelays {
            policy: self.clone(),
            attempt: 0,
            previous: self.initial,
            rng,
        }
    }
}

/// The state of one backoff sequence: the attempt number, the previous
/// delay (for decorrelated jitter) and the jitter generator. An endless
/// [`Iterator`] of delays.
///
/// Long-running loops (a supervisor restarting a child) keep one and call
/// [`reset`](Self::reset) after a stable run.
///
/// ```
/// use std::time::Duration;
/// use asyncwise::{Jitter, RetryPolicy};
///
/// let policy = RetryPolicy::exponential(Duration::from_secs(1)).jitter(Jitter::None);
/// let mut delays = policy.delays();
/// assert_eq!(delays.next_delay(), Duration::from_secs(1));
/// assert_eq!(delays.next_delay(), Duration::from_secs(2));
/// delays.reset();
/// assert_eq!(delays.next_delay(), Duration::from_secs(1));
/// ```
#[derive(Debug, Clone)]
pub struct RetryDelays {
    policy: RetryPolicy,
    attempt: u32,
    previous: Duration,
    rng: fastrand::Rng,
}

impl RetryDelays {
    /// Draws the next delay and advances the attempt counter.
    ///
    /// ```
    /// let mut delays = asyncwise::RetryPolicy::default().delays();
    /// assert!(delays.next_delay() <= asyncwise::RetryPolicy::default().ceiling(0));
    /// ```
    pub fn next_delay(&mut self) -> Duration {
        let policy = &self.policy;
        let floor = policy.get_floor();
        let ceiling = policy.ceiling(self.attempt);
        self.attempt = self.attempt.saturating_add(1);
        let delay = match policy.jitter {
            Jitter::None => ceiling.max(floor),
            Jitter::Full => uniform(&mut self.rng, floor, ceiling),
            Jitter::Equal => uniform(&mut self.rng, floor.max(ceiling / 2), ceiling),
            Jitter::Decorrelated => {
                let low = floor.max(policy.initial).min(policy.max_delay);
                let high = self
                    .previous
                    .checked_mul(3)
                    .unwrap_or(policy.max_delay)
                    .min(policy.max_delay);
                uniform(&mut self.rng, low, high)
            }
        };
        self.previous = delay;
        delay
    }

    /// Starts the schedule again from the first delay (the generator
    /// continues).
    ///
    /// ```
    /// let mut delays = asyncwise::RetryPolicy::default().delays();
    /// delays.next_delay();
    /// delays.reset();
    /// assert_eq!(delays.attempt(), 0);
    /// ```
    pub fn reset(&mut self) {
        self.attempt = 0;
        self.previous = self.policy.initial;
    }

    /// How many delays were drawn since the start or the last reset.
    ///
    /// ```
    /// assert_eq!(asyncwise::RetryPolicy::default().delays().attempt(), 0);
    /// ```
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The policy this schedule follows.
    ///
    /// ```
    /// let policy = asyncwise::RetryPolicy::default();
    /// assert_eq!(policy.delays().policy(), &policy);
    /// ```
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }
}

impl Iterator for RetryDelays {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        Some(self.next_delay())
    }
}

/// Uniform in `[low, high]`; `low` when the range is empty.
fn uniform(rng: &mut fastrand::Rng, low: Duration, high: Duration) -> Duration {
    if high <= low {
        return low;
    }
    match (
        u64::try_from(low.as_nanos()),
        u64::try_from(high.as_nanos()),
    ) {
        (Ok(low_nanos), Ok(high_nanos)) => Duration::from_nanos(rng.u64(low_nanos..=high_nanos)),
        // Past about 584 years the nanoseconds need 128 bits; capping them at `u64::MAX` made
        // a delay of `exponential(Duration::MAX)` fall below its own floor. Drawn separately so
        // that seeded schedules of ordinary policies keep their values.
        _ => {
            let nanos = rng.u128(low.as_nanos()..=high.as_nanos());
            let secs = u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX);
            let subsec = u32::try_from(nanos % 1_000_000_000).unwrap_or(0);
            Duration::new(secs, subsec)
        }
    }
}

/// Why [`retry`] gave up.
///
/// ```
/// use asyncwise::RetryError;
///
/// let err: RetryError<&str> = RetryError::Exhausted { error: "503", attempts: 3 };
/// assert_eq!(err.to_string(), "gave up after 3 attempt(s): 503");
/// assert_eq!(err.attempts(), 3);
/// assert_eq!(err.into_error(), Some("503"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RetryError<E> {
    /// The last error was classified as not worth retrying by
    /// [`Retry::when`].
    #[error("permanent error after {attempts} attempt(s): {error}")]
    Permanent {
        /// The error.
        error: E,
        /// Attempts made, this one included.
        attempts: u32,
    },
    /// The attempt limit or the time budget was reached.
    #[error("gave up after {attempts} attempt(s): {error}")]
    Exhausted {
        /// The last error.
        error: E,
        /// Attempts made.
        attempts: u32,
    },
    /// The cancellation token fired; the attempt in flight, if any, was
    /// dropped.
    #[error("cancelled after {attempts} attempt(s)")]
    Cancelled {
        /// The error of the last finished attempt, if one failed.
        last_error: Option<E>,
        /// Attempts started.
        attempts: u32,
    },
}

impl<E> RetryError<E> {
    /// The operation's last error, if an attempt finished.
    ///
    /// ```
    /// use asyncwise::RetryError;
    ///
    /// let err: RetryError<u8> = RetryError::Cancelled { last_error: None, attempts: 1 };
    /// assert_eq!(err.into_error(), None);
    /// ```
    pub fn into_error(self) -> Option<E> {
        match self {
            RetryError::Permanent { error, .. } | RetryError::Exhausted { error, .. } => {
                Some(error)
            }
            RetryError::Cancelled { last_error, .. } => last_error,
        }
    }

    /// How many attempts were started. The count stops at `u32::MAX`: a
    /// retry without an attempt limit goes on past it (no overflow, no
    /// panic) and reports `u32::MAX`.
    ///
    /// ```
    /// use asyncwise::RetryError;
    ///
    /// assert_eq!(RetryError::Permanent { error: (), attempts: 2 }.attempts(), 2);
    /// ```
    pub fn attempts(&self) -> u32 {
        match self {
            RetryError::Permanent { attempts, .. }
            | RetryError::Exhausted { attempts, .. }
            | RetryError::Cancelled { attempts, .. } => *attempts,
        }
    }

    /// `true` when retrying stopped because of cancellation.
    ///
    /// ```
    /// use asyncwise::RetryError;
    ///
    /// assert!(RetryError::<()>::Cancelled { last_error: None, attempts: 0 }.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self, RetryError::Cancelled { .. })
    }
}

type DefaultWhen<E> = fn(&E) -> bool;
type DefaultNotify<E> = fn(&E, Duration);
type DefaultAfter<E> = fn(&E) -> Option<Duration>;

/// Calls `op` until it succeeds, following `policy`.
///
/// Returns a [`Retry`] builder: refine it with [`when`](Retry::when),
/// [`notify`](Retry::notify), [`retry_after`](Retry::retry_after) and
/// [`cancel_on`](Retry::cancel_on), then `.await` it. On the first-try
/// success path it allocates nothing, reads no clock (unless a time budget is
/// set) and draws no random number.
///
/// A panic of `op`, of the future it returns or of one of the closures is
/// not an error to retry: it unwinds into the task that awaits the retry.
/// Every retry sleeps on Tokio's timer, even for a zero delay, so a loop of
/// zero delays still lets the runtime's other tasks run (the sleep takes
/// part in Tokio's cooperative budget).
///
/// ```
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::time::Duration;
/// use asyncwise::{retry, RetryPolicy};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let calls = AtomicU32::new(0);
/// let policy = RetryPolicy::exponential(Duration::from_millis(100)).max_attempts(5).seed(1);
/// let started = tokio::time::Instant::now();
/// let value = retry(policy, || async {
///     if calls.fetch_add(1, Ordering::Relaxed) < 2 { Err("busy") } else { Ok(42) }
/// })
/// .when(|e| *e == "busy")
/// .await;
/// assert_eq!(value, Ok(42));
/// assert_eq!(calls.load(Ordering::Relaxed), 3);
/// // Two sleeps, each within [floor, ceiling]: at most 100 ms + 200 ms.
/// assert!(started.elapsed() <= Duration::from_millis(300));
/// # }
/// ```
pub fn retry<Op, Fut, T, E>(
    policy: RetryPolicy,
    op: Op,
) -> Retry<Op, E, DefaultWhen<E>, DefaultNotify<E>, DefaultAfter<E>>
where
    Op: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    Retry {
        policy,
        op,
        when: |_| true,
        notify: |_, _| {},
        after: |_| None,
        cancel: None,
        error: PhantomData,
    }
}

/// A retry loop being configured; `.await` it to run. Created by [`retry`].
///
/// ```
/// use std::time::Duration;
/// use asyncwise::{retry, RetryError, RetryPolicy};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let policy = RetryPolicy::exponential(Duration::from_millis(10)).max_attempts(3);
/// let mut notified = Vec::new();
/// let result: Result<(), _> = retry(policy, || async { Err("down") })
///     .notify(|e, delay| notified.push((*e, delay)))
///     .await;
/// assert_eq!(result, Err(RetryError::Exhausted { error: "down", attempts: 3 }));
/// assert_eq!(notified.len(), 2);
/// # }
/// ```
#[must_use = "a retry does nothing until awaited"]
pub struct Retry<Op, E, When, Notify, After> {
    policy: RetryPolicy,
    op: Op,
    when: When,
    notify: Notify,
    after: After,
    cancel: Option<CancellationToken>,
    error: PhantomData<fn(&E)>,
}

impl<Op, E, When, Notify, After> fmt::Debug for Retry<Op, E, When, Notify, After> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Retry")
            .field("policy", &self.policy)
            .field("cancel", &self.cancel)
            .finish_non_exhaustive()
    }
}

impl<Op, E, When, Notify, After> Retry<Op, E, When, Notify, After> {
    /// Retries only errors for which `transient` returns `true`; any other
    /// error ends the loop with [`RetryError::Permanent`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncwise::{retry, RetryError, RetryPolicy};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let result: Result<(), _> = retry(RetryPolicy::default(), || async { Err(404) })
    ///     .when(|status| *status >= 500)
    ///     .await;
    /// assert_eq!(result, Err(RetryError::Permanent { error: 404, attempts: 1 }));
    /// # }
    /// ```
    pub fn when<W>(self, transient: W) -> Retry<Op, E, W, Notify, After>
    where
        W: FnMut(&E) -> bool,
    {
        Retry {
            policy: self.policy,
            op: self.op,
            when: transient,
            notify: self.notify,
            after: self.after,
            cancel: self.cancel,
            error: PhantomData,
        }
    }

    /// Calls `notify(error, delay)` before each sleep (for logging or
    /// metrics).
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncwise::{retry, RetryPolicy, Jitter};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let policy = RetryPolicy::exponential(Duration::from_secs(1)).jitter(Jitter::None).max_attempts(3);
    /// let mut delays = Vec::new();
    /// let _ = retry(policy, || async { Err::<(), _>("x") })
    ///     .notify(|_, delay| delays.push(delay))
    ///     .await;
    /// assert_eq!(delays, [Duration::from_secs(1), Duration::from_secs(2)]);
    /// # }
    /// ```
    pub fn notify<N>(self, notify: N) -> Retry<Op, E, When, N, After>
    where
        N: FnMut(&E, Duration),
    {
        Retry {
            policy: self.policy,
            op: self.op,
            when: self.when,
            notify,
            after: self.after,
            cancel: self.cancel,
            error: PhantomData,
        }
    }

    /// Lets an error say how long to wait (a server's Retry-After). When
    /// `hint` returns `Some(d)`, the next delay is exactly `d` instead of the
    /// schedule's (it may exceed `max_delay`; the time budget still applies).
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncwise::{retry, RetryPolicy};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let mut first = true;
    /// let started = tokio::time::Instant::now();
    /// let result = retry(RetryPolicy::default(), || {
    ///     let fail = std::mem::take(&mut first);
    ///     async move { if fail { Err(Duration::from_secs(30)) } else { Ok("done") } }
    /// })
    /// .retry_after(|wait: &Duration| Some(*wait))
    /// .await;
    /// assert_eq!(result, Ok("done"));
    /// assert_eq!(started.elapsed(), Duration::from_secs(30));
    /// # }
    /// ```
    pub fn retry_after<A>(self, hint: A) -> Retry<Op, E, When, Notify, A>
    where
        A: FnMut(&E) -> Option<Duration>,
    {
        Retry {
            policy: self.policy,
            op: self.op,
            when: self.when,
            notify: self.notify,
            after: hint,
            cancel: self.cancel,
            error: PhantomData,
        }
    }

    /// Stops retrying as soon as `token` is cancelled, also in the middle of
    /// a sleep or of an attempt (which is dropped), with
    /// [`RetryError::Cancelled`]. Pass a child of
    /// [`Shutdown::child_token`](crate::Shutdown::child_token) to stop with
    /// the service.
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncwise::{retry, RetryPolicy};
    /// use tokio_util::sync::CancellationToken;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let token = CancellationToken::new();
    /// let canceller = token.clone();
    /// tokio::spawn(async move {
    ///     tokio::time::sleep(Duration::from_millis(150)).await;
    ///     canceller.cancel();
    /// });
    /// let policy = RetryPolicy::exponential(Duration::from_secs(60));
    /// let started = tokio::time::Instant::now();
    /// let result = retry(policy, || async { Err::<(), _>("down") }).cancel_on(token).await;
    /// assert!(result.unwrap_err().is_cancelled());
    /// assert_eq!(started.elapsed(), Duration::from_millis(150));
    /// # }
    /// ```
    pub fn cancel_on(mut self, token: CancellationToken) -> Self {
        self.cancel = Some(token);
        self
    }
}

impl<Op, Fut, T, E, When, Notify, After> IntoFuture for Retry<Op, E, When, Notify, After>
where
    Op: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    When: FnMut(&E) -> bool,
    Notify: FnMut(&E, Duration),
    After: FnMut(&E) -> Option<Duration>,
{
    type Output = Result<T, RetryError<E>>;
    type IntoFuture = RetryFuture<Op, Fut, E, When, Notify, After>;

    fn into_future(self) -> Self::IntoFuture {
        RetryFuture {
            policy: self.policy,
            op: self.op,
            when: self.when,
            notify: self.notify,
            after: self.after,
            cancel: self.cancel,
            delays: None,
            started: None,
            attempts: 0,
            last_error: None,
            cancelled: None,
            state: State::Idle,
        }
    }
}

pin_project! {
    #[project = StateProj]
    enum State<Fut> {
        Idle,
        Running { #[pin] fut: Fut },
        Sleeping { #[pin] sleep: Sleep },
    }
}

pin_project! {
    /// The future of an awaited [`Retry`] (its [`IntoFuture`] output):
    /// dropping it drops the attempt in flight or the sleep, and starts no
    /// further attempt.
    ///
    /// ```
    /// use std::future::IntoFuture;
    /// use std::time::Duration;
    /// use asyncwise::{RetryError, RetryFuture, RetryPolicy, retry};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let policy = RetryPolicy::exponential(Duration::from_secs(1)).max_attempts(2);
    /// let future: RetryFuture<_, _, _, _, _, _> = retry(policy, || async { Err::<(), _>("down") })
    ///     .into_future();
    /// assert_eq!(future.await, Err(RetryError::Exhausted { error: "down", attempts: 2 }));
    /// # }
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct RetryFuture<Op, Fut, E, When, Notify, After> {
        policy: RetryPolicy,
        op: Op,
        when: When,
        notify: Notify,
        after: After,
        cancel: Option<CancellationToken>,
        // Created on the first failure so that a first-try success draws no
        // random number.
        delays: Option<RetryDelays>,
        started: Option<Instant>,
        attempts: u32,
        last_error: Option<E>,
        // Created on the first `Pending`, only when there is a token.
        #[pin]
        cancelled: Option<WaitForCancellationFutureOwned>,
        #[pin]
        state: State<Fut>,
    }
}

impl<Op, Fut, E, When, Notify, After> fmt::Debug for RetryFuture<Op, Fut, E, When, Notify, After> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryFuture")
            .field("policy", &self.policy)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

impl<Op, Fut, T, E, When, Notify, After> Future for RetryFuture<Op, Fut, E, When, Notify, After>
where
    Op: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    When: FnMut(&E) -> bool,
    Notify: FnMut(&E, Duration),
    After: FnMut(&E) -> Option<Duration>,
{
    type Output = Result<T, RetryError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            match this.state.as_mut().project() {
                StateProj::Idle => {
                    if this.cancel.as_ref().is_some_and(|t| t.is_cancelled()) {
                        return Poll::Ready(Err(RetryError::Cancelled {
                            last_error: this.last_error.take(),
                            attempts: *this.attempts,
                        }));
                    }
                    if *this.attempts == 0 && this.policy.max_elapsed.is_some() {
                        *this.started = Some((this.policy.clock)());
                    }
                    // Saturates: a loop with no attempt limit may outlive `u32::MAX` tries, and
                    // the count must not overflow (a panic in a debug build).
                    *this.attempts = this.attempts.saturating_add(1);
                    let fut = (this.op)();
                    this.state.set(State::Running { fut });
                }
                StateProj::Running { fut } => {
                    let result = match fut.poll(cx) {
                        Poll::Ready(result) => result,
                        Poll::Pending => {
                            ready!(poll_cancel(this.cancel, this.cancelled.as_mut(), cx));
                            this.state.set(State::Idle);
                            return Poll::Ready(Err(RetryError::Cancelled {
                                last_error: this.last_error.take(),
                                attempts: *this.attempts,
                            }));
                        }
                    };
                    let error = match result {
                        Ok(value) => return Poll::Ready(Ok(value)),
                        Err(error) => error,
                    };
                    this.state.set(State::Idle);
                    let attempts = *this.attempts;
                    if !(this.when)(&error) {
                        return Poll::Ready(Err(RetryError::Permanent { error, attempts }));
                    }
                    if this.policy.max_attempts.is_some_and(|max| attempts >= max) {
                        return Poll::Ready(Err(RetryError::Exhausted { error, attempts }));
                    }
                    let delay = match (this.after)(&error) {
                        Some(hint) => hint,
                        None => this
                            .delays
                            .get_or_insert_with(|| this.policy.delays())
                            .next_delay(),
                    };
                    if let (Some(budget), Some(started)) = (this.policy.max_elapsed, *this.started)
                    {
                        // The next attempt would start after the budget.
                        let elapsed = (this.policy.clock)().saturating_duration_since(started);
                        if elapsed.saturating_add(delay) > budget {
                            return Poll::Ready(Err(RetryError::Exhausted { error, attempts }));
                        }
                    }
                    (this.notify)(&error, delay);
                    *this.last_error = Some(error);
                    this.state.set(State::Sleeping {
                        sleep: tokio::time::sleep(delay),
                    });
                }
                StateProj::Sleeping { sleep } => {
                    if sleep.poll(cx).is_pending() {
                        ready!(poll_cancel(this.cancel, this.cancelled.as_mut(), cx));
                        this.state.set(State::Idle);
                        return Poll::Ready(Err(RetryError::Cancelled {
                            last_error: this.last_error.take(),
                            attempts: *this.attempts,
                        }));
                    }
                    this.state.set(State::Idle);
                    // The timer may wake later than the delay it was given
                    // (Tokio rounds up to the millisecond; a busy runtime
                    // polls late): the budget is checked again before the
                    // next attempt starts.
                    if let (Some(budget), Some(started)) = (this.policy.max_elapsed, *this.started)
                        && (this.policy.clock)().saturating_duration_since(started) > budget
                        && let Some(error) = this.last_error.take()
                    {
                        return Poll::Ready(Err(RetryError::Exhausted {
                            error,
                            attempts: *this.attempts,
                        }));
                    }
                }
            }
        }
    }
}

/// `Ready` when the token (if any) has fired; registers the waker otherwise.
fn poll_cancel(
    token: &Option<CancellationToken>,
    mut cancelled: Pin<&mut Option<WaitForCancellationFutureOwned>>,
    cx: &mut Context<'_>,
) -> Poll<()> {
    let Some(token) = token else {
        return Poll::Pending;
    };
    if cancelled.is_none() {
        cancelled.set(Some(token.clone().cancelled_owned()));
    }
    match cancelled.as_pin_mut() {
        Some(fut) => fut.poll(cx),
        None => Poll::Pending,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decorrelated_starts_at_initial_and_stays_capped() {
        let policy = RetryPolicy::exponential(Duration::from_millis(100))
            .max_delay(Duration::from_secs(2))
            .jitter(Jitter::Decorrelated)
            .seed(3);
        let delays: Vec<_> = policy.delays().take(1000).collect();
        assert!(delays[0] >= Duration::from_millis(100));
        assert!(delays[0] <= Duration::from_millis(300));
        assert!(delays.iter().all(|d| *d <= Duration::from_secs(2)));
        // It does reach the cap region eventually.
        assert!(delays.iter().any(|d| *d > Duration::from_millis(1500)));
    }

    /// No attempt limit and `u32::MAX` attempts already made: the count stays at `u32::MAX`
    /// (it would overflow on the next `+ 1`) and the loop still retries until it succeeds.
    #[tokio::test(start_paused = true)]
    async fn the_attempt_count_saturates_instead_of_overflowing() {
        use std::future::IntoFuture;
        let mut left = 2;
        let policy = RetryPolicy::exponential(Duration::from_millis(1));
        assert_eq!(policy.get_max_attempts(), None);
        let mut fut = retry(policy, move || {
            left -= 1;
            std::future::ready(if left > 0 { Err("busy") } else { Ok(left) })
        })
        .into_future();
        fut.attempts = u32::MAX - 1;
        let mut fut = Box::pin(fut);
        assert_eq!(fut.as_mut().await, Ok(0));
        assert_eq!(fut.attempts, u32::MAX);
    }

    #[test]
    fn huge_factor_saturates_at_max_delay() {
        let policy = RetryPolicy::exponential(Duration::from_secs(1)).factor(1e300);
        assert_eq!(policy.ceiling(5), policy.get_max_delay());
        let nan = RetryPolicy::exponential(Duration::from_secs(1)).factor(f64::NAN);
        assert_eq!(nan.ceiling(5), Duration::from_secs(1));
    }
}
