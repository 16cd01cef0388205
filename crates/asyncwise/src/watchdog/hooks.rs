//! Tasks not spawned through asyncwise: Tokio's task-poll hooks
//! (`tokio_unstable` only).
//!
//! Tokio calls a runtime's `on_before_task_poll` and `on_after_task_poll`
//! hooks around every poll of every task, with the task's id and spawn
//! location. [`install`] sets them to write one slot *per worker thread*
//! (a task is polled by one thread at a time, and a thread polls one task at
//! a time): the poll's sequence number, the task's id and an index standing
//! for its spawn location. The monitor samples these slots like task slots.
//!
//! The hot path is, as for task slots, a thread-local access and a few
//! relaxed stores: no clock read, no allocation, no lock (a spawn location
//! seen for the first time on a thread takes a global lock once, to be
//! given its index).

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::panic::Location;
use std::ptr;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering, fence};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use tokio::runtime::{Builder, TaskMeta};

use super::monitor::Shared;
use super::slot::PollWatch;
use super::thread_state;
use crate::TaskName;

/// A hook the user would have passed to `on_before_task_poll` or
/// `on_after_task_poll`.
type Hook = Arc<dyn Fn(&TaskMeta<'_>) + Send + Sync>;

/// The user's own poll hooks, for [`install`] to run beside the watchdog's.
///
/// A Tokio runtime [`Builder`] holds one callback per hook and cannot hand
/// back one that was set before, so a hook set with
/// `builder.on_before_task_poll(..)` before [`install`] would be replaced by
/// it. Pass such hooks here instead; [`install`] composes them with its own.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use asyncwise::watchdog::PollHooks;
///
/// let polls = Arc::new(AtomicU64::new(0));
/// let counter = Arc::clone(&polls);
/// let hooks = PollHooks::new().before_poll(move |_meta| {
///     counter.fetch_add(1, Ordering::Relaxed);
/// });
/// assert!(hooks.has_before_poll() && !hooks.has_after_poll());
/// ```
#[derive(Clone, Default)]
#[must_use = "hooks do nothing until passed to `install`"]
pub struct PollHooks {
    before: Option<Hook>,
    after: Option<Hook>,
}

impl fmt::Debug for PollHooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PollHooks")
            .field("before_poll", &self.before.is_some())
            .field("after_poll", &self.after.is_some())
            .finish()
    }
}

