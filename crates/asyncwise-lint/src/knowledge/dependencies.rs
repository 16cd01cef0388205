//! Blocking work reached through registry dependency crates: which crates are read, and which
//! of a dependency's blocking calls make its callers' findings, in which form.
//!
//! A dependency is a library written for every kind of caller: its sync functions block on
//! purpose (a sync client is sync), but many block only on a rare path — a constructor that
//! reads the system's certificates, a configuration loader, a lazily filled cache. What
//! propagates out of a dependency is therefore chosen by the kind of the blocking call, from
//! what the labelled field sets showed (see the README's accuracy section):
//!
//! * **Default form**: waiting on a child process, a std socket (connect, accept, receive), a
//!   blocking HTTP, database, SMTP or SSH client, libgit2's network work, a connection pool's
//!   wait, password hashing. A function of a dependency that makes such a call does so every
//!   time it runs.
//! * **Pedantic form**: filesystem work, whole-archive and image work, DNS lookups, thread
//!   sleeps, and waits on the dependency's own threads (channel receives, condition
//!   variables, barriers, joins). File access inside a library is mostly its own set-up
//!   (certificates, configuration, caches); a wait on its own threads is often instant; a
//!   sleep inside a library is a back-off on a contended path (on the field sets, every one
//!   of the 37 findings through a dependency's `std::thread::sleep` was flume's spin-lock
//!   back-off under `Sender::send` or moka's full-queue back-off under `Cache::insert`); and
//!   a library resolves host names where it is set up (all 6 DNS lookups through a
//!   dependency on the field sets resolved a bind address, a peer list or a metrics host once
//!   at start-up).
//! * **Never**: filesystem work reached through a dependency's constructor or configuration
//!   entry point ([`QUIET_ENTRY_POINTS`]); metadata-only calls; reads of standard input (a
//!   prompt library waits for the person, not for a socket); tokio's `blocking_*` methods in a
//!   dependency's sync facade (they are the sync caller's API).

use super::blocking::{self, Cost};

/// Crates whose source is never read: async runtimes and their companions, whose blocking
/// entry points (`block_on`, `block_in_place`, `blocking_recv`) the tables already know, and
/// logging facades. They are large and named by almost every call in async code.
pub const UNREAD_CRATES: &[&str] = &[
    "tokio",
    "tokio_util",
    "tokio_stream",
    "futures",
    "futures_util",
    "futures_core",
    "futures_executor",
    "futures_lite",
    "async_std",
    "smol",
    "async_executor",
    "async_io",
    "actix_rt",
    "actix_web",
    "pollster",
    "tracing",
    "log",
    "std",
    "core",
    "alloc",
];

/// Names of dependency functions through which filesystem work never makes a finding: the
/// constructors and configuration entry points that read certificates, configuration files or
/// caches once (`Client::new`, `Config::from_env`, `Builder::build`).
pub const QUIET_ENTRY_POINTS: &[&str] = &[
    "new",
    "default",
    "builder",
    "build",
    "from_env",
    "load",
    "init",
    "open",
    "with_config",
    "from_config",
];

/// How a blocking call inside a dependency crate reaches the dependency's callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    /// A finding in the default form (the rule's other judgements still apply).
    Default,
    /// A finding in the pedantic form.
    Pedantic,
    /// No finding: the call is dropped from the dependency's summary.
    Never,
}

/// How a blocking call with the blocking table's `what`, `hint` and `cost`, made inside a
/// dependency crate, propagates to async callers of the dependency.
///
/// ```
/// use asyncwise_lint::knowledge::dependencies::{Propagation, propagation};
/// use asyncwise_lint::knowledge::blocking::{Cost, blocking_fn};
/// let connect = blocking_fn("std::net::TcpStream::connect").unwrap();
/// assert_eq!(propagation("`std::net::TcpStream::connect`", connect.hint, connect.cost), Propagation::Default);
/// let sleep = blocking_fn("std::thread::sleep").unwrap();
/// assert_eq!(propagation("`std::thread::sleep`", sleep.hint, sleep.cost), Propagation::Pedantic);
/// let read = blocking_fn("std::fs::read").unwrap();
/// assert_eq!(propagation("`std::fs::read`", read.hint, read.cost), Propagation::Pedantic);
/// let exists = blocking_fn("std::fs::metadata").unwrap();
/// assert_eq!(propagation("`std::fs::metadata`", exists.hint, exists.cost), Propagation::Never);
/// ```
pub fn propagation(what: &str, hint: &str, cost: Cost) -> Propagation {
    let bare = what.trim_matches('`');
    if hint == blocking::STDIN_HINT
        || hint == blocking::TOKIO_BLOCKING_HINT
        || blocking::metadata_only(Some(bare), None)
        || bare.rsplit_once("::").is_some_and(|(ty, method)| {
            matches!(ty, "Path" | "PathBuf")
                && blocking::metadata_only(None, Some(("std::path::Path", method)))
        })
    {
        return Propagation::Never;
    }
    // A dependency's child process wait is judged as the crate's own (below: default, then
    // where it runs); its filesystem and image work are rarely worth acting on.
    if matches!(cost, Cost::Filesystem | Cost::Cpu) {
        return Propagation::Pedantic;
    }
    let waits_outside = [
        blocking::PROCESS_HINT,
        blocking::NET_HINT,
        blocking::SOCKET2_HINT,
        blocking::HTTP_HINT,
        blocking::DB_HINT,
        blocking::HASH_HINT,
        blocking::SMTP_HINT,
        blocking::SSH_HINT,
        blocking::GIT_HINT,
    ];
    if waits_outside.contains(&hint) || hint.contains("until a connection is free") {
        Propagation::Default
    } else {
        Propagation::Pedantic
    }
}

/// Is the dependency function with short name `callee` (`Client::new`, `load`) an entry point
/// through which filesystem work makes no finding (see [`QUIET_ENTRY_POINTS`])?
///
/// ```
/// use asyncwise_lint::knowledge::dependencies::quiet_entry_point;
/// assert!(quiet_entry_point("Client::new"));
/// assert!(quiet_entry_point("load"));
/// assert!(!quiet_entry_point("ffprobe"));
/// ```
pub fn quiet_entry_point(callee: &str) -> bool {
    let name = callee.rsplit("::").next().unwrap_or(callee);
    QUIET_ENTRY_POINTS.contains(&name)
}
