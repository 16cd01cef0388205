//! Functions that run a closure away from the async executor's worker thread: blocking code
//! inside these closures is the fix, not the problem. Matching code asks
//! [`Knowledge`](super::Knowledge) (`offloads_closure`, `stores_closure`), which holds these rows
//! and a configuration's `offload` rows.

/// Canonical paths of functions whose closure arguments run off the executor.
pub const OFFLOAD_FNS: &[&str] = &[
    "tokio::task::spawn_blocking",
    "tokio::task::block_in_place",
    // This project's runtime crate: tokio's `block_in_place`, marked for its watchdog.
    "asyncwise::watchdog::block_in_place",
    "std::thread::spawn",
    "std::thread::scope",
    "rayon::spawn",
    "rayon::spawn_fifo",
    "rayon::scope",
    "rayon::scope_fifo",
    "rayon::join",
    "async_std::task::spawn_blocking",
    "smol::unblock",
    "blocking::unblock",
    "async_global_executor::spawn_blocking",
    "actix_web::web::block",
    "tokio_rayon::spawn",
    // Callbacks run on a thread of their own.
    "ctrlc::set_handler",
    "ctrlc::try_set_handler",
    // notify calls a watcher's event handler from the watcher's own thread (its inotify,
    // FSEvents, kqueue, Windows or polling event loop), and so do the debouncers built on it.
    "notify::recommended_watcher",
    "notify::RecommendedWatcher::new",
    "notify::PollWatcher::new",
    "notify::INotifyWatcher::new",
    "notify::FsEventWatcher::new",
    "notify::KqueueWatcher::new",
    "notify::ReadDirectoryChangesWatcher::new",
    "notify_debouncer_mini::new_debouncer",
    "notify_debouncer_full::new_debouncer",
];

/// Functions that keep a closure to run later, somewhere not known here (a `Box<dyn Fn>`
/// field, a panic hook, a failpoint callback): the closure is not the enclosing async context.
/// Matched on their last two path segments, so `Box::new` and `std::boxed::Box::new` both are
/// (see [`Knowledge::stores_closure`](super::Knowledge::stores_closure)).
pub const STORING_FNS: &[&str] = &[
    "Box::new",
    "Arc::new",
    "Rc::new",
    "panic::set_hook",
    "fail::cfg_callback",
];

/// Method names whose closure arguments run off the executor, whatever the receiver:
/// `Handle::spawn_blocking`, `thread::Builder::spawn`, `Scope::spawn`, deadpool's `interact`,
/// `rayon::ThreadPool::install`. A sync closure handed to a method named `spawn` can only be a
/// thread spawn (task spawns take futures).
pub const OFFLOAD_METHODS: &[&str] = &[
    "spawn_blocking",
    "block_in_place",
    "spawn",
    "spawn_scoped",
    "scope",
    "install",
    "interact",
    "unblock",
];
