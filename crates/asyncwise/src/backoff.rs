//! [`Backoff`]: exponential backoff with full jitter, kept as a thin
//! shorthand for a [`RetryPolicy`]: the schedule itself is
//! [`RetryPolicy::delays`], which [`Supervisor`](crate::Supervisor) uses
//! between restarts.

use std::time::Duration;

use crate::{RetryDelays, RetryPolicy};

/// Exponential backoff with *full jitter*: the `n`-th delay (counting from 0)
/// is drawn uniformly from `0..=min(max, initial * 2^n)`.
///
/// Full jitter spreads restarts of many clients that failed together over
/// the whole interval instead of having them retry in lock step. After a run
/// lasting at least [`reset_after`](Self::reset_after) the exponent starts
/// again from 0.
///
/// Delays have nanosecond precision; Tokio's timer rounds a sleep up to the
/// next millisecond.
///
/// ```
/// use std::time::Duration;
/// use asyncwise::Backoff;
///
/// let backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
/// assert_eq!(backoff.ceiling(0), Duration::from_millis(100));
/// assert_eq!(backoff.ceiling(3), Duration::from_millis(800));
/// assert_eq!(backoff.ceiling(4), Duration::from_secs(1));
/// // Seeded schedules are reproducible and never exceed the ceiling.
/// let a: Vec<_> = backoff.schedule(7).take(5).collect();
/// let b: Vec<_> = backoff.schedule(7).take(5).collect();
/// assert_eq!(a, b);
/// assert!(a.iter().enumerate().all(|(n, d)| *d <= backoff.ceiling(n as u32)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    reset_after: Duration,
}

impl Default for Backoff {
    /// 100 ms doubling up to 10 s, reset after 30 s of stable running.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let backoff = asyncwise::Backoff::default();
    /// assert_eq!(backoff.ceiling(0), Duration::from_millis(100));
    /// assert_eq!(backoff.reset_after(), Duration::from_secs(30));
    /// ```
    fn default() -> Self {
        Backoff::new(Duration::from_millis(100), Duration::from_secs(10))
    }
}

impl Backoff {
    /// Backoff starting at `initial`, doubling up to `max`, reset after 30 s
    /// of stable running. A `max` below `initial` is raised to `initial`.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let backoff = asyncwise::Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
    /// assert_eq!(backoff.ceiling(2), Duration::from_secs(4));
    /// ```
    pub fn new(initial: Duration, max: Duration) -> Self {
        Backoff {
            initial,
            max: max.max(initial),
            reset_after: Duration::from_secs(30),
        }
    }

    /// Sets how long a run must last to count as stable, resetting the
    /// exponent.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let backoff = asyncwise::Backoff::default().with_reset_after(Duration::from_secs(5));
    /// assert_eq!(backoff.reset_after(), Duration::from_secs(5));
    /// ```
    pub fn with_reset_after(mut self, reset_after: Duration) -> Self {
        self.reset_after = reset_after;
        self
    }

    /// How long a run must last to reset the exponent.
    ///
    /// ```
    /// assert!(asyncwise::Backoff::default().reset_after() > std::time::Duration::ZERO);
    /// ```
    pub fn reset_after(&self) -> Duration {
        self.reset_after
    }

    /// The upper bound of the `attempt`-th delay: `min(max, initial * 2^attempt)`.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let backoff = asyncwise::Backoff::new(Duration::from_millis(10), Duration::from_secs(1));
    /// assert_eq!(backoff.ceiling(1), Duration::from_millis(20));
    /// assert_eq!(backoff.ceiling(u32::MAX), Duration::from_secs(1));
    /// ```
    pub fn ceiling(&self, attempt: u32) -> Duration {
        self.retry_policy().ceiling(attempt)
    }

