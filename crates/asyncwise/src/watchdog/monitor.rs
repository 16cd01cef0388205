//! The monitor thread and the state it shares with the slots.

use std::panic::Location;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering, fence};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

#[cfg(tokio_unstable)]
use super::hooks::HookSlot;
use super::slot::{PollWatch, TaskSlot};
use super::{BlockedPoll, Callback, Offender, Phase, Summary, thread_state};
use crate::TaskName;

/// How many finished tasks each list of the summary keeps.
const RETIRED_KEPT: usize = 32;

pub(crate) struct Shared {
    epoch: Instant,
    threshold: Duration,
    threshold_ns: u64,
    callback: Option<Callback>,
    slots: Mutex<Vec<Weak<TaskSlot>>>,
    /// One per worker thread that polled a task through the runtime's poll
    /// hooks while this watchdog ran (`tokio_unstable`).
    #[cfg(tokio_unstable)]
    hook_slots: Mutex<Vec<Weak<HookSlot>>>,
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
            #[cfg(tokio_unstable)]
            hook_slots: Mutex::new(Vec::new()),
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

    #[cfg(tokio_unstable)]
    pub(super) fn register_hook(&self, slot: &Arc<HookSlot>) {
        self.hook_slots
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
        self.emit_returned(slot.name.clone(), slot.location, &slot.watch, took_ns);
    }

    /// The slow path of a hooked poll (a task not spawned through asyncwise)
    /// that the monitor reported as blocking. Such a task has no slot of its
    /// own, so its reported polls go to the summary here.
    #[cfg(tokio_unstable)]
    pub(super) fn hooked_poll_returned(&self, slot: &HookSlot, took_ns: u64) {
        if self.is_stopped() {
            return;
        }
        let (task, location) = slot.task();
        self.emit_returned(task.clone(), location, &slot.watch, took_ns);
        let took = Duration::from_nanos(took_ns);
        let mut retired = self.retired.lock().unwrap_or_else(PoisonError::into_inner);
        match retired
            .iter_mut()
            .find(|o| o.task == task && std::ptr::eq(o.spawned_at, location))
        {
            Some(known) => {
                known.longest_poll = known.longest_poll.max(took);
                known.busy += took;
                known.polls += 1;
            }
            None => retired.push(Offender {
                task,
                spawned_at: location,
                longest_poll: took,
                busy: took,
                polls: 1,
            }),
        }
        if retired.len() > 4 * RETIRED_KEPT {
            keep_worst(&mut retired);
        }
    }

