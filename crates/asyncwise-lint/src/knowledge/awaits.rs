//! What kind of wait an awaited call is, by name, for rules that ask whether two awaits could
//! run at the same time (`sequential_await`). Timers, event waits and ordering operations are
//! sequential on purpose: joining them changes what the code means.

/// Timer functions (canonical paths): a sleep between two calls orders them on purpose.
pub const TIMER_FNS: &[&str] = &[
    "tokio::time::sleep",
    "tokio::time::sleep_until",
    "tokio::time::timeout",
    "tokio::time::timeout_at",
    "tokio::task::yield_now",
    "async_std::task::sleep",
    "async_std::task::yield_now",
    "async_std::future::timeout",
    "smol::Timer::after",
    "smol::future::yield_now",
    "futures_timer::Delay::new",
];

/// Last path segments or method names that are timers whatever crate they come from
/// (a crate's own `sleep` wrapper, `interval.tick()`, a backoff's `delay`).
pub const TIMER_NAMES: &[&str] = &[
    "sleep",
    "sleep_until",
    "delay",
    "delay_for",
    "delay_until",
    "timeout",
    "timeout_at",
    "yield_now",
    "tick",
    "backoff",
];

/// Methods that wait for an event rather than do work: receiving, accepting, a change, a
/// signal, a task's end. Awaiting two of them one after the other is a protocol.
pub const EVENT_WAITS: &[&str] = &[
    "recv",
    "recv_async",
    "recv_many",
    "recv_from",
    "next",
    "try_next",
    "accept",
    "changed",
    "notified",
    "closed",
    "cancelled",
    "wait",
    "wait_for",
    "join",
    "join_next",
    "join_all",
    "readable",
    "writable",
    "ready",
    "ctrl_c",
    "signal",
];

/// Methods and functions that order what follows them: locks, permits, transactions, and
/// writes whose effect a later call may read.
pub const ORDERING: &[&str] = &[
    "lock",
    "lock_owned",
    "read",
    "write",
    "acquire",
    "acquire_owned",
    "acquire_many",
    "begin",
    "transaction",
    "begin_transaction",
    "commit",
    "rollback",
    "flush",
    "shutdown",
    "send",
    "connect",
    "bind",
    "listen",
    "serve",
];

/// Words in a call's name that gate what follows: a check whose failure must stop the next
/// call (`authorize(..).await?` before `load(..)`).
pub const GATE_WORDS: &[&str] = &[
    "auth",
    "verify",
    "check",
    "validate",
    "ensure",
    "permit",
    "login",
    "handshake",
];

/// Collection methods a `for` loop may fill with each iteration's result without carrying
/// other state from one iteration to the next.
pub const COLLECT_METHODS: &[&str] = &["push", "push_back", "insert", "extend", "append"];

/// Macros a `for` loop's iteration may call to report progress without making the items'
/// order matter: printing and logging (std's print macros, `log`'s and `tracing`'s levels).
pub const PROGRESS_MACROS: &[&str] = &[
    "println", "eprintln", "print", "eprint", "trace", "debug", "info", "warn", "error",
];

/// Methods with no argument that lend their receiver mutably (`tx.as_mut()` handed to a query):
/// an argument made by one borrows the receiver's place `&mut`, as `&mut *tx` does.
pub const MUT_BORROW_METHODS: &[&str] = &["as_mut", "deref_mut", "borrow_mut", "get_mut"];

/// First words of calls that write a key's value (`set`, `put`, `insert_user`, `hset`,
/// `delete`): a later read of the same key (see [`READ_VERBS`]) sees what the write left, so
/// the two are ordered by the side effect.
pub const WRITE_VERBS: &[&str] = &[
    "set", "put", "insert", "write", "update", "upsert", "store", "save", "delete", "remove",
    "del", "incr", "incrby", "decr", "decrby", "hset", "hdel", "append", "lpush", "rpush", "sadd",
    "srem", "zadd", "zrem", "expire", "replace",
];

/// First words of calls that read a key's value (`get`, `fetch_user`, `hget`, `exists`).
pub const READ_VERBS: &[&str] = &[
    "get",
    "read",
    "fetch",
    "load",
    "exists",
    "find",
    "select",
    "hget",
    "hgetall",
    "mget",
    "lrange",
    "smembers",
    "sismember",
    "zrange",
    "ttl",
    "contains",
    "count",
    "lookup",
];

