//! Futures that are not cancellation safe: dropping one before it completes (another
//! `select!` branch won) loses work or data. From the "Cancel safety" sections of tokio's
//! documentation; each row names the documented item it comes from.
//!
//! Rows match by method name when the name is specific enough to mean the documented method
//! (`read_exact`, `write_all`); rows with a `receiver` match only when the receiver's type is
//! known to be that type (`send` means many things; on a `tokio::sync::mpsc::Sender` it loses
//! the message). Left out on purpose: `Notify::notified` (losing a place in its queue is
//! harmless for the shutdown signals it is used for in `select!` loops) and `RwLock`'s
//! `read`/`write` by name (the same names are cancel-safe `AsyncReadExt::read` and
//! `AsyncWriteExt::write`).

/// A method whose future is not cancellation safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CancelUnsafe {
    /// The method's name.
    pub method: &'static str,
    /// The receiver type the row requires, when the name alone is ambiguous.
    pub receiver: Option<&'static str>,
    /// The documented item, e.g. `tokio::io::AsyncReadExt::read_exact`.
    pub source: &'static str,
    /// What is lost when the future is dropped early, for messages.
    pub loses: &'static str,
}

impl CancelUnsafe {
    /// Dropping it loses only a turn in a wait queue (a lock or a permit), no data.
    pub fn loses_only_queue_place(&self) -> bool {
        std::ptr::eq(self.loses, QUEUE) || self.loses == QUEUE
    }

    /// Dropping it leaves a byte stream out of step (a partial read or write): what a timeout
    /// that is retried gets wrong. A lock or permit request given up on a timeout, or a message
    /// a timed-out `send` drops, is what a timeout is usually there to do.
    pub fn drops_stream_bytes(&self) -> bool {
        self.loses == PARTIAL_READ || self.loses == PARTIAL_WRITE
    }
}

const PARTIAL_READ: &str = "the bytes it has already read are lost";
const PARTIAL_WRITE: &str = "a part of the data may already be written, and the rest is not";
/// What a dropped lock or permit request loses: only its turn.
pub(crate) const QUEUE: &str = "it loses its place in the queue, so waiters behind it go first";

macro_rules! rows {
    ($owner:literal, $loses:expr, [$($m:literal),* $(,)?]) => {
        [$(CancelUnsafe { method: $m, receiver: None, source: concat!($owner, "::", $m), loses: $loses }),*]
    };
}

const READ_EXT: [CancelUnsafe; 23] = rows!(
    "tokio::io::AsyncReadExt",
    PARTIAL_READ,
    [
        "read_exact",
        "read_u16",
        "read_i16",
        "read_u32",
        "read_i32",
        "read_u64",
        "read_i64",
        "read_u128",
        "read_i128",
        "read_f32",
        "read_f64",
        "read_u16_le",
        "read_i16_le",
        "read_u32_le",
        "read_i32_le",
        "read_u64_le",
        "read_i64_le",
        "read_u128_le",
        "read_i128_le",
        "read_f32_le",
        "read_f64_le",
        // No "Cancel safety" section: they read until EOF in many steps, like `read_exact`, and a
        // dropped future's partial data is left in a buffer the next call does not continue from.
        "read_to_end",
        "read_to_string",
    ]
);

const BUF_READ_EXT: [CancelUnsafe; 2] = rows!(
    "tokio::io::AsyncBufReadExt",
    PARTIAL_READ,
    [
        // `read_until` documents that the partial bytes are appended to `buf`: safe only when the
        // same buffer is reused by the next call, which a fresh call in a `select!` loop rarely does.
        "read_line",
        "read_until",
    ]
);

const WRITE_EXT: [CancelUnsafe; 2] = rows!(
    "tokio::io::AsyncWriteExt",
    PARTIAL_WRITE,
    ["write_all", "write_all_buf",]
);

const WRITE_NUM: [CancelUnsafe; 18] = rows!(
    "tokio::io::AsyncWriteExt",
    PARTIAL_WRITE,
    [
        // No "Cancel safety" section; they keep the encoded bytes inside the future, as `write_all`
        // does, so a dropped future may have written only a part of the number.
        "write_u16",
        "write_i16",
        "write_u32",
        "write_i32",
        "write_u64",
        "write_i64",
        "write_u128",
        "write_i128",
        "write_f32",
        "write_f64",
        "write_u16_le",
        "write_i16_le",
        "write_u32_le",
        "write_i32_le",
        "write_u64_le",
        "write_i64_le",
        "write_u128_le",
        "write_i128_le",
    ]
);

