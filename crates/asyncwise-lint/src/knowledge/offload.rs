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
    "actix_web::web::block",
    "tokio_rayon::spawn",
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