impl PollHooks {
    /// No hooks of the user's own.
    ///
    /// ```
    /// let hooks = asyncwise::watchdog::PollHooks::new();
    /// assert!(!hooks.has_before_poll() && !hooks.has_after_poll());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// What the runtime should call before each task poll, as
    /// `Builder::on_before_task_poll` would. [`install`] calls it *before*
    /// the watchdog marks the poll as started.
    ///
    /// ```
    /// use asyncwise::watchdog::PollHooks;
    ///
    /// let hooks = PollHooks::new().before_poll(|meta| {
    ///     let _ = meta.id(); // Tokio's task id, for your own tracing
    /// });
    /// assert!(hooks.has_before_poll());
    /// ```
    pub fn before_poll(mut self, hook: impl Fn(&TaskMeta<'_>) + Send + Sync + 'static) -> Self {
        self.before = Some(Arc::new(hook));
        self
    }

    /// What the runtime should call after each task poll, as
    /// `Builder::on_after_task_poll` would. [`install`] calls it *after* the
    /// watchdog marks the poll as ended.
    ///
    /// ```
    /// use asyncwise::watchdog::PollHooks;
    ///
    /// let hooks = PollHooks::new().after_poll(|_meta| {});
    /// assert!(hooks.has_after_poll() && !hooks.has_before_poll());
    /// ```
    pub fn after_poll(mut self, hook: impl Fn(&TaskMeta<'_>) + Send + Sync + 'static) -> Self {
        self.after = Some(Arc::new(hook));
        self
    }

    /// Whether a before-poll hook is set.
    ///
    /// ```
    /// use asyncwise::watchdog::PollHooks;
    ///
    /// assert!(PollHooks::new().before_poll(|_| {}).has_before_poll());
    /// ```
    pub fn has_before_poll(&self) -> bool {
        self.before.is_some()
    }

    /// Whether an after-poll hook is set.
    ///
    /// ```
    /// use asyncwise::watchdog::PollHooks;
    ///
    /// assert!(!PollHooks::new().before_poll(|_| {}).has_after_poll());
    /// ```
    pub fn has_after_poll(&self) -> bool {
        self.after.is_some()
    }
}

/// Sets `builder`'s task-poll hooks so that the running [`Watchdog`]
/// (if any) also watches tasks spawned with plain `tokio::spawn` (or any
/// other way) on the runtime it builds, reporting a blocking one as
/// `tokio task <id>` with its spawn location (Tokio's `spawned_at`: the
/// caller of `tokio::spawn`). Only with `RUSTFLAGS="--cfg tokio_unstable"`,
/// since Tokio's hooks are unstable.
///
/// **How it composes with your hooks.** It sets `on_before_task_poll` and
/// `on_after_task_poll` and nothing else (`on_task_spawn`,
/// `on_task_terminate` and the thread hooks are untouched). Tokio keeps one
/// callback per hook, so:
///
/// - a poll hook of yours set on `builder` **before** this call would be
///   replaced (Tokio cannot give it back): pass it in `user_hooks` instead;
///   yours runs first before a poll and last after it, around the
///   watchdog's;
/// - a poll hook set on `builder` **after** this call replaces the
///   watchdog's: do not.
///
/// Install once per builder, whether or not a watchdog runs yet: while none
/// runs, each poll costs an atomic load before it and a thread-local read
/// after it; a watchdog started later watches the runtime's tasks from
/// their next poll. A task spawned through
/// asyncwise while a watchdog runs is reported once, under its own name.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
/// use asyncwise::watchdog::{self, PollHooks, Watchdog};
///
/// let mut builder = tokio::runtime::Builder::new_current_thread();
/// builder.enable_all();
/// watchdog::install(&mut builder, PollHooks::new().after_poll(|meta| {
///     let _ = meta.id(); // a hook of your own
/// }));
/// let runtime = builder.build().unwrap();
///
/// let reported = Arc::new(Mutex::new(Vec::new()));
/// let sink = Arc::clone(&reported);
/// let _watchdog = Watchdog::builder()
///     .threshold(Duration::from_millis(20))
///     .on_blocked(move |report| sink.lock().unwrap().push(report.to_string()))
///     .start()
///     .unwrap();
/// let here = std::panic::Location::caller();
/// runtime.block_on(async {
///     tokio::spawn(async { std::thread::sleep(Duration::from_millis(100)) })
///         .await
///         .unwrap();
/// });
/// // Reported while it blocked, with the line of its `tokio::spawn`.
/// let first = &reported.lock().unwrap()[0];
/// assert!(first.starts_with("blocking_in_async: task `tokio task "), "{first}");
/// let spawn_line = format!("(spawned at {}:{}:", here.file(), here.line() + 2);
/// assert!(first.contains(&spawn_line), "{first}");
/// ```
///
/// [`Watchdog`]: super::Watchdog
pub fn install(builder: &mut Builder, user_hooks: PollHooks) -> &mut Builder {
    let PollHooks { before, after } = user_hooks;
    match before {
        Some(user) => builder.on_before_task_poll(move |meta| {
            user(meta);
            before_poll(meta);
        }),
        None => builder.on_before_task_poll(before_poll),
    };
    match after {
        Some(user) => builder.on_after_task_poll(move |meta| {
            after_poll(meta);
            user(meta);
        }),
        None => builder.on_after_task_poll(after_poll),
    }
}

/// The poll in progress on one worker thread, for the monitor.
#[derive(Debug)]
pub(crate) struct HookSlot {
    shared: Arc<Shared>,
    pub(super) watch: PollWatch,
    /// The polled task's id (Tokio's number for it).
    task_id: AtomicU64,
    /// The polled task's spawn location, as an index into [`LOCATIONS`].
    location: AtomicU32,
}

impl HookSlot {
    /// The name and spawn location of the task in the poll in progress; the
    /// caller checks afterwards that the poll has not changed meanwhile.
    pub(super) fn task(&self) -> (TaskName, &'static Location<'static>) {
        let id = self.task_id.load(Ordering::Relaxed);
        let index = self.location.load(Ordering::Relaxed);
        let location = LOCATIONS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .location(index);
        (format!("tokio task {id}").into(), location)
    }
}

/// Spawn locations by index, so that a slot can hold one in an atomic.
struct Locations {
    by_address: HashMap<usize, u32>,
    all: Vec<&'static Location<'static>>,
}

impl Locations {
    fn index(&mut self, location: &'static Location<'static>) -> u32 {
        let address = ptr::from_ref(location) as usize;
        if let Some(&index) = self.by_address.get(&address) {
            return index;
        }
        let index = u32::try_from(self.all.len()).unwrap_or(u32::MAX);
        if index != u32::MAX {
            self.all.push(location);
            self.by_address.insert(address, index);
        }
        index
    }

    fn location(&self, index: u32) -> &'static Location<'static> {
        usize::try_from(index)
            .ok()
            .and_then(|index| self.all.get(index).copied())
            .unwrap_or(Location::caller())
    }
}

static LOCATIONS: LazyLock<Mutex<Locations>> = LazyLock::new(|| {
    Mutex::new(Locations {
        by_address: HashMap::new(),
        all: Vec::new(),
    })
});

/// How many spawn locations each thread remembers without the global lock.
const CACHED_LOCATIONS: usize = 64;

/// A worker thread's side of the hooks.
struct ThreadHook {
    /// The watchdog generation `slot` belongs to (0: none yet).
    generation: u64,
    slot: Option<Arc<HookSlot>>,
    /// The sequence number of this thread's last poll.
    poll: u64,
    /// The coarse clock when the poll in progress started.
    start_tick: u64,
    /// A direct-mapped cache of spawn location addresses and their indices.
    locations: [(usize, u32); CACHED_LOCATIONS],
}

thread_local! {
    static THREAD_HOOK: RefCell<ThreadHook> = const {
        RefCell::new(ThreadHook {
            generation: 0,
            slot: None,
            poll: 0,
            start_tick: 0,
            locations: [(0, 0); CACHED_LOCATIONS],
        })
    };
}

fn before_poll(meta: &TaskMeta<'_>) {
    if !super::is_running() {
        return;
    }
    // `try_with`: a hook may run while the thread's locals are torn down.
    let _ = THREAD_HOOK.try_with(|hook| {
        if let Ok(mut hook) = hook.try_borrow_mut() {
            hook.begin(meta);
        }
    });
}

fn after_poll(_meta: &TaskMeta<'_>) {
    let _ = THREAD_HOOK.try_with(|hook| {
        if let Ok(mut hook) = hook.try_borrow_mut() {
            hook.end();
        }
    });
}

impl ThreadHook {
    fn begin(&mut self, meta: &TaskMeta<'_>) {
        let generation = super::generation();
        if self.generation != generation {
            self.attach(generation);
        }
        if self.slot.is_none() {
            return;
        }
        let location = self.location_index(meta.spawned_at());
        let Some(slot) = self.slot.as_deref() else {
            return;
        };
        let poll = self.poll.wrapping_add(1).max(1);
        self.poll = poll;
        // The identity is written while `in_poll` is 0 (since the last
        // poll's end); the fence keeps these stores after that one, so a
        // monitor that sees `poll` before and after reading them read this
        // poll's (see `monitor::confirm`).
        fence(Ordering::Release);
        slot.task_id
            .store(task_number(meta.id()), Ordering::Relaxed);
        slot.location.store(location, Ordering::Relaxed);
        slot.watch.in_poll.store(poll, Ordering::Release);
        self.start_tick = slot.shared.coarse_now_ns();
    }

    fn end(&mut self) {
        let Some(slot) = self.slot.as_deref() else {
            return;
        };
        // Only this thread writes `in_poll`.
        if slot.watch.in_poll.load(Ordering::Relaxed) == 0 {
            return;
        }
        slot.watch.in_poll.store(0, Ordering::Release);
        if slot.watch.reported.load(Ordering::Relaxed) == self.poll {
            let took = slot.shared.coarse_now_ns().saturating_sub(self.start_tick);
            slot.shared.hooked_poll_returned(slot, took);
        }
    }

    /// A new watchdog runs: this thread gets a slot registered with it.
    #[cold]
    fn attach(&mut self, generation: u64) {
        self.generation = generation;
        self.slot = super::current().map(|shared| {
            let slot = Arc::new(HookSlot {
                shared: Arc::clone(&shared),
                watch: PollWatch::default(),
                task_id: AtomicU64::new(0),
                location: AtomicU32::new(0),
            });
            slot.watch
                .thread
                .store(thread_state::current_index(), Ordering::Relaxed);
            shared.register_hook(&slot);
            slot
        });
    }

    fn location_index(&mut self, location: &'static Location<'static>) -> u32 {
        let address = ptr::from_ref(location) as usize;
        // Locations are at least 8-byte aligned and 24 bytes apart.
        let entry = &mut self.locations[(address >> 3) % CACHED_LOCATIONS];
        if entry.0 != address {
            let index = LOCATIONS
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .index(location);
            *entry = (address, index);
        }
        entry.1
    }
}

/// Tokio's number for a task: `Id` shows it (`Display`) and hashes it, but
/// has no public accessor; capturing what its `Hash` writes costs nothing
/// per poll, where formatting would not.
fn task_number(id: tokio::task::Id) -> u64 {
    #[derive(Default)]
    struct Capture(u64);
    impl Hasher for Capture {
        fn finish(&self) -> u64 {
            self.0
        }
        fn write(&mut self, bytes: &[u8]) {
            for &byte in bytes {
                self.0 = self.0.rotate_left(8) ^ u64::from(byte);
            }
        }
        fn write_u64(&mut self, n: u64) {
            self.0 = n;
        }
    }
    let mut capture = Capture::default();
    id.hash(&mut capture);
    capture.finish()
}
