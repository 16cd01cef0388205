//! [`CircuitBreaker`]: stop calling a dependency that keeps failing, and
//! probe it with a bounded number of trial calls before trusting it again.

use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::retry::{RetryDelays, RetryPolicy};

#[cfg(feature = "tower")]
mod tower;
#[cfg(feature = "tower")]
pub use tower::{CircuitBreakerLayer, CircuitBreakerService, ResponseFuture};

/// The three states of a [`CircuitBreaker`].
///
/// ```
/// assert_eq!(asyncwise::BreakerState::HalfOpen.to_string(), "half-open");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BreakerState {
    /// Calls go through; outcomes are counted.
    Closed,
    /// Calls are rejected without running until the open duration passes.
    Open,
    /// A fixed number of trial calls go through; the rest are rejected until
    /// the trials finish.
    HalfOpen,
}

impl fmt::Display for BreakerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half-open",
        })
    }
}

/// A state transition, passed to the
/// [`on_state_change`](BreakerBuilder::on_state_change) callback.
///
/// ```
/// use asyncwise::{BreakerState, StateChange};
///
/// let change = StateChange { name: "db".into(), from: BreakerState::Closed, to: BreakerState::Open, open_for: None };
/// assert_eq!(change.to, BreakerState::Open);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateChange {
    /// The breaker's name.
    pub name: String,
    /// The state before.
    pub from: BreakerState,
    /// The state after.
    pub to: BreakerState,
    /// For a transition to [`BreakerState::Open`]: how long it stays open.
    pub open_for: Option<Duration>,
}

/// The sliding window over which the failure rate is computed.
///
/// ```
/// use std::time::Duration;
/// use asyncwise::Window;
///
/// let by_count = Window::Calls(100);
/// let by_time = Window::Time(Duration::from_secs(30));
/// assert_ne!(by_count, by_time);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// The last `n` calls (0 is taken as 1, more than 65 536 as 65 536: the
    /// window keeps one flag per call).
    Calls(u32),
    /// Calls that finished within the last `d` (at least 10 ms; shorter
    /// windows are raised to it), in ten buckets of `d / 10` (so a call is
    /// forgotten between `0.9 d` and `d` after it finished).
    Time(Duration),
}

/// Why [`CircuitBreaker::call`] did not return the operation's value.
///
/// ```
/// use std::time::Duration;
/// use asyncwise::BreakerError;
///
/// let open: BreakerError<String> = BreakerError::Open { retry_in: Duration::from_secs(3) };
/// assert!(open.is_open());
/// assert_eq!(open.to_string(), "circuit breaker is open; retry in 3s");
/// assert_eq!(BreakerError::Inner("timeout").into_inner(), Some("timeout"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BreakerError<E> {
    /// The call was rejected without running: the breaker is open, or
    /// half-open with every trial slot taken (then `retry_in` is zero).
    #[error("circuit breaker is open; retry in {retry_in:?}")]
    Open {
        /// Time until the breaker admits a trial call.
        retry_in: Duration,
    },
    /// The operation ran and failed with this error.
    #[error("{0}")]
    Inner(E),
}

impl<E> BreakerError<E> {
    /// `true` when the call was rejected without running.
    ///
    /// ```
    /// assert!(!asyncwise::BreakerError::Inner(1).is_open());
    /// ```
    pub fn is_open(&self) -> bool {
        matches!(self, BreakerError::Open { .. })
    }

    /// The operation's error, if it ran.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let err = asyncwise::BreakerError::<u8>::Open { retry_in: Duration::ZERO };
    /// assert_eq!(err.into_inner(), None);
    /// ```
    pub fn into_inner(self) -> Option<E> {
        match self {
            BreakerError::Open { .. } => None,
            BreakerError::Inner(error) => Some(error),
        }
    }
}

type Listener = Box<dyn Fn(&StateChange) + Send + Sync>;

