//! Functions and methods that spawn an async task.

/// Canonical paths of task-spawning functions.
pub const SPAWN_FNS: &[&str] = &[
    "tokio::spawn",
    "tokio::task::spawn",
    "tokio::task::spawn_local",
    "async_std::task::spawn",
    "async_std::task::spawn_local",
    "smol::spawn",
    "async_global_executor::spawn",
];

/// Task-spawning methods, by receiver type.
pub const SPAWN_METHODS: &[(&str, &[&str])] = &[
    (
        "tokio::task::JoinSet",
        &["spawn", "spawn_local", "spawn_on", "spawn_local_on"],
    ),
    ("tokio::runtime::Handle", &["spawn"]),
    ("tokio::runtime::Runtime", &["spawn"]),
    ("tokio::task::LocalSet", &["spawn_local"]),
];

/// Receiver types whose spawned tasks are owned by a collection (their handles are never
/// "discarded"): results come back through the collection.
pub const OWNING_SPAWNERS: &[&str] = &["tokio::task::JoinSet"];

/// Methods that bound the number of tasks in flight when called in the spawning loop:
/// semaphore permits.
pub const PERMIT_METHODS: &[&str] = &[
    "acquire",
    "acquire_owned",
    "acquire_many",
    "acquire_many_owned",
    "try_acquire",
    "try_acquire_owned",
    // async-lock / smol
    "acquire_arc",
    "try_acquire_arc",
];

/// Methods that drain a task collection (`JoinSet`, `FuturesUnordered`) inside a loop.
pub const DRAIN_METHODS: &[&str] = &[
    "join_next",
    "try_join_next",
    "join_next_with_id",
    "join_all",
];

/// Methods whose call in a loop makes it an accept loop (one task per accepted connection is
/// the idiom, bounded by the listener's backlog).
pub const ACCEPT_METHODS: &[&str] = &[
    "accept",
    "accept_with",
    "poll_accept",
    "incoming",
    "accept_bi",
    "accept_uni",
];

/// Receiver names that mark `x.next().await` as accepting connections (`incoming.next()`).
pub const ACCEPT_STREAM_NAMES: &[&str] = &["incoming", "listener", "acceptor"];

/// Methods that wrap a future without changing what it returns (`fut.instrument(span)`):
/// a spawned `fut.instrument(..)` fails exactly when `fut` does.
pub const FUTURE_WRAPPERS: &[&str] = &[
    "instrument",
    "in_current_span",
    "with_current_subscriber",
    "boxed",
];

/// Functions that wrap a future passed as their single argument (`Box::pin(fut)`).
pub const FUTURE_WRAPPER_FNS: &[&str] = &["pin", "new"];

/// Is `path` a task-spawning function?
///
/// ```
/// assert!(asyncwise_lint::knowledge::spawn::is_spawn_fn("tokio::spawn"));
/// ```
pub fn is_spawn_fn(path: &str) -> bool {
    SPAWN_FNS.contains(&path)
}

/// Is `method` on a receiver of type `receiver` a spawn?
pub fn is_spawn_method(receiver: &str, method: &str) -> bool {
    SPAWN_METHODS
        .iter()
        .any(|(t, ms)| *t == receiver && ms.contains(&method))
}

/// Methods that panic on an error or a `None`: a spawned task calling one can fail.
pub const UNWRAP_LIKE: &[&str] = &["unwrap", "expect"];
