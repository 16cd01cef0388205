//! Functions that run a closure away from the async executor's worker thread: blocking code
//! inside these closures is the fix, not the problem.

/// Canonical paths of functions whose closure arguments run off the executor.
pub const OFFLOAD_FNS: &[&str] = &[
    "tokio::task::spawn_blocking",
    "tokio::task::block_in_place",
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
];

/// Functions that keep a closure to run later, somewhere not known here (a `Box<dyn Fn>`
/// field, a panic hook, a failpoint callback): the closure is not the enclosing async context.
/// Matched on their last two path segments, so `Box::new` and `std::boxed::Box::new` both are.
pub const STORING_FNS: &[&str] = &[
    "Box::new",
    "Arc::new",
    "Rc::new",
    "panic::set_hook",
    "fail::cfg_callback",
];

/// Does a sync closure handed to `path` get stored for later rather than run inline?
///
/// ```
/// use asyncwise_lint::knowledge::offload::stores_closure;
/// assert!(stores_closure("std::boxed::Box::new"));
/// assert!(stores_closure("Box::new"));
/// assert!(!stores_closure("Option::map"));
/// ```
pub fn stores_closure(path: &str) -> bool {
    let mut parts = path.rsplit("::");
    let (Some(last), Some(owner)) = (parts.next(), parts.next()) else {
        return false;
    };
    STORING_FNS
        .iter()
        .any(|f| f.split_once("::") == Some((owner, last)))
}

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

/// Does a sync closure handed to the function or method `path` run off the executor? True for
/// the known offloaders and for any function whose last segment is an offloading name (a
/// crate's own `spawn_blocking` wrapper, tokio's `loom::thread::spawn` shim).
///
/// ```
/// use asyncwise_lint::knowledge::offload::offloads_closure;
/// assert!(offloads_closure("crate::task::spawn_blocking"));
/// assert!(!offloads_closure("std::iter::Iterator::map"));
/// ```
pub fn offloads_closure(path: &str) -> bool {
    is_offload_fn(path) || OFFLOAD_METHODS.contains(&path.rsplit("::").next().unwrap_or(path))
}

/// Is `path` an offloading function?
///
/// ```
/// assert!(asyncwise_lint::knowledge::offload::is_offload_fn("tokio::task::spawn_blocking"));
/// assert!(!asyncwise_lint::knowledge::offload::is_offload_fn("tokio::spawn"));
/// ```
pub fn is_offload_fn(path: &str) -> bool {
    OFFLOAD_FNS.contains(&path)
}