/// Configures a [`CircuitBreaker`]; from [`CircuitBreaker::builder`].
///
/// Without any trip condition the breaker opens after 5 consecutive
/// failures. Both conditions can be set; either trips the breaker.
///
/// ```
/// use std::time::Duration;
/// use asyncwise::{CircuitBreaker, RetryPolicy, Window};
///
/// let breaker = CircuitBreaker::builder()
///     .name("payments")
///     .consecutive_failures(10)
///     .failure_rate(0.5, Window::Time(Duration::from_secs(30)), 20)
///     .open_for(Duration::from_secs(5))
///     .open_backoff(RetryPolicy::exponential(Duration::from_secs(5)).max_delay(Duration::from_secs(120)))
///     .half_open_trials(3)
///     .on_state_change(|change| eprintln!("{}: {} -> {}", change.name, change.from, change.to))
///     .build();
/// assert_eq!(breaker.state(), asyncwise::BreakerState::Closed);
/// ```
#[must_use = "call `build` to get a breaker"]
pub struct BreakerBuilder {
    name: String,
    consecutive: Option<u32>,
    rate: Option<(f64, Window, u32)>,
    open_for: Duration,
    open_backoff: Option<RetryPolicy>,
    trials: u32,
    listener: Option<Listener>,
}

impl fmt::Debug for BreakerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BreakerBuilder")
            .field("name", &self.name)
            .field("consecutive", &self.consecutive)
            .field("rate", &self.rate)
            .field("open_for", &self.open_for)
            .field("trials", &self.trials)
            .finish_non_exhaustive()
    }
}