    fn emit_returned(
        &self,
        task: TaskName,
        spawned_at: &'static Location<'static>,
        watch: &PollWatch,
        took_ns: u64,
    ) {
        if self.is_stopped() {
            return;
        }
        let thread = thread_state::info(watch.thread.load(Ordering::Relaxed));
        self.emit(&BlockedPoll {
            phase: Phase::Returned,
            rule: "blocking_in_async",
            task,
            spawned_at,
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
            // The callback runs on the monitor thread (a panic would end the
            // monitor: no report ever again) or inside a task's poll (a
            // panic would replace the task's output, and abort the process
            // if the poll was already unwinding): its panic stays here and
            // is reported as an error.
            let call = std::panic::AssertUnwindSafe(|| callback(report));
            if let Err(payload) = std::panic::catch_unwind(call) {
                tracing::error!(
                    target: "asyncwise::watchdog",
                    panic = %crate::spawn::panic_message(payload.as_ref()),
                    task = %report.task,
                    "the watchdog's on_blocked callback panicked; the watchdog goes on"
                );
            }
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
    ///
    /// A worker thread's hook slot (`tokio_unstable`) is skipped while a
    /// task slot shows a poll in progress on the same thread: that poll is
    /// an asyncwise task, reported under its name. Likewise a second task
    /// slot in progress on a thread (a watched future nested in a watched
    /// task's poll) is the same poll and is not reported again.
    fn sample(&self) {
        let now = self.now_ns();
        self.coarse_ns.store(now, Ordering::Relaxed);
        let mut in_progress = Vec::new();
        let mut busy_threads = Vec::new();
        {
            let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
            slots.retain(|weak| {
                let Some(slot) = weak.upgrade() else {
                    return false;
                };
                let poll = slot.watch.in_poll.load(Ordering::Acquire);
                if poll != 0 {
                    let thread = slot.watch.thread.load(Ordering::Relaxed);
                    // A thread polls one task at a time: a second slot in
                    // progress on it is a watched future nested in another's
                    // poll (an `Instrumented` awaited inside a task), the
                    // same poll, reported once under the first slot's name.
                    let nested = busy_threads.contains(&thread);
                    if !nested {
                        busy_threads.push(thread);
                    }
                    if !nested && slot.watch.reported.load(Ordering::Relaxed) != poll {
                        in_progress.push((slot, poll));
                    }
                }
                true
            });
        }
        #[cfg(tokio_unstable)]
        let hooked = self.hooked_in_progress(&busy_threads);
        // File reads, formatting and the user's callback run without the lock.
        for (slot, poll) in in_progress {
            let Some(blocked) = self.advance(&slot.watch, poll, now) else {
                continue;
            };
            if !confirm(&slot.watch, poll) {
                continue;
            }
            self.report_blocking(slot.name.clone(), slot.location, blocked);
        }
        #[cfg(tokio_unstable)]
        for (slot, poll) in hooked {
            let Some(blocked) = self.advance(&slot.watch, poll, now) else {
                continue;
            };
            // Read before `confirm`, which checks that the poll (and so the
            // task it belongs to) has not changed meanwhile.
            let (task, location) = slot.task();
            if !confirm(&slot.watch, poll) {
                continue;
            }
            self.report_blocking(task, location, blocked);
        }
    }

    /// The hook slots with a poll in progress that no task slot covers.
    #[cfg(tokio_unstable)]
    fn hooked_in_progress(&self, busy_threads: &[usize]) -> Vec<(Arc<HookSlot>, u64)> {
        let mut hooked = Vec::new();
        let mut slots = self
            .hook_slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        slots.retain(|weak| {
            let Some(slot) = weak.upgrade() else {
                return false;
            };
            let poll = slot.watch.in_poll.load(Ordering::Acquire);
            if poll != 0
                && slot.watch.reported.load(Ordering::Relaxed) != poll
                && !busy_threads.contains(&slot.watch.thread.load(Ordering::Relaxed))
            {
                hooked.push((slot, poll));
            }
            true
        });
        hooked
    }

    /// Advances the monitor's view of `poll` on `watch` to `now`; returns
    /// what to report once it has blocked its thread for the threshold.
    fn advance(&self, watch: &PollWatch, poll: u64, now: u64) -> Option<Blocked> {
        let thread = thread_state::info(watch.thread.load(Ordering::Relaxed));
        let state = thread.as_ref().and_then(thread_state::ThreadInfo::sample);
        let on_cpu = state.as_ref().and_then(|s| s.on_cpu_ns);
        let last_at = watch.seen_at_ns.swap(now, Ordering::Relaxed);
        let last_on_cpu = watch
            .seen_on_cpu_ns
            .swap(on_cpu.unwrap_or(0), Ordering::Relaxed);
        // A thread inside `watchdog::block_in_place` blocks no worker: the
        // poll counts again from where the closure returns.
        let offloaded = thread
            .as_ref()
            .is_some_and(thread_state::ThreadInfo::is_offloaded);
        if watch.seen_poll.swap(poll, Ordering::Relaxed) != poll || offloaded {
            watch.blocked_ns.store(0, Ordering::Relaxed);
            return None;
        }
        let interval = now.saturating_sub(last_at);
        // A thread waiting (in a system call or a page fault) is blocked for
        // the whole interval; one that runs or is ready to counts only its
        // time on a CPU, so that preemption is not blamed on the task (where
        // the kernel counts that time: otherwise a loop would never count).
        let counted = match (&state, on_cpu) {
            (Some(s), Some(on_cpu)) if s.waiting.is_none() => {
                interval.min(on_cpu.saturating_sub(last_on_cpu))
            }
            _ => interval,
        };
        let blocked_ns = watch.blocked_ns.load(Ordering::Relaxed) + counted;
        watch.blocked_ns.store(blocked_ns, Ordering::Relaxed);
        (blocked_ns >= self.threshold_ns).then_some(Blocked {
            blocked_ns,
            thread,
            state,
        })
    }

    fn report_blocking(
        &self,
        task: TaskName,
        spawned_at: &'static Location<'static>,
        blocked: Blocked,
    ) {
        self.blocked_polls.fetch_add(1, Ordering::Relaxed);
        self.emit(&BlockedPoll {
            phase: Phase::Blocking,
            rule: "blocking_in_async",
            task,
            spawned_at,
            thread: blocked
                .thread
                .map_or_else(|| "<unknown>".to_owned(), |t| t.name),
            blocked_for: Duration::from_nanos(blocked.blocked_ns),
            thread_state: blocked
                .state
                .as_ref()
                .map(thread_state::ThreadSample::describe),
        });
    }
}

/// A poll that has blocked its thread for the threshold, as sampled.
struct Blocked {
    blocked_ns: u64,
    thread: Option<thread_state::ThreadInfo>,
    state: Option<thread_state::ThreadSample>,
}

/// Marks `poll` as reported if it is still in progress: `false` when it
/// has returned since the monitor saw it (or, for a hook slot, when the
/// thread has moved on to another task's poll).
fn confirm(watch: &PollWatch, poll: u64) -> bool {
    // Pairs with the fence in the hook before a poll's identity is written:
    // what was read before this fence belongs to `poll` if `poll` is still
    // the poll in progress after it.
    fence(Ordering::Acquire);
    if watch.in_poll.load(Ordering::Relaxed) != poll {
        return false;
    }
    watch.reported.store(poll, Ordering::Relaxed);
    true
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
