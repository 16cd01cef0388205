//! The monitor thread and the state it shares with the slots.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use super::slot::TaskSlot;
use super::{BlockedPoll, Callback, Offender, Phase, Summary, thread_state};

/// How many finished tasks each list of the summary keeps.
const RETIRED_KEPT: usize = 32;

pub(crate) struct Shared {
    epoch: Instant,
    threshold: Duration,
    threshold_ns: u64,
    callback: Option<Callback>,
    slots: Mutex<Vec<Weak<TaskSlot>>>,
    /// Finished tasks that stood out, for the summary.
    retired: Mutex<Vec<Offender>>,
    blocked_polls: AtomicU64,
    /// Nanoseconds since `epoch`, advanced by the monitor at every sample.
    coarse_ns: AtomicU64,
    stopped: AtomicBool,
    monitor: Mutex<Option<std::thread::Thread>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("threshold", &self.threshold)
            .finish_non_exhaustive()
    }
}

impl Shared {
    pub(super) fn new(threshold: Duration, callback: Option<Callback>) -> Self {
        Shared {
            epoch: Instant::now(),
            threshold,
            threshold_ns: u64::try_from(threshold.as_nanos()).unwrap_or(u64::MAX),
            callback,
            slots: Mutex::new(Vec::new()),
            retired: Mutex::new(Vec::new()),
            blocked_polls: AtomicU64::new(0),
            coarse_ns: AtomicU64::new(0),
            stopped: AtomicBool::new(false),
            monitor: Mutex::new(None),
        }
    }

    pub(super) fn threshold(&self) -> Duration {
        self.threshold
    }

    /// Nanoseconds since the watchdog started.
    fn now_ns(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// The coarse clock: the monitor's time at its last sample.
    pub(super) fn coarse_now_ns(&self) -> u64 {
        self.coarse_ns.load(Ordering::Relaxed)
    }

    pub(super) fn register(&self, slot: &Arc<TaskSlot>) {
        self.slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::downgrade(slot));
    }