const QUEUED: [CancelUnsafe; 9] = [
    CancelUnsafe {
        method: "lock",
        receiver: None,
        source: "tokio::sync::Mutex::lock",
        loses: QUEUE,
    },
    CancelUnsafe {
        method: "lock_owned",
        receiver: None,
        source: "tokio::sync::Mutex::lock_owned",
        loses: QUEUE,
    },
    CancelUnsafe {
        method: "acquire",
        receiver: None,
        source: "tokio::sync::Semaphore::acquire",
        loses: QUEUE,
    },
    CancelUnsafe {
        method: "acquire_many",
        receiver: None,
        source: "tokio::sync::Semaphore::acquire_many",
        loses: QUEUE,
    },
    CancelUnsafe {
        method: "acquire_owned",
        receiver: None,
        source: "tokio::sync::Semaphore::acquire_owned",
        loses: QUEUE,
    },
    CancelUnsafe {
        method: "acquire_many_owned",
        receiver: None,
        source: "tokio::sync::Semaphore::acquire_many_owned",
        loses: QUEUE,
    },
    CancelUnsafe {
        method: "read",
        receiver: Some("tokio::sync::RwLock"),
        source: "tokio::sync::RwLock::read",
        loses: QUEUE,
    },
    CancelUnsafe {
        method: "write",
        receiver: Some("tokio::sync::RwLock"),
        source: "tokio::sync::RwLock::write",
        loses: QUEUE,
    },
    CancelUnsafe {
        method: "wait",
        receiver: Some("tokio::sync::Barrier"),
        source: "tokio::sync::Barrier::wait",
        loses: "the task's arrival at the barrier is undone",
    },
];

const CHANNEL: [CancelUnsafe; 1] = [CancelUnsafe {
    method: "send",
    receiver: Some("tokio::sync::mpsc::Sender"),
    source: "tokio::sync::mpsc::Sender::send",
    loses: "the message is dropped and lost (and the sender loses its place in the queue)",
}];

/// Every row.
pub fn rows() -> impl Iterator<Item = &'static CancelUnsafe> {
    READ_EXT
        .iter()
        .chain(&BUF_READ_EXT)
        .chain(&WRITE_EXT)
        .chain(&WRITE_NUM)
        .chain(&QUEUED)
        .chain(&CHANNEL)
}

/// The built-in rows as a list.
pub fn builtin() -> Vec<CancelUnsafe> {
    rows().copied().collect()
}

/// Calls that race a future against a deadline and drop it when the time runs out: the
/// function's canonical path and which argument (0-based) is the future. What such a call
/// polls can be cancelled at any of its await points, as a losing `select!` branch can.
///
/// ```
/// use asyncwise_lint::knowledge::cancel_safety::timeout_future_argument;
/// assert_eq!(timeout_future_argument("tokio::time::timeout"), Some(1));
/// assert_eq!(timeout_future_argument("tokio::time::sleep"), None);
/// ```
pub const TIMEOUT_FNS: &[(&str, usize)] = &[
    // tokio::time::timeout: "If the future completes before the duration has elapsed, then
    // the completed value is returned. Otherwise, an error is returned and the future is
    // canceled."
    ("tokio::time::timeout", 1),
    ("tokio::time::timeout_at", 1),
    ("async_std::future::timeout", 1),
    ("async_std::io::timeout", 1),
    ("monoio::time::timeout", 1),
    ("compio::time::timeout", 1),
];

/// Extension-trait methods called on a future that race it against a deadline
/// (`fut.timeout(d)`: `tokio_util::time::FutureExt`, `async_std::future::FutureExt`,
/// `futures_time::future::FutureExt`): the receiver is the future that is dropped.
pub const TIMEOUT_METHODS: &[&str] = &["timeout", "timeout_at"];

/// Which argument of a call of `path` is a future a deadline may drop, per [`TIMEOUT_FNS`].
pub fn timeout_future_argument(path: &str) -> Option<usize> {
    TIMEOUT_FNS
        .iter()
        .find(|(p, _)| *p == path)
        .map(|&(_, arg)| arg)
}
