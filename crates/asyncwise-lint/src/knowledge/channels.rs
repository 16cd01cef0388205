//! Channel constructors that make unbounded queues.

/// An unbounded channel constructor.
#[derive(Debug, Clone, Copy)]
pub struct ChannelConstructor {
    /// Canonical path.
    pub path: &'static str,
    /// Reported everywhere (async-only channels), or only inside async code (sync channels,
    /// which are legitimate between threads).
    pub only_in_async: bool,
    /// The bounded replacement.
    pub hint: &'static str,
}

/// Unbounded channel constructors.
pub const CHANNEL_CONSTRUCTORS: &[ChannelConstructor] = &[
    ChannelConstructor {
        path: "tokio::sync::mpsc::unbounded_channel",
        only_in_async: false,
        hint: "use `tokio::sync::mpsc::channel(capacity)`: senders then wait (`send().await`) when the receiver falls behind",
    },
    ChannelConstructor {
        path: "futures::channel::mpsc::unbounded",
        only_in_async: false,
        hint: "use `futures::channel::mpsc::channel(capacity)`",
    },
    ChannelConstructor {
        path: "futures_channel::mpsc::unbounded",
        only_in_async: false,
        hint: "use `futures_channel::mpsc::channel(capacity)`",
    },
    ChannelConstructor {
        path: "async_channel::unbounded",
        only_in_async: false,
        hint: "use `async_channel::bounded(capacity)`",
    },
    ChannelConstructor {
        path: "async_std::channel::unbounded",
        only_in_async: false,
        hint: "use `async_std::channel::bounded(capacity)`",
    },
    ChannelConstructor {
        path: "smol::channel::unbounded",
        only_in_async: false,
        hint: "use `smol::channel::bounded(capacity)`",
    },
    ChannelConstructor {
        path: "flume::unbounded",
        only_in_async: false,
        hint: "use `flume::bounded(capacity)` with `send_async().await`",
    },
    ChannelConstructor {
        path: "kanal::unbounded_async",
        only_in_async: false,
        hint: "use `kanal::bounded_async(capacity)`",
    },
    ChannelConstructor {
        path: "std::sync::mpsc::channel",
        only_in_async: true,
        hint: "use `tokio::sync::mpsc::channel(capacity)` in async code",
    },
    ChannelConstructor {
        path: "crossbeam_channel::unbounded",
        only_in_async: true,
        hint: "use `tokio::sync::mpsc::channel(capacity)` in async code",
    },
    ChannelConstructor {
        path: "crossbeam::channel::unbounded",
        only_in_async: true,
        hint: "use `tokio::sync::mpsc::channel(capacity)` in async code",
    },
    ChannelConstructor {
        path: "kanal::unbounded",
        only_in_async: true,
        hint: "use `kanal::bounded_async(capacity)` in async code",
    },
];

/// The unbounded constructor `path` names, if any.
///
/// ```
/// let c = asyncwise_lint::knowledge::channels::unbounded_constructor("flume::unbounded").unwrap();
/// assert!(!c.only_in_async);
/// ```
pub fn unbounded_constructor(path: &str) -> Option<&'static ChannelConstructor> {
    CHANNEL_CONSTRUCTORS.iter().find(|c| c.path == path)
}

/// Words in a sender's name that mark a low-volume control channel (`shutdown_tx`, `stop_tx`).
pub const CONTROL_SENDER_WORDS: &[&str] = &[
    "shutdown", "stop", "quit", "close", "cancel", "exit", "kill", "term", "done", "ready",
];
