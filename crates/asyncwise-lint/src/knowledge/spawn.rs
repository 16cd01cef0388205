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
    "async_global_executor::spawn_local",
    "glommio::spawn_local",
    "monoio::spawn",
];

/// Methods of executor traits that run the future they are handed as a task of its own:
/// hyper's `rt::Executor::execute` (implemented with `tokio::spawn` by hyper-util's
/// `TokioExecutor` and axum's serve executor), futures' `ThreadPool::spawn_ok`. The receiver
/// is usually a generic `E: Executor`, so they are known by name, and taken for a spawn only
/// when handed an async block: `execute` also names a database's query call.
pub const EXECUTOR_METHODS: &[&str] = &["execute", "spawn_ok"];

/// Spawns whose task keeps running when its handle is dropped, so a task whose handle is
/// discarded can be cancelled only by the runtime shutting down. (smol's and
/// async-executor's `Task` cancels the task when dropped, and is not here.)
pub const DETACHED_ON_DROP: &[&str] = &[
    "tokio::spawn",
    "tokio::task::spawn",
    "tokio::task::spawn_local",
    "tokio::runtime::Handle::spawn",
    "tokio::runtime::Runtime::spawn",
    "tokio::task::LocalSet::spawn_local",
    "async_std::task::spawn",
    "async_std::task::spawn_local",
];

/// Methods that let a spawned task run on without its handle: smol's, async-executor's and
/// async-task's `Task::detach` (their `Task` cancels the task when dropped, so `.detach()` is
/// how such a task is made to outlive its handle; docs.rs/async-task, `Task::detach`). A spawn
/// whose handle is detached is as unwatched as one whose handle is discarded.
pub const DETACH_METHODS: &[&str] = &["detach"];

/// Calls that abort a spawned task, or keep the means to: tokio's `JoinHandle::abort` and
/// `abort_handle` (docs.rs/tokio, `task::JoinHandle`), `JoinSet::abort_all`, tokio-util's
/// `AbortOnDropHandle::new` (aborts when dropped). Methods by name, functions by path.
/// async-std's `JoinHandle::cancel` is left out: `cancel` names a `CancellationToken`'s
/// method far more often, which cancels nothing by itself.
pub const TASK_ABORTS: &[&str] = &[
    "abort",
    "abort_handle",
    "abort_all",
    "tokio_util::task::AbortOnDropHandle::new",
];

/// Task-spawning methods, by receiver type.
pub const SPAWN_METHODS: &[(&str, &[&str])] = &[
    (
        "tokio::task::JoinSet",
        &["spawn", "spawn_local", "spawn_on", "spawn_local_on"],
    ),
    ("tokio::runtime::Handle", &["spawn"]),
    // smol and async-std executors
    ("smol::Executor", &["spawn"]),
    ("smol::LocalExecutor", &["spawn"]),
    ("async_executor::Executor", &["spawn"]),
    ("async_executor::LocalExecutor", &["spawn"]),
    ("async_std::task::Builder", &["spawn", "local"]),
    ("tokio::runtime::Runtime", &["spawn"]),
    ("tokio::task::LocalSet", &["spawn_local"]),
    (
        "tokio_util::task::TaskTracker",
        &["spawn", "spawn_local", "spawn_on", "spawn_local_on"],
    ),
    (
        "tokio_util::task::task_tracker::TaskTracker",
        &["spawn", "spawn_local"],
    ),
    (
        "asyncwise::TaskGroup",
        &["spawn", "spawn_wait", "try_spawn"],
    ),
    (
        "asyncwise::task_group::TaskGroup",
        &["spawn", "spawn_wait", "try_spawn"],
    ),
    (UNBOUNDED_TASK_GROUP, &["spawn", "spawn_wait", "try_spawn"]),
    ("asyncwise::Spawner", &["spawn", "spawn_wait", "try_spawn"]),
    (
        "asyncwise::task_group::Spawner",
        &["spawn", "spawn_wait", "try_spawn"],
    ),
    ("asyncwise::Shutdown", &["spawn"]),
    ("asyncwise::shutdown::Shutdown", &["spawn"]),
];