impl BreakerBuilder {
    /// A name for events and the callback (default `"circuit-breaker"`).
    ///
    /// ```
    /// let breaker = asyncwise::CircuitBreaker::builder().name("db").build();
    /// assert_eq!(breaker.name(), "db");
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Opens after `failures` failures in a row (0 is taken as 1; `u32::MAX`
    /// is reached, not passed: the counts of the breaker never wrap).
    ///
    /// ```
    /// let breaker = asyncwise::CircuitBreaker::builder().consecutive_failures(3).build();
    /// # let _ = breaker;
    /// ```
    pub fn consecutive_failures(mut self, failures: u32) -> Self {
        self.consecutive = Some(failures.max(1));
        self
    }

    /// Opens when a call fails and, counting it, at least `min_calls` calls
    /// (0 is taken as 1) are in `window` and the share of failures among
    /// them is at least `threshold` (clamped to 0..=1; NaN is 1). A
    /// [`Window::Calls`] of 0 is taken as 1 and one above 65 536 as 65 536;
    /// a [`Window::Time`] under 10 ms as 10 ms. A `Window::Calls(n)` with
    /// `n` below `min_calls` never holds `min_calls` calls, so the rate then
    /// never trips the breaker (it is not raised for you: say which you
    /// meant).
    ///
    /// ```
    /// use asyncwise::{CircuitBreaker, Window};
    ///
    /// let breaker = CircuitBreaker::builder().failure_rate(0.5, Window::Calls(100), 10).build();
    /// # let _ = breaker;
    /// ```
    pub fn failure_rate(mut self, threshold: f64, window: Window, min_calls: u32) -> Self {
        let threshold = if threshold.is_nan() {
            1.0
        } else {
            threshold.clamp(0.0, 1.0)
        };
        let window = match window {
            Window::Calls(n) => Window::Calls(n.clamp(1, MAX_WINDOW_CALLS)),
            Window::Time(d) => Window::Time(d.max(Duration::from_millis(10))),
        };
        self.rate = Some((threshold, window, min_calls.max(1)));
        self
    }

    /// How long the breaker stays open before admitting trial calls
    /// (default 30 s). `Duration::MAX` keeps it open (any duration past
    /// about 30 years is taken as 30 years, also from
    /// [`open_backoff`](Self::open_backoff)).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let breaker = asyncwise::CircuitBreaker::builder().open_for(Duration::from_secs(1)).build();
    /// # let _ = breaker;
    /// ```
    pub fn open_for(mut self, duration: Duration) -> Self {
        self.open_for = duration;
        self
    }

    /// Makes successive open durations follow `policy` (its delays, with its
    /// jitter) while the dependency keeps failing its trials; the schedule
    /// starts again once the breaker closes. Replaces
    /// [`open_for`](Self::open_for), whether that is called before or
    /// after this.
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncwise::{CircuitBreaker, Jitter, RetryPolicy};
    ///
    /// let breaker = CircuitBreaker::builder()
    ///     .open_backoff(RetryPolicy::exponential(Duration::from_secs(1)).jitter(Jitter::None))
    ///     .build();
    /// # let _ = breaker;
    /// ```
    pub fn open_backoff(mut self, policy: RetryPolicy) -> Self {
        self.open_backoff = Some(policy);
        self
    }

    /// How many trial calls half-open admits (default 1, 0 is taken as 1, up
    /// to `u32::MAX`); all of them must succeed to close the breaker, one
    /// failure reopens it.
    ///
    /// ```
    /// let breaker = asyncwise::CircuitBreaker::builder().half_open_trials(3).build();
    /// # let _ = breaker;
    /// ```
    pub fn half_open_trials(mut self, trials: u32) -> Self {
        self.trials = trials.max(1);
        self
    }

    /// Calls `listener` on every state change, outside the breaker's lock.
    /// Changes are also `tracing` events (warn when opening, info otherwise).
    /// A listener that panics unwinds into the call that made the change
    /// (the call that opened or closed the breaker, or the first trial,
    /// whose operation then does not run); the breaker's state stays as
    /// the change left it, and a trial that unwound frees its slot.
    ///
    /// ```
    /// let breaker = asyncwise::CircuitBreaker::builder()
    ///     .on_state_change(|change| println!("now {}", change.to))
    ///     .build();
    /// # let _ = breaker;
    /// ```
    pub fn on_state_change(
        mut self,
        listener: impl Fn(&StateChange) + Send + Sync + 'static,
    ) -> Self {
        self.listener = Some(Box::new(listener));
        self
    }

    /// Builds the breaker, closed.
    ///
    /// ```
    /// let breaker = asyncwise::CircuitBreaker::builder().build();
    /// assert_eq!(breaker.state(), asyncwise::BreakerState::Closed);
    /// ```
    pub fn build(self) -> CircuitBreaker {
        let consecutive = match (self.consecutive, &self.rate) {
            (None, None) => Some(5),
            (consecutive, _) => consecutive,
        };
        let window = self.rate.map(|(_, window, _)| Counter::new(window));
        let machine = Machine {
            phase: Phase::Closed,
            generation: 0,
            consecutive_failures: 0,
            window,
            open_delays: self.open_backoff.as_ref().map(RetryPolicy::delays),
        };
        CircuitBreaker {
            inner: Arc::new(Inner {
                name: self.name,
                consecutive,
                rate: self.rate.map(|(threshold, _, min)| (threshold, min)),
                open_for: self.open_for,
                trials: self.trials,
                listener: self.listener,
                machine: Mutex::new(machine),
            }),
        }
    }
}

/// A circuit breaker: closed, open or half-open; cheap to clone and share
/// across tasks (clones share one state).
///
/// Use it around calls to a dependency that can fail for a while (a
/// database, a remote service) instead of letting every request wait for a
/// timeout and add load to a service that is already down: once the breaker
/// trips, calls fail at once with [`BreakerError::Open`] without running,
/// and after the open duration a fixed number of trial calls decide whether
/// to close again. Combine it with [`retry`](crate::retry) by retrying
/// *outside* the breaker and treating `Open` as permanent, or by using its
/// `retry_in` as the Retry-After.
///
/// ```
/// use std::time::Duration;
/// use asyncwise::{BreakerError, BreakerState, CircuitBreaker};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let breaker = CircuitBreaker::builder()
///     .consecutive_failures(2)
///     .open_for(Duration::from_secs(10))
///     .build();
/// for _ in 0..2 {
///     let _ = breaker.call(async { Err::<(), _>("refused") }).await;
/// }
/// assert_eq!(breaker.state(), BreakerState::Open);
/// let mut ran = false;
/// let rejected = breaker.call(async { ran = true; Ok::<_, &str>(()) }).await;
/// assert_eq!(rejected, Err(BreakerError::Open { retry_in: Duration::from_secs(10) }));
/// assert!(!ran, "an open breaker does not run the future");
///
/// tokio::time::sleep(Duration::from_secs(10)).await;
/// assert_eq!(breaker.call(async { Ok::<_, &str>(7) }).await, Ok(7));
/// assert_eq!(breaker.state(), BreakerState::Closed);
/// # }
/// ```
#[derive(Clone)]
pub struct CircuitBreaker {
    inner: Arc<Inner>,
}

struct Inner {
    name: String,
    consecutive: Option<u32>,
    rate: Option<(f64, u32)>,
    open_for: Duration,
    trials: u32,
    listener: Option<Listener>,
    machine: Mutex<Machine>,
}

struct Machine {
    phase: Phase,
    /// Incremented on every transition, so that outcomes of calls admitted
    /// in an earlier phase are ignored.
    generation: u64,
    consecutive_failures: u32,
    window: Option<Counter>,
    open_delays: Option<RetryDelays>,
}

#[derive(Debug, Clone, Copy)]
enum Phase {
    Closed,
    Open { until: Instant },
    HalfOpen { admitted: u32, succeeded: u32 },
}

impl Phase {
    fn state(self) -> BreakerState {
        match self {
            Phase::Closed => BreakerState::Closed,
            Phase::Open { .. } => BreakerState::Open,
            Phase::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }
}

impl fmt::Debug for CircuitBreaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("name", &self.inner.name)
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

impl Default for CircuitBreaker {
    /// Opens after 5 consecutive failures for 30 s, one trial call.
    ///
    /// ```
    /// let breaker = asyncwise::CircuitBreaker::default();
    /// assert_eq!(breaker.state(), asyncwise::BreakerState::Closed);
    /// ```
    fn default() -> Self {
        CircuitBreaker::builder().build()
    }
}

impl CircuitBreaker {
    /// Starts configuring a breaker.
    ///
    /// ```
    /// let breaker = asyncwise::CircuitBreaker::builder().consecutive_failures(3).build();
    /// # let _ = breaker;
    /// ```
    pub fn builder() -> BreakerBuilder {
        BreakerBuilder {
            name: "circuit-breaker".into(),
            consecutive: None,
            rate: None,
            open_for: Duration::from_secs(30),
            open_backoff: None,
            trials: 1,
            listener: None,
        }
    }

