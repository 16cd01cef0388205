//! Calls that block the calling thread, with the async replacement to suggest.

/// A free function or associated function that blocks.
#[derive(Debug, Clone, Copy)]
pub struct BlockingFn {
    /// Canonical path; a path ending in `::*` matches everything in that module.
    pub path: &'static str,
    /// What to use instead.
    pub hint: &'static str,
}

/// A method that blocks when called on a receiver of a given type.
#[derive(Debug, Clone, Copy)]
pub struct BlockingMethod {
    /// Canonical type path of the receiver; ending in `::*` matches every type of a module.
    pub receiver: &'static str,
    /// Method names.
    pub methods: &'static [&'static str],
    /// What to use instead.
    pub hint: &'static str,
}

const FS_HINT: &str = "use the `tokio::fs` equivalent, or run it in `tokio::task::spawn_blocking`";
const NET_HINT: &str = "use `tokio::net`, whose sockets yield to the runtime while they wait";
const PROCESS_HINT: &str =
    "use `tokio::process::Command`, or run it in `tokio::task::spawn_blocking`";
const MPSC_HINT: &str =
    "use `tokio::sync::mpsc` and `recv().await`, or receive in `tokio::task::spawn_blocking`";
const STDIN_READS: &[&str] = &[
    "read_line",
    "lines",
    "read_to_string",
    "read_to_end",
    "read",
    "read_exact",
    "bytes",
];
const STDIN_HINT: &str =
    "use `tokio::io::stdin()` with `AsyncBufReadExt`, or read in `tokio::task::spawn_blocking`";
const HTTP_HINT: &str = "use an async client (e.g. `reqwest::Client` with `.await`), or run it in `tokio::task::spawn_blocking`";

/// Blocking free functions.
pub const BLOCKING_FNS: &[BlockingFn] = &[
    BlockingFn {
        path: "std::thread::sleep",
        hint: "use `tokio::time::sleep(duration).await`",
    },
    BlockingFn {
        path: "std::fs::*",
        hint: FS_HINT,
    },
    BlockingFn {
        path: "std::fs::File::open",
        hint: FS_HINT,
    },
    BlockingFn {
        path: "std::fs::File::create",
        hint: FS_HINT,
    },
    BlockingFn {
        path: "std::fs::File::create_new",
        hint: FS_HINT,
    },
    BlockingFn {
        path: "std::net::TcpStream::connect",
        hint: NET_HINT,
    },
    BlockingFn {
        path: "std::net::TcpStream::connect_timeout",
        hint: NET_HINT,
    },
    BlockingFn {
        path: "std::net::ToSocketAddrs::to_socket_addrs",
        hint: "use `tokio::net::lookup_host(..).await`",
    },
    BlockingFn {
        path: "reqwest::blocking::*",
        hint: HTTP_HINT,
    },
    BlockingFn {
        path: "ureq::*",
        hint: HTTP_HINT,
    },
];