    /// The same schedule as a [`RetryPolicy`]:
    /// `RetryPolicy::exponential(initial).max_delay(max).floor(Duration::ZERO)`
    /// (full jitter, factor 2, no floor). `reset_after` is the
    /// supervisor's, not the policy's.
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncwise::{Backoff, RetryPolicy};
    ///
    /// let backoff = Backoff::new(Duration::from_millis(10), Duration::from_secs(1));
    /// let policy = RetryPolicy::exponential(Duration::from_millis(10))
    ///     .max_delay(Duration::from_secs(1))
    ///     .floor(Duration::ZERO);
    /// assert_eq!(backoff.retry_policy(), policy);
    /// assert_eq!(RetryPolicy::from(backoff), policy);
    /// ```
    pub fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy::exponential(self.initial)
            .max_delay(self.max)
            .floor(Duration::ZERO)
    }

    /// A reproducible sequence of jittered delays drawn from a generator
    /// seeded with `seed`.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let backoff = asyncwise::Backoff::new(Duration::from_millis(100), Duration::from_secs(10));
    /// let mut schedule = backoff.schedule(42);
    /// let first = schedule.next_delay();
    /// assert!(first <= Duration::from_millis(100));
    /// assert_eq!(schedule.attempt(), 1);
    /// ```
    pub fn schedule(&self, seed: u64) -> BackoffSchedule {
        BackoffSchedule {
            backoff: *self,
            delays: self.retry_policy().seed(seed).delays(),
        }
    }

    /// A sequence of jittered delays from an entropy-seeded generator, for
    /// production use.
    ///
    /// ```
    /// let mut schedule = asyncwise::Backoff::default().schedule_random();
    /// assert!(schedule.next_delay() <= asyncwise::Backoff::default().ceiling(0));
    /// ```
    pub fn schedule_random(&self) -> BackoffSchedule {
        BackoffSchedule {
            backoff: *self,
            delays: self.retry_policy().delays(),
        }
    }
}

impl From<Backoff> for RetryPolicy {
    fn from(backoff: Backoff) -> Self {
        backoff.retry_policy()
    }
}

/// The state of one backoff sequence: which attempt comes next and the
/// jitter generator. Also an endless [`Iterator`] of delays.
///
/// ```
/// use std::time::Duration;
///
/// let backoff = asyncwise::Backoff::new(Duration::from_millis(100), Duration::from_secs(10));
/// let mut schedule = backoff.schedule(1);
/// schedule.next_delay();
/// schedule.next_delay();
/// schedule.reset();
/// assert_eq!(schedule.attempt(), 0);
/// ```
#[derive(Debug, Clone)]
pub struct BackoffSchedule {
    backoff: Backoff,
    delays: RetryDelays,
}

impl BackoffSchedule {
    /// Draws the next delay and advances the exponent.
    ///
    /// ```
    /// let mut schedule = asyncwise::Backoff::default().schedule(3);
    /// let delay = schedule.next_delay();
    /// assert!(delay <= asyncwise::Backoff::default().ceiling(0));
    /// ```
    pub fn next_delay(&mut self) -> Duration {
        self.delays.next_delay()
    }

    /// Starts the exponent from 0 again (the jitter generator continues).
    ///
    /// ```
    /// let mut schedule = asyncwise::Backoff::default().schedule(3);
    /// schedule.next_delay();
    /// schedule.reset();
    /// assert_eq!(schedule.attempt(), 0);
    /// ```
    pub fn reset(&mut self) {
        self.delays.reset();
    }

    /// How many delays have been drawn since the last reset.
    ///
    /// ```
    /// assert_eq!(asyncwise::Backoff::default().schedule(0).attempt(), 0);
    /// ```
    pub fn attempt(&self) -> u32 {
        self.delays.attempt()
    }

    /// The configuration this schedule follows.
    ///
    /// ```
    /// let backoff = asyncwise::Backoff::default();
    /// assert_eq!(*backoff.schedule(0).backoff(), backoff);
    /// ```
    pub fn backoff(&self) -> &Backoff {
        &self.backoff
    }
}

impl Iterator for BackoffSchedule {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        Some(self.next_delay())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_stay_under_the_doubling_ceiling_and_use_the_whole_range() {
        let backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(3));
        let mut schedule = backoff.schedule(99);
        let mut max_seen = Duration::ZERO;
        for attempt in 0..10_000_u32 {
            let n = attempt % 8;
            if n == 0 {
                schedule.reset();
            }
            let delay = schedule.next_delay();
            assert!(delay <= backoff.ceiling(n), "attempt {n}: {delay:?}");
            if n == 7 {
                max_seen = max_seen.max(delay);
            }
        }
        // Capped at `max`, and full jitter reaches close to the cap.
        assert_eq!(backoff.ceiling(7), Duration::from_secs(3));
        assert!(max_seen > Duration::from_millis(2_900), "{max_seen:?}");
    }

    #[test]
    fn max_below_initial_is_raised() {
        let backoff = Backoff::new(Duration::from_secs(2), Duration::from_secs(1));
        assert_eq!(backoff.ceiling(5), Duration::from_secs(2));
    }
}