    pub(super) fn stop(&self) {
        self.stopped.store(true, Ordering::Release);
        if let Some(monitor) = self
            .monitor
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            monitor.unpark();
        }
    }

    fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }

    /// The slow path of a poll that the monitor reported as blocking.
    pub(super) fn blocked_poll_returned(&self, slot: &TaskSlot, took_ns: u64) {
        if self.is_stopped() {
            return;
        }
        let thread = thread_state::info(slot.thread.load(Ordering::Relaxed));
        self.emit(&BlockedPoll {
            phase: Phase::Returned,
            rule: "blocking_in_async",
            task: slot.name.clone(),
            spawned_at: slot.location,
            thread: thread.map_or_else(|| "<unknown>".to_owned(), |t| t.name),
            blocked_for: Duration::from_nanos(took_ns),
            thread_state: None,
        });
    }

    /// Keeps a finished task's figures if it stood out.
    pub(super) fn retire(&self, slot: &TaskSlot) {
        let longest = slot.longest_ns.load(Ordering::Relaxed);
        let busy = slot.busy_ns.load(Ordering::Relaxed);
        // Only tasks that came near the threshold take the lock (a short poll
        // that spans one tick of the coarse clock measures a quarter of it).
        if longest <= self.threshold_ns / 2 && busy < self.threshold_ns {
            return;
        }
        let offender = offender(slot);
        let mut retired = self.retired.lock().unwrap_or_else(PoisonError::into_inner);
        retired.push(offender);
        if retired.len() > 4 * RETIRED_KEPT {
            keep_worst(&mut retired);
        }
    }

    pub(super) fn summary(&self, top: usize) -> Summary {
        let mut all: Vec<Offender> = self
            .retired
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        all.extend(
            self.slots
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .filter_map(Weak::upgrade)
                .map(|slot| offender(&slot))
                .filter(|o| o.polls > 0),
        );
        let mut longest_polls = all.clone();
        longest_polls.sort_by_key(|o| std::cmp::Reverse(o.longest_poll));
        longest_polls.truncate(top);
        let mut busiest = all;
        busiest.sort_by_key(|o| std::cmp::Reverse(o.busy));
        busiest.truncate(top);
        Summary {
            longest_polls,
            busiest,
            blocked_polls: self.blocked_polls.load(Ordering::Relaxed),
        }
    }

    fn emit(&self, report: &BlockedPoll) {
        let ms = report.blocked_for.as_secs_f64() * 1e3;
        match report.phase {
            Phase::Blocking => tracing::warn!(
                target: "asyncwise::watchdog",
                rule = report.rule,
                task = %report.task,
                spawned_at = %report.spawned_at,
                thread = %report.thread,
                blocked_ms = u64::try_from(report.blocked_for.as_millis()).unwrap_or(u64::MAX),
                thread_state = report.thread_state.as_deref().unwrap_or("unknown"),
                "task has been blocking its executor thread for {ms:.1} ms (spawned at {})",
                report.spawned_at,
            ),
            Phase::Returned => tracing::warn!(
                target: "asyncwise::watchdog",
                rule = report.rule,
                task = %report.task,
                spawned_at = %report.spawned_at,
                thread = %report.thread,
                blocked_ms = u64::try_from(report.blocked_for.as_millis()).unwrap_or(u64::MAX),
                "blocking poll returned after {ms:.1} ms (spawned at {})",
                report.spawned_at,
            ),
        }
        if let Some(callback) = &self.callback {
            callback(report);
        }
    }

    /// One pass over the slots: reports each poll that has blocked its
    /// thread for longer than the threshold, once.
    ///
    /// A poll is timed from the sample that first saw it in progress, so it
    /// is reported between one threshold and one threshold plus one sampling
    /// interval after it started. Between two samples, the interval counts
    /// as blocked when the thread is in a system call (a sleep, a read, a
    /// lock), and otherwise only as far as the thread was on a CPU: a
    /// worker that is runnable but preempted (an overloaded machine) stalls
    /// through no fault of its task. That needs Linux's `/proc`; elsewhere
    /// the whole interval counts.
    fn sample(&self) {
        let now = self.now_ns();
        self.coarse_ns.store(now, Ordering::Relaxed);
        let mut in_progress = Vec::new();
        {
            let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
            slots.retain(|weak| {
                let Some(slot) = weak.upgrade() else {
                    return false;
                };
                let poll = slot.in_poll.load(Ordering::Acquire);
                if poll != 0 && slot.reported.load(Ordering::Relaxed) != poll {
                    in_progress.push((slot, poll));
                }
                true
            });
        }
        // File reads, formatting and the user's callback run without the lock.
        for (slot, poll) in in_progress {
            let thread = thread_state::info(slot.thread.load(Ordering::Relaxed));
            let state = thread.as_ref().and_then(thread_state::ThreadInfo::sample);
            let on_cpu = state.as_ref().map_or(0, |s| s.on_cpu_ns);
            let last_at = slot.seen_at_ns.swap(now, Ordering::Relaxed);
            let last_on_cpu = slot.seen_on_cpu_ns.swap(on_cpu, Ordering::Relaxed);
            if slot.seen_poll.swap(poll, Ordering::Relaxed) != poll {
                slot.blocked_ns.store(0, Ordering::Relaxed);
                continue;
            }
            let interval = now.saturating_sub(last_at);
            let counted = match &state {
                Some(s) if s.in_syscall.is_none() => {
                    interval.min(on_cpu.saturating_sub(last_on_cpu))
                }
                _ => interval,
            };
            let blocked_ns = slot.blocked_ns.load(Ordering::Relaxed) + counted;
            slot.blocked_ns.store(blocked_ns, Ordering::Relaxed);
            if blocked_ns < self.threshold_ns || slot.in_poll.load(Ordering::Acquire) != poll {
                continue;
            }
            slot.reported.store(poll, Ordering::Relaxed);
            self.blocked_polls.fetch_add(1, Ordering::Relaxed);
            self.emit(&BlockedPoll {
                phase: Phase::Blocking,
                rule: "blocking_in_async",
                task: slot.name.clone(),
                spawned_at: slot.location,
                thread: thread.map_or_else(|| "<unknown>".to_owned(), |t| t.name),
                blocked_for: Duration::from_nanos(blocked_ns),
                thread_state: state.as_ref().map(thread_state::ThreadSample::describe),
            });
        }
    }
}

fn offender(slot: &TaskSlot) -> Offender {
    Offender {
        task: slot.name.clone(),
        spawned_at: slot.location,
        longest_poll: Duration::from_nanos(slot.longest_ns.load(Ordering::Relaxed)),
        busy: Duration::from_nanos(slot.busy_ns.load(Ordering::Relaxed)),
        polls: slot.polls.load(Ordering::Relaxed),
    }
}

/// Keeps the `RETIRED_KEPT` worst by longest poll and by busy time.
fn keep_worst(retired: &mut Vec<Offender>) {
    let mut by_longest = retired.clone();
    by_longest.sort_by_key(|o| std::cmp::Reverse(o.longest_poll));
    by_longest.truncate(RETIRED_KEPT);
    retired.sort_by_key(|o| std::cmp::Reverse(o.busy));
    retired.truncate(RETIRED_KEPT);
    for offender in by_longest {
        if !retired.contains(&offender) {
            retired.push(offender);
        }
    }
}

/// Starts the monitor thread; it samples every quarter threshold until
/// the watchdog stops.
pub(super) fn start(shared: Arc<Shared>) -> std::io::Result<std::thread::JoinHandle<()>> {
    let interval = (shared.threshold / 4).max(Duration::from_micros(250));
    let for_thread = Arc::clone(&shared);
    let handle = std::thread::Builder::new()
        .name("asyncwise-watchdog".to_owned())
        .spawn(move || {
            while !for_thread.is_stopped() {
                std::thread::park_timeout(interval);
                for_thread.sample();
            }
        })?;
    *shared
        .monitor
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = Some(handle.thread().clone());
    Ok(handle)
}