/// Blocking methods, by receiver type.
pub const BLOCKING_METHODS: &[BlockingMethod] = &[
    BlockingMethod {
        receiver: "std::fs::OpenOptions",
        methods: &["open"],
        hint: FS_HINT,
    },
    BlockingMethod {
        receiver: "std::io::Stdin",
        methods: STDIN_READS,
        hint: STDIN_HINT,
    },
    BlockingMethod {
        receiver: "std::io::StdinLock",
        methods: STDIN_READS,
        hint: STDIN_HINT,
    },
    BlockingMethod {
        receiver: "std::net::TcpListener",
        methods: &["accept", "incoming"],
        hint: NET_HINT,
    },
    BlockingMethod {
        receiver: "std::net::UdpSocket",
        methods: &["recv", "recv_from", "peek", "peek_from"],
        hint: NET_HINT,
    },
    BlockingMethod {
        receiver: "std::process::Command",
        methods: &["output", "status"],
        hint: PROCESS_HINT,
    },
    BlockingMethod {
        receiver: "std::process::Child",
        methods: &["wait", "wait_with_output"],
        hint: PROCESS_HINT,
    },
    BlockingMethod {
        receiver: "std::sync::mpsc::Receiver",
        methods: &["recv", "recv_timeout", "iter", "into_iter"],
        hint: MPSC_HINT,
    },
    BlockingMethod {
        receiver: "crossbeam_channel::Receiver",
        methods: &["recv", "recv_timeout", "iter", "into_iter"],
        hint: MPSC_HINT,
    },
    BlockingMethod {
        receiver: "std::sync::Condvar",
        methods: &[
            "wait",
            "wait_while",
            "wait_timeout",
            "wait_timeout_while",
            "wait_timeout_ms",
        ],
        hint: "use `tokio::sync::Notify` (or a `tokio::sync::watch` channel) and `.await` it",
    },
    BlockingMethod {
        receiver: "std::sync::Barrier",
        methods: &["wait"],
        hint: "use `tokio::sync::Barrier` and `.await` it",
    },
    BlockingMethod {
        receiver: "std::thread::JoinHandle",
        methods: &["join"],
        hint: "await a `tokio::task::spawn_blocking` handle instead of joining a thread",
    },
    BlockingMethod {
        receiver: "reqwest::blocking::*",
        methods: &["send", "text", "json", "bytes", "execute", "copy_to"],
        hint: HTTP_HINT,
    },
    BlockingMethod {
        receiver: "ureq::*",
        methods: &[
            "call",
            "send",
            "send_string",
            "send_json",
            "send_bytes",
            "send_form",
            "into_string",
            "into_json",
            "read_to_string",
        ],
        hint: HTTP_HINT,
    },
];

/// Functions that run a future to completion on the current thread (`block_on`).
pub const BLOCK_ON_FNS: &[&str] = &[
    "futures::executor::block_on",
    "futures_executor::block_on",
    "futures_lite::future::block_on",
    "async_std::task::block_on",
    "smol::block_on",
    "pollster::block_on",
    "async_io::block_on",
    "tokio::runtime::Runtime::block_on",
    "tokio::runtime::Handle::block_on",
];

/// Method names that run a future to completion on the current thread: `Runtime::block_on`,
/// `Handle::block_on`, `pollster::FutureExt::block_on`. Reported when the receiver's type is
/// unknown or one of [`BLOCK_ON_RECEIVERS`]; a receiver of another known type is left alone.
pub const BLOCK_ON_METHODS: &[&str] = &["block_on"];

/// Receiver types whose `block_on` method blocks the thread.
pub const BLOCK_ON_RECEIVERS: &[&str] = &[
    "tokio::runtime::Runtime",
    "tokio::runtime::Handle",
    "futures::executor::LocalPool",
    "Runtime",
    "Handle",
];

/// Does `pattern` (a table path, possibly ending in `::*`) match the canonical `path`?
///
/// `module::*` matches the module's own items only (`std::fs::read`), not paths into its types
/// (`std::fs::DirBuilder::new`).
///
/// ```
/// use asyncwise_lint::knowledge::blocking::path_matches;
/// assert!(path_matches("std::fs::*", "std::fs::read"));
/// assert!(!path_matches("std::fs::*", "tokio::fs::read"));
/// assert!(!path_matches("std::fs::*", "std::fs::DirBuilder::new"));
/// ```
pub fn path_matches(pattern: &str, path: &str) -> bool {
    match pattern.strip_suffix("::*") {
        Some(prefix) => path
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix("::"))
            .is_some_and(|item| !item.is_empty() && !item.contains("::")),
        None => pattern == path,
    }
}

/// The blocking free function `path` matches, if any.
pub fn blocking_fn(path: &str) -> Option<&'static BlockingFn> {
    BLOCKING_FNS.iter().find(|b| path_matches(b.path, path))
}

/// The blocking method `method` on `receiver` matches, if any.
pub fn blocking_method(receiver: &str, method: &str) -> Option<&'static BlockingMethod> {
    BLOCKING_METHODS
        .iter()
        .find(|b| path_matches(b.receiver, receiver) && b.methods.contains(&method))
}