    /// The breaker's name.
    ///
    /// ```
    /// assert_eq!(asyncwise::CircuitBreaker::default().name(), "circuit-breaker");
    /// ```
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The current state. An open breaker whose open duration has passed
    /// reports `Open` until a call arrives and makes it half-open.
    ///
    /// ```
    /// assert_eq!(asyncwise::CircuitBreaker::default().state(), asyncwise::BreakerState::Closed);
    /// ```
    pub fn state(&self) -> BreakerState {
        self.inner.lock().phase.state()
    }

    /// Runs `operation` if the breaker admits it; every `Err` counts as a
    /// failure. A rejected call returns [`BreakerError::Open`] and the future
    /// is dropped without being polled. A call dropped before it finished
    /// counts as neither success nor failure (and frees its trial slot);
    /// so does an operation that panics (the panic reaches the caller).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let breaker = asyncwise::CircuitBreaker::default();
    /// assert_eq!(breaker.call(async { Ok::<_, String>(1) }).await, Ok(1));
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`BreakerError::Open`] when rejected, [`BreakerError::Inner`] with
    /// the operation's error.
    pub async fn call<T, E, Fut>(&self, operation: Fut) -> Result<T, BreakerError<E>>
    where
        Fut: Future<Output = Result<T, E>>,
    {
        self.call_classified(operation, |_| true).await
    }

    /// Like [`call`](Self::call), but only errors for which `is_failure`
    /// returns `true` count against the dependency; the others (a "not
    /// found", a validation error) count as successes, since the dependency
    /// answered. A classifier that panics makes the call count as neither,
    /// like an operation that panics (its trial slot is freed), and the panic
    /// reaches the caller.
    ///
    /// ```
    /// use asyncwise::{BreakerState, CircuitBreaker};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let breaker = CircuitBreaker::builder().consecutive_failures(1).build();
    /// let result = breaker.call_classified(async { Err::<(), _>(404) }, |status| *status >= 500).await;
    /// assert!(result.is_err());
    /// assert_eq!(breaker.state(), BreakerState::Closed);
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// As for [`call`](Self::call).
    pub async fn call_classified<T, E, Fut>(
        &self,
        operation: Fut,
        is_failure: impl FnOnce(&E) -> bool,
    ) -> Result<T, BreakerError<E>>
    where
        Fut: Future<Output = Result<T, E>>,
    {
        let mut permit = self
            .acquire()
            .map_err(|retry_in| BreakerError::Open { retry_in })?;
        let result = operation.await;
        let failed = match &result {
            Ok(_) => false,
            Err(error) => is_failure(error),
        };
        permit.finish(!failed);
        result.map_err(BreakerError::Inner)
    }

