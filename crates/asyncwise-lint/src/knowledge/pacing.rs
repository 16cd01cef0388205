//! What paces a loop (timers and backoffs) and what a loop's awaited calls mean (accepting a
//! connection, handing a value over to another task).
//!
//! A loop that goes round again after a failure without one of these waits spins: it retries
//! as fast as the failure comes back.

/// Functions whose future waits for a while, in tokio, async-std, smol and the timer crates.
pub const DELAY_FNS: &[&str] = &[
    "tokio::time::sleep",
    "tokio::time::sleep_until",
    "async_std::task::sleep",
    "async_std::future::delay",
    "smol::Timer::after",
    "smol::Timer::at",
    "async_io::Timer::after",
    "async_io::Timer::at",
    "futures_timer::Delay::new",
    "futures_time::task::sleep",
    "gloo_timers::future::sleep",
    "gloo_timers::future::TimeoutFuture::new",
];

/// Methods that wait until a timer fires or a backoff has passed (`interval.tick()`,
/// `backoff.next_backoff()` handed to a sleep).
pub const DELAY_METHODS: &[&str] = &["tick", "next_backoff", "sleep", "delay", "wait_backoff"];

/// Words that name a delay in a crate's own helpers (`self.backoff().await`,
/// `sleep_before_retry(attempt).await`, `retry_delay(n)`): lower-case, matched inside the
/// function or method name.
pub const DELAY_NAME_WORDS: &[&str] = &["sleep", "backoff", "delay", "cooldown", "throttle"];

/// Methods that hand a value over to another task rather than working on it inline
/// (`tx.send(conn).await` into a worker pool's queue).
pub const HANDOFF_METHODS: &[&str] = &[
    "send",
    "send_async",
    "send_timeout",
    "try_send",
    "send_blocking",
    "push",
    "feed",
];

/// Method names that pass a connection on to a spawned task whatever the receiver
/// (`group.spawn_wait("conn", serve(conn)).await`).
pub const SPAWN_LIKE_METHODS: &[&str] = &[
    "spawn",
    "spawn_wait",
    "spawn_local",
    "try_spawn",
    "spawn_blocking",
    "spawn_on",
    "detach",
];

/// Methods that hand out a source's next item, `None` once it runs out (an iterator's or a
/// stream's `next`, a directory listing's `next_entry`, a queue's `pop`): a loop whose
/// iteration starts by taking its item from one moves on to new input when it goes round.
pub const NEXT_ITEM_METHODS: &[&str] = &[
    "next",
    "try_next",
    "next_entry",
    "pop",
    "pop_front",
    "pop_back",
];

/// Methods that take candidates out of a collection (`parents.retain(|p| p.id != failed)`,
/// `addrs.pop()`): a loop that does so on each failure and stops when the collection is empty
/// (`is_empty()`, `len() == 0`) tries each candidate once, a bound on its attempts.
pub const SHRINKING_METHODS: &[&str] = &[
    "retain",
    "retain_mut",
    "remove",
    "swap_remove",
    "pop",
    "pop_front",
    "pop_back",
];