/// The light type of a `TaskGroup` built with `TaskGroup::new()`/`default()` (no concurrency
/// limit): its `spawn(..).await` returns as soon as the task is spawned. A `TaskGroup` of any
/// other origin (`TaskGroup::bounded(n)`, a field or parameter) is taken to be bounded.
pub const UNBOUNDED_TASK_GROUP: &str = "asyncwise::TaskGroup(unbounded)";

/// Spawners whose `spawn` waits for a free slot: a bound on a loop's spawns.
pub const BOUNDING_SPAWNERS: &[&str] = &[
    "asyncwise::TaskGroup::",
    "asyncwise::task_group::TaskGroup::",
];

/// Spawners whose `spawn` returns a future that only spawns (awaiting it is no bound).
pub const SPAWN_RETURNS_FUTURE: &[&str] = &["asyncwise::TaskGroup(unbounded)::"];

/// Which argument of a spawning method is the future: asyncwise's spawners take a task name
/// first (`group.spawn("fetch", fut)`).
///
/// ```
/// use asyncwise_lint::knowledge::spawn::future_arg;
/// assert_eq!(future_arg("asyncwise::TaskGroup"), 1);
/// assert_eq!(future_arg("tokio::task::JoinSet"), 0);
/// ```
pub fn future_arg(receiver: &str) -> usize {
    usize::from(receiver.starts_with("asyncwise::"))
}

/// Names of spawning functions and methods, whatever their receiver: a task spawned from a
/// task body fails on its own, not as part of the body.
pub const SPAWN_METHOD_NAMES: &[&str] = &["spawn", "spawn_local", "spawn_blocking", "spawn_on"];

/// Whether a function the tables do not know may be a spawn wrapper of the workspace, by its
/// path: named `spawn` or `spawn_*` (not `spawn_blocking*`, which runs a closure), and not of
/// std. Only such calls are kept for the crate index to settle (see
/// `model/analysis/spawn_wrappers.rs`).
///
/// ```
/// use asyncwise_lint::knowledge::spawn::may_name_spawn_wrapper;
/// assert!(may_name_spawn_wrapper("russh_util::runtime::spawn"));
/// assert!(may_name_spawn_wrapper("crate::rt::spawn_named"));
/// assert!(!may_name_spawn_wrapper("std::thread::spawn"));
/// assert!(!may_name_spawn_wrapper("crate::pool::spawn_blocking"));
/// assert!(!may_name_spawn_wrapper("crate::respawn"));
/// ```
pub fn may_name_spawn_wrapper(path: &str) -> bool {
    let name = crate::path_text::last_segment(path);
    let root = crate::path_text::first_segment(path);
    (name == "spawn" || name.starts_with("spawn_"))
        && !name.starts_with("spawn_blocking")
        && !matches!(root, "std" | "core" | "alloc")
}

/// Receiver types whose spawned tasks are owned by a collection (their handles are never
/// "discarded"): results come back through the collection.
/// asyncwise's `Shutdown` records every tracked task's error and panic, with its name and spawn
/// location, in its report (and the exit code), so its tasks lose nothing either.
pub const OWNING_SPAWNERS: &[&str] = &[
    "tokio::task::JoinSet",
    "asyncwise::TaskGroup",
    "asyncwise::task_group::TaskGroup",
    UNBOUNDED_TASK_GROUP,
    "asyncwise::Spawner",
    "asyncwise::task_group::Spawner",
    "asyncwise::Shutdown",
    "asyncwise::shutdown::Shutdown",
];

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
///
/// `try_join_next` is not one: it only reaps tasks that already finished and never waits, so a
/// loop that calls it still starts a task per iteration however many are running.
pub const DRAIN_METHODS: &[&str] = &["join_next", "join_next_with_id", "join_all"];

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

/// Listeners whose clients are processes of the same machine (Unix-domain sockets): an accept
/// loop on one that only writes a reply to each connection is the pedantic form of
/// `inline_accept_loop`, since a local client reads at memory speed and a reply that fits in
/// the socket buffer is written at once.
pub const LOCAL_LISTENER_TYPES: &[&str] = &[
    "tokio::net::UnixListener",
    "async_std::os::unix::net::UnixListener",
    "smol::net::unix::UnixListener",
    "async_net::unix::UnixListener",
];