    fn acquire(&self) -> Result<Permit<&Inner>, Duration> {
        Permit::new(&*self.inner)
    }
}

impl Inner {
    /// Admits a call or says how long until one could be admitted; returns
    /// the generation the call belongs to, whether it is a trial, and the
    /// state change to announce once the call holds its permit.
    fn admit(&self) -> Result<(u64, bool, Option<StateChange>), Duration> {
        let mut machine = self.lock();
        let trial = match machine.phase {
            Phase::Closed => false,
            Phase::Open { until } => {
                let now = Instant::now();
                if now < until {
                    return Err(until - now);
                }
                let change = self.transition(
                    &mut machine,
                    Phase::HalfOpen {
                        admitted: 1,
                        succeeded: 0,
                    },
                );
                return Ok((machine.generation, true, Some(change)));
            }
            Phase::HalfOpen {
                ref mut admitted, ..
            } => {
                if *admitted >= self.trials {
                    return Err(Duration::ZERO);
                }
                *admitted += 1;
                true
            }
        };
        Ok((machine.generation, trial, None))
    }
    fn lock(&self) -> MutexGuard<'_, Machine> {
        // The state stays consistent even if a listener panicked elsewhere:
        // no user code runs under this lock.
        self.machine.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn record(&self, generation: u64, trial: bool, success: bool) {
        let mut machine = self.lock();
        if machine.generation != generation {
            return;
        }
        let change = match machine.phase {
            Phase::Closed => {
                if success {
                    machine.consecutive_failures = 0;
                } else {
                    machine.consecutive_failures = machine.consecutive_failures.saturating_add(1);
                }
                // The window's totals matter only when deciding to trip, so
                // the success path skips summing them.
                let now_rate = machine
                    .window
                    .as_mut()
                    .and_then(|window| window.record(success));
                let consecutive_trip = self
                    .consecutive
                    .is_some_and(|limit| machine.consecutive_failures >= limit);
                let rate_trip = match (self.rate, now_rate) {
                    (Some((threshold, min_calls)), Some((calls, failures))) => {
                        // The share, divided: rounded to the nearest f64 it equals the
                        // threshold when the exact share is the decimal the user wrote
                        // (`threshold * calls` rounded above 14 for 0.56 of 25 calls).
                        calls >= u64::from(min_calls) && failures as f64 / calls as f64 >= threshold
                    }
                    _ => false,
                };
                if !success && (consecutive_trip || rate_trip) {
                    Some(self.open(&mut machine))
                } else {
                    None
                }
            }
            Phase::HalfOpen {
                admitted,
                succeeded,
            } if trial => {
                if !success {
                    Some(self.open(&mut machine))
                } else if succeeded + 1 >= self.trials {
                    machine.consecutive_failures = 0;
                    if let Some(window) = machine.window.as_mut() {
                        window.clear();
                    }
                    if let Some(delays) = machine.open_delays.as_mut() {
                        delays.reset();
                    }
                    Some(self.transition(&mut machine, Phase::Closed))
                } else {
                    machine.phase = Phase::HalfOpen {
                        admitted,
                        succeeded: succeeded + 1,
                    };
                    None
                }
            }
            Phase::HalfOpen { .. } | Phase::Open { .. } => None,
        };
        drop(machine);
        if let Some(change) = change {
            self.announce(change);
        }
    }

    /// A trial call was dropped before it finished: free its slot.
    fn abandon(&self, generation: u64) {
        let mut machine = self.lock();
        if machine.generation != generation {
            return;
        }
        if let Phase::HalfOpen { admitted, .. } = &mut machine.phase {
            *admitted = admitted.saturating_sub(1);
        }
    }