/// Methods that put a collection in an order (`sort_by_key`, `reverse`): a loop over one
/// ordered so before it handles the items in that order on purpose. Matched as the start of
/// the method's name (`sort` covers `sort_unstable_by`).
pub const ORDERING_METHODS: &[&str] = &["sort", "reverse"];

/// Code that measures time (`Instant::now()`, `start.elapsed()`): a loop that times each
/// iteration (a benchmark sweep) needs its runs not to overlap.
pub const TIME_MEASURES: &[&str] = &["Instant::now()", ".elapsed()"];

/// Words naming a connection, a transaction or a store: two calls handed the same one share it
/// (one connection runs one query at a time; a transaction orders its statements), whatever
/// else they do. Matched against a place's last segment: `conn`, `&db_conn`, `self.store`.
pub const CONNECTION_WORDS: &[&str] = &[
    "conn",
    "connection",
    "db",
    "database",
    "tx",
    "txn",
    "transaction",
    "session",
    "store",
    "stream",
    "socket",
    "sink",
    "writer",
    "reader",
    "channel",
    "chan",
];

/// Words of set-up calls: opening, creating or starting something runs once, and the next
/// step often needs it to exist (`create_listener`, `Database::new`, `MockServer::start`).
pub const SETUP_WORDS: &[&str] = &["new", "open", "init", "start", "setup", "create", "spawn"];

/// First words of methods that put something out in order through their receiver: a send or
/// publish on a channel, queue, client or socket, a write. Repeated on one shared receiver
/// (`self.pusher.queue(x)`, `client.publish(..)`, `sock.send_to(..)` once per item), the
/// outputs are one ordered stream, not independent work to overlap.
pub const ORDERED_OUTPUT_WORDS: &[&str] = &[
    "send",
    "publish",
    "queue",
    "enqueue",
    "emit",
    "broadcast",
    "produce",
    "push",
    "write",
];

/// Verbs and objects of schema changes (`alter_table`, `drop_column`, `create_index`, not
/// `add_key` of a key store): DDL
/// steps through one schema manager or connection run in order, each on the schema the one
/// before left.
pub const DDL_VERBS: &[&str] = &["alter", "create", "drop", "rename", "truncate", "add"];

/// See [`DDL_VERBS`].
pub const DDL_OBJECTS: &[&str] = &[
    "table",
    "column",
    "index",
    "schema",
    "constraint",
    "foreign",
    "view",
    "trigger",
    "sequence",
    "enum",
    "type",
];

/// Zero-argument methods that check a connection out of a pool (`db.get()`, `pool.acquire()`,
/// `pool.get_conn()`): like a permit, the checkout comes before the work that uses it.
pub const CHECKOUT_METHODS: &[&str] = &[
    "get",
    "get_conn",
    "get_connection",
    "get_client",
    "acquire",
    "checkout",
    "connection",
    "conn",
];

/// Receiver words of a pool a checkout is made from, besides the connection words.
pub const POOL_WORDS: &[&str] = &["pool", "pools"];

/// How connection pools' type names end (`sqlx::PgPool`, `sqlx::Pool`, `deadpool_postgres::Pool`,
/// `bb8::Pool`, `r2d2::Pool`, `diesel_async::pooled_connection::deadpool::Pool`): each checkout
/// gets a connection of its own.
pub const POOL_TYPE_SUFFIX: &str = "Pool";

/// Method names of futures that libraries' types (tokio's and futures' channels, sinks, streams,
/// I/O, locks; HTTP and database clients) return: on a value whose type is not known, a call of
/// one of these names may be the library's future, which can suspend, even when the crate has an
/// `async fn` of that name that never does.
pub const LIBRARY_AWAIT_NAMES: &[&str] = &[
    "send",
    "send_all",
    "feed",
    "recv",
    "next",
    "try_next",
    "read",
    "read_exact",
    "read_to_end",
    "read_to_string",
    "read_line",
    "read_buf",
    "write",
    "write_all",
    "write_buf",
    "flush",
    "close",
    "shutdown",
    "lock",
    "acquire",
    "acquire_owned",
    "changed",
    "notified",
    "ready",
    "call",
    "connect",
    "accept",
    "request",
    "get",
    "post",
    "put",
    "delete",
    "execute",
    "query",
    "fetch",
    "fetch_one",
    "fetch_all",
    "fetch_optional",
    "join",
    "wait",
];