/// Methods that only write to a connection (the client never has to send anything for them to
/// finish): `write_all`, `flush`, `shutdown` and friends of tokio's, futures' and async-std's
/// write extension traits.
pub const WRITE_ONLY_METHODS: &[&str] = &[
    "write",
    "write_all",
    "write_buf",
    "write_all_buf",
    "write_vectored",
    "write_fmt",
    "flush",
    "shutdown",
    "close",
];

/// Receiver names that mark `x.next().await` as accepting connections (`incoming.next()`).
pub const ACCEPT_STREAM_NAMES: &[&str] = &[
    "incoming",
    "listener",
    "acceptor",
    "listen",
    "server",
    "connections",
];

/// Methods that put a task (or its handle) into a collection: `set.spawn(..)`,
/// `handles.push(..)`.
pub const FILL_METHODS: &[&str] = &[
    "spawn",
    "spawn_on",
    "spawn_local",
    "spawn_local_on",
    "spawn_blocking",
    "spawn_blocking_on",
    "push",
    "push_back",
    "insert",
    "extend",
];

/// Functions that wait for a whole collection of tasks or futures: `join_all(handles)`.
pub const JOIN_FNS: &[&str] = &["join_all", "try_join_all", "join", "try_join"];

/// Traits whose `poll*` methods the executor calls on its own thread whenever it polls the
/// value (std's `Future`, futures' `Stream` and `Sink`, tokio's and futures' I/O traits): a
/// blocking call there blocks the worker as one in an `async fn` does. By last segment.
pub const POLLED_TRAITS: &[&str] = &[
    "Future",
    "Stream",
    "Sink",
    "AsyncRead",
    "AsyncWrite",
    "AsyncBufRead",
    "AsyncSeek",
];

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

/// Methods that panic on an error or a `None`: a spawned task calling one can fail.
pub const UNWRAP_LIKE: &[&str] = &["unwrap", "expect"];

/// Methods that change an error on its way to a `?` (std, anyhow, eyre, error-stack): an
/// awaited call ending in one of these is still examined as a fallible call.
pub const ERROR_ADAPTERS: &[&str] = &[
    "map_err",
    "context",
    "with_context",
    "wrap_err",
    "wrap_err_with",
    "inspect_err",
    "change_context",
    "attach_printable",
];

/// Methods that run a closure on the error (or the `None`) before `?` passes it on
/// (`inspect_err`, `map_err`, `or_else`, `ok_or_else`): a closure that logs makes that `?` a
/// logged exit, and a task that ends through one has said why it failed.
pub const ERROR_INSPECTORS: &[&str] = &["inspect_err", "map_err", "or_else", "ok_or_else"];

/// Text that shows a file runs things concurrently (besides the spawns the model finds): joins
/// and selects, task sets, servers and routers. A binary none of whose files has any of these
/// runs its async code one step after another, so a blocking call there stalls nobody else.
pub const CONCURRENCY_MARKERS: &[&str] = &[
    "select!",
    "join!",
    "join_all",
    "try_join_all",
    "FuturesUnordered",
    "JoinSet",
    "TaskGroup",
    "TaskTracker",
    "buffer_unordered",
    "for_each_concurrent",
    // task spawns the model may not resolve (the model's own spawn facts count too); a bare
    // `spawn` would also match process spawns and names like `spawn_child`
    "tokio::spawn",
    "task::spawn",
    "spawn_local",
    "serve(",
    "serve_with",
    "HttpServer",
    "Router",
    ".route(",
    "#[get",
    "#[post",
    "#[put",
    "#[delete",
    "Server::builder",
    ".accept()",
    "incoming()",
    // request handlers, whose server is set up elsewhere
    "State(",
    "Json(",
    "Extension(",
    "HttpRequest",
    "HttpResponse",
    "IntoResponse",
    "Responder",
    "Request<",
    "Response<",
    "#[tonic",
    "#[async_trait",
];