    fn open(&self, machine: &mut Machine) -> StateChange {
        let open_for = match machine.open_delays.as_mut() {
            Some(delays) => delays.next_delay(),
            None => self.open_for,
        };
        let until = crate::instant_after(Instant::now(), open_for);
        let mut change = self.transition(machine, Phase::Open { until });
        change.open_for = Some(open_for);
        change
    }

    fn transition(&self, machine: &mut Machine, to: Phase) -> StateChange {
        let from = machine.phase.state();
        machine.phase = to;
        machine.generation = machine.generation.wrapping_add(1);
        StateChange {
            name: self.name.clone(),
            from,
            to: to.state(),
            open_for: None,
        }
    }

    fn announce(&self, change: StateChange) {
        match change.to {
            BreakerState::Open => tracing::warn!(
                breaker = %change.name,
                from = %change.from,
                open_for = ?change.open_for,
                "circuit breaker opened"
            ),
            to => tracing::info!(
                breaker = %change.name,
                from = %change.from,
                to = %to,
                "circuit breaker state changed"
            ),
        }
        if let Some(listener) = &self.listener {
            listener(&change);
        }
    }
}

/// Admission of one call; reports its outcome, or its abandonment on drop.
/// Borrows the breaker in [`CircuitBreaker::call`], owns a reference for
/// futures that must be `'static` (the tower service).
struct Permit<B: Deref<Target = Inner>> {
    breaker: B,
    generation: u64,
    trial: bool,
    finished: bool,
}

impl<B: Deref<Target = Inner>> Permit<B> {
    fn new(breaker: B) -> Result<Self, Duration> {
        let (generation, trial, change) = breaker.admit()?;
        let permit = Permit {
            breaker,
            generation,
            trial,
            finished: false,
        };
        // Announced once the permit exists: a listener that panics then
        // unwinds through the permit's drop, which frees the trial slot.
        if let Some(change) = change {
            permit.breaker.announce(change);
        }
        Ok(permit)
    }

    fn finish(&mut self, success: bool) {
        self.finished = true;
        self.breaker.record(self.generation, self.trial, success);
    }
}

impl<B: Deref<Target = Inner>> Drop for Permit<B> {
    fn drop(&mut self) {
        if !self.finished && self.trial {
            self.breaker.abandon(self.generation);
        }
    }
}

/// Outcomes in the sliding window.
enum Counter {
    Calls {
        outcomes: Vec<bool>,
        next: usize,
        filled: usize,
        failures: u64,
    },
    Time {
        bucket: Duration,
        epoch: Instant,
        /// (bucket index, calls, failures), ten of them.
        buckets: Box<[(u64, u64, u64); BUCKETS]>,
    },
}

const BUCKETS: usize = 10;

/// The largest count-based window.
const MAX_WINDOW_CALLS: u32 = 1 << 16;

impl Counter {
    fn new(window: Window) -> Self {
        match window {
            Window::Calls(n) => Counter::Calls {
                outcomes: vec![true; n as usize],
                next: 0,
                filled: 0,
                failures: 0,
            },
            Window::Time(d) => Counter::Time {
                bucket: d / BUCKETS as u32,
                epoch: Instant::now(),
                buckets: Box::new([(u64::MAX, 0, 0); BUCKETS]),
            },
        }
    }

    /// Records one outcome; after a failure, returns the window's (calls,
    /// failures).
    fn record(&mut self, success: bool) -> Option<(u64, u64)> {
        match self {
            Counter::Calls {
                outcomes,
                next,
                filled,
                failures,
            } => {
                if *filled == outcomes.len() && !outcomes[*next] {
                    *failures -= 1;
                }
                outcomes[*next] = success;
                if !success {
                    *failures += 1;
                }
                *next = (*next + 1) % outcomes.len();
                *filled = (*filled + 1).min(outcomes.len());
                (!success).then_some((*filled as u64, *failures))
            }
            Counter::Time {
                bucket,
                epoch,
                buckets,
            } => {
                let now = bucket_index(*epoch, *bucket);
                let slot = &mut buckets[(now % BUCKETS as u64) as usize];
                if slot.0 != now {
                    *slot = (now, 0, 0);
                }
                slot.1 += 1;
                if success {
                    return None;
                }
                slot.2 += 1;
                Some(
                    buckets
                        .iter()
                        .filter(|(index, _, _)| {
                            *index != u64::MAX && now.saturating_sub(*index) < BUCKETS as u64
                        })
                        .fold((0, 0), |(calls, failures), (_, c, f)| {
                            (calls + c, failures + f)
                        }),
                )
            }
        }
    }

