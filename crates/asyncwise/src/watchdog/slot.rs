//! The per-task slot and the future wrapper that writes it on every poll.
//!
//! The hot path is a thread-local read and a few relaxed loads and stores
//! on the task's own slot: no clock read, no allocation, no lock, no locked
//! read-modify-write. A poll is identified by its sequence number; the
//! monitor times a poll it sees in progress with its own clock. Poll
//! durations for the summary come from a coarse clock that the monitor
//! advances at every sample (one load per poll edge): each poll's figure is
//! precise to one sampling interval, and since polls start at random
//! points between ticks, the total busy time is an unbiased estimate.
//! Everything else (formatting, `tracing`, `/proc`) happens on the monitor
//! thread or on the slow path of a poll that was reported as blocking.

use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};

use super::monitor::Shared;
use super::thread_state;
use crate::TaskName;

/// The poll in progress on one slot, as the monitor samples it: the state
/// that a task's slot and a worker thread's hook slot (`tokio_unstable`)
/// share.
#[derive(Debug, Default)]
pub(crate) struct PollWatch {
    /// The sequence number (from 1) of the poll in progress; zero while no
    /// poll is in progress.
    pub(super) in_poll: AtomicU64,
    /// The worker thread of the poll in progress (see `thread_state`).
    pub(super) thread: AtomicUsize,
    /// The poll that was last reported as blocking, so a poll is reported
    /// once however many samples see it.
    pub(super) reported: AtomicU64,
    /// Written by the monitor only: the poll it last saw in progress, the
    /// time and the thread's CPU time at its last sample of it, and how long
    /// that poll has blocked the thread so far.
    pub(super) seen_poll: AtomicU64,
    pub(super) seen_at_ns: AtomicU64,
    pub(super) seen_on_cpu_ns: AtomicU64,
    pub(super) blocked_ns: AtomicU64,
}

/// What the monitor knows about one task.
#[derive(Debug)]
pub(crate) struct TaskSlot {
    pub(super) name: TaskName,
    pub(super) location: &'static Location<'static>,
    pub(super) shared: Arc<Shared>,
    pub(super) watch: PollWatch,
    pub(super) polls: AtomicU64,
    pub(super) longest_ns: AtomicU64,
    pub(super) busy_ns: AtomicU64,
}

impl Drop for TaskSlot {
    fn drop(&mut self) {
        self.shared.retire(self);
    }
}

pin_project_lite::pin_project! {
    /// A future whose polls are timed for the running watchdog; see
    /// [`spawn`](super::spawn). Without a running watchdog it only forwards
    /// polls.
    ///
    /// ```
    /// use asyncwise::watchdog::{Instrumented, Watchdog};
    ///
    /// let watchdog = Watchdog::builder().start().unwrap();
    /// # let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # runtime.block_on(async {
    /// // A task spawned with plain `tokio::spawn`, watched under a name of its own.
    /// let handle = tokio::spawn(Instrumented::new("plain-task", async { "done" }));
    /// assert_eq!(handle.await.unwrap(), "done");
    /// # });
    /// # drop(watchdog);
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub struct Instrumented<F> {
        #[pin]
        inner: F,
        slot: Option<Arc<TaskSlot>>,
    }
}

/// Wraps `future` for the running watchdog; without one, the wrapper only
/// forwards polls.
pub(crate) fn instrument<F: Future>(
    name: TaskName,
    location: &'static Location<'static>,
    future: F,
) -> Instrumented<F> {
    instrument_named_by(|| name, location, future)
}

/// [`instrument`], building the name only when a watchdog runs (a task's
/// full path is a `format!`, which a spawn without a watchdog should not pay
/// for).
pub(crate) fn instrument_named_by<F: Future>(
    name: impl FnOnce() -> TaskName,
    location: &'static Location<'static>,
    future: F,
) -> Instrumented<F> {
    Instrumented {
        inner: future,
        slot: task_slot(name, location),
    }
}