    fn clear(&mut self) {
        match self {
            Counter::Calls {
                next,
                filled,
                failures,
                ..
            } => {
                *next = 0;
                *filled = 0;
                *failures = 0;
            }
            Counter::Time { buckets, .. } => **buckets = [(u64::MAX, 0, 0); BUCKETS],
        }
    }
}

fn bucket_index(epoch: Instant, bucket: Duration) -> u64 {
    // u64 nanoseconds cover 584 years; u128 division would cost more than
    // the rest of a call.
    let elapsed = u64::try_from(Instant::now().saturating_duration_since(epoch).as_nanos())
        .unwrap_or(u64::MAX - 1);
    let bucket = u64::try_from(bucket.as_nanos()).unwrap_or(u64::MAX).max(1);
    (elapsed / bucket).min(u64::MAX - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A failure-rate breaker has no consecutive limit, so its run of failures is never reset by
    /// a trip: after `u32::MAX` failures in a row the count stays there (a `+ 1` would panic in a
    /// debug build and wrap to zero in a release one) and the breaker goes on deciding by rate.
    #[test]
    fn the_consecutive_failure_count_saturates_on_a_rate_only_breaker() {
        let breaker = CircuitBreaker::builder()
            .failure_rate(1.0, Window::Calls(4), 4)
            .build();
        breaker.inner.lock().consecutive_failures = u32::MAX - 1;
        for _ in 0..3 {
            let mut permit = breaker.acquire().expect("closed");
            permit.finish(false);
        }
        assert_eq!(breaker.inner.lock().consecutive_failures, u32::MAX);
        assert_eq!(breaker.state(), BreakerState::Closed, "3 calls of 4 needed");
        let mut permit = breaker.acquire().expect("closed");
        permit.finish(false);
        assert_eq!(breaker.state(), BreakerState::Open, "4 failures of 4 calls");
    }

    /// `consecutive_failures(u32::MAX)`: the limit is reached, not passed, by the last failure.
    #[test]
    fn a_consecutive_limit_of_u32_max_trips_on_its_last_failure() {
        let breaker = CircuitBreaker::builder()
            .consecutive_failures(u32::MAX)
            .build();
        breaker.inner.lock().consecutive_failures = u32::MAX - 2;
        breaker.acquire().expect("closed").finish(false);
        assert_eq!(breaker.state(), BreakerState::Closed);
        breaker.acquire().expect("closed").finish(false);
        assert_eq!(breaker.state(), BreakerState::Open);
    }

    /// `half_open_trials(u32::MAX)`: the last slot is admitted, the one after it is rejected
    /// with a zero `retry_in`, and the last success closes the breaker; no count passes
    /// `u32::MAX`, and an abandoned trial frees its slot at the top as anywhere else.
    #[test]
    fn u32_max_half_open_trials_admit_the_last_one_and_close_on_its_success() {
        let breaker = CircuitBreaker::builder()
            .consecutive_failures(1)
            .half_open_trials(u32::MAX)
            .build();
        breaker.inner.lock().phase = Phase::HalfOpen {
            admitted: u32::MAX - 1,
            succeeded: u32::MAX - 1,
        };
        let abandoned = breaker.acquire().expect("the last slot");
        assert_eq!(breaker.acquire().err(), Some(Duration::ZERO));
        drop(abandoned);
        let mut last = breaker.acquire().expect("the slot freed by the drop");
        assert_eq!(breaker.acquire().err(), Some(Duration::ZERO));
        assert_eq!(breaker.state(), BreakerState::HalfOpen);
        last.finish(true);
        assert_eq!(breaker.state(), BreakerState::Closed);
    }
}