/// A slot registered with the running watchdog, if one runs, for a task
/// named `name()` spawned at `location`; write it around every poll with
/// [`PollTiming`].
pub(crate) fn task_slot(
    name: impl FnOnce() -> TaskName,
    location: &'static Location<'static>,
) -> Option<Arc<TaskSlot>> {
    super::current().map(|shared| {
        let slot = Arc::new(TaskSlot {
            name: name(),
            location,
            shared: Arc::clone(&shared),
            watch: PollWatch::default(),
            polls: AtomicU64::new(0),
            longest_ns: AtomicU64::new(0),
            busy_ns: AtomicU64::new(0),
        });
        shared.register(&slot);
        slot
    })
}

impl<F: Future> Instrumented<F> {
    /// Instruments `future` under `name`, with the caller's location as its
    /// spawn location, for spawning it some other way than
    /// [`spawn`](super::spawn) (`spawn_local`, `tokio::task::Builder`, a
    /// `JoinSet`). Without a running watchdog it only forwards polls.
    /// Awaited inside a task that is watched already, its polls are that
    /// task's: a blocking one is reported once, under the name of whichever
    /// of the two was created first (its figures still go to both in
    /// [`Watchdog::summary`](super::Watchdog::summary)).
    ///
    /// ```
    /// use asyncwise::watchdog::Instrumented;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut set = tokio::task::JoinSet::new();
    /// set.spawn(Instrumented::new("job", async { 7 }));
    /// assert_eq!(set.join_next().await.unwrap().unwrap(), 7);
    /// # }
    /// ```
    #[track_caller]
    pub fn new(name: impl Into<TaskName>, future: F) -> Self {
        instrument(name.into(), Location::caller(), future)
    }
}

impl<F: Future> Future for Instrumented<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let Some(slot) = this.slot.as_deref() else {
            return this.inner.poll(cx);
        };
        let _timing = PollTiming::start(slot);
        this.inner.poll(cx)
    }
}

/// Marks a poll in progress; its `Drop` (which also runs when the poll
/// panics) records the poll's end.
pub(crate) struct PollTiming<'a> {
    slot: &'a TaskSlot,
    poll: u64,
    start_tick: u64,
}

impl<'a> PollTiming<'a> {
    /// Marks the start of a poll of the task that owns `slot`.
    pub(crate) fn start(slot: &'a TaskSlot) -> Self {
        let poll = slot.polls.load(Ordering::Relaxed).wrapping_add(1).max(1);
        slot.watch
            .thread
            .store(thread_state::current_index(), Ordering::Relaxed);
        // Release: a monitor that sees the poll also sees its thread.
        slot.watch.in_poll.store(poll, Ordering::Release);
        PollTiming {
            slot,
            poll,
            start_tick: slot.shared.coarse_now_ns(),
        }
    }
}

impl Drop for PollTiming<'_> {
    fn drop(&mut self) {
        let slot = self.slot;
        let took = slot.shared.coarse_now_ns().saturating_sub(self.start_tick);
        slot.watch.in_poll.store(0, Ordering::Release);
        // A task is polled by one thread at a time (the runtime hands it
        // over with the synchronisation that entails), so plain loads and
        // stores suffice.
        slot.polls.store(self.poll, Ordering::Relaxed);
        if took > 0 {
            bump(&slot.busy_ns, took);
            if took > slot.longest_ns.load(Ordering::Relaxed) {
                slot.longest_ns.store(took, Ordering::Relaxed);
            }
        }
        if slot.watch.reported.load(Ordering::Relaxed) == self.poll {
            slot.shared.blocked_poll_returned(slot, took);
        }
    }
}

/// Adds to a counter that only the polling thread writes.
fn bump(counter: &AtomicU64, by: u64) {
    counter.store(
        counter.load(Ordering::Relaxed).wrapping_add(by),
        Ordering::Relaxed,
    );
}
