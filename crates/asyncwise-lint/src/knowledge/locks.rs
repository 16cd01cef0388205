//! Lock and cell types whose guards must not be held across `.await`.

/// A synchronous lock type and the methods that return its guards.
#[derive(Debug, Clone, Copy)]
pub struct LockType {
    /// Canonical type path.
    pub path: &'static str,
    /// Methods returning a guard (possibly wrapped in a `Result`/`Option`).
    pub guard_methods: &'static [&'static str],
    /// How to describe it in messages.
    pub describe: &'static str,
    /// Its guard dereferences to the lock's first type argument (`Mutex<Connection>`'s guard is
    /// used as the `Connection`); not so for `dashmap`'s references (to the value, the second
    /// argument) nor for a `watch` channel's `Ref` (a value, not a client behind a lock).
    pub guard_is_first_argument: bool,
    /// Guard methods whose guard is a shared (read) one: only a writer of the same lock waits
    /// for it (a `RwLock`'s `read`, a `dashmap` shard's read lock from `get` or `iter`).
    pub shared_guard_methods: &'static [&'static str],
}

/// Synchronous locks and cells.
pub const LOCK_TYPES: &[LockType] = &[
    LockType {
        path: "std::sync::Mutex",
        guard_methods: &["lock", "try_lock"],
        describe: "`std::sync::Mutex` guard",
        shared_guard_methods: &[],
        guard_is_first_argument: true,
    },
    LockType {
        path: "std::sync::RwLock",
        guard_methods: &["read", "write", "try_read", "try_write"],
        describe: "`std::sync::RwLock` guard",
        shared_guard_methods: &["read", "try_read"],
        guard_is_first_argument: true,
    },
    LockType {
        path: "parking_lot::Mutex",
        guard_methods: &["lock", "try_lock", "try_lock_for", "try_lock_until"],
        describe: "`parking_lot::Mutex` guard",
        shared_guard_methods: &[],
        guard_is_first_argument: true,
    },
    LockType {
        path: "parking_lot::FairMutex",
        guard_methods: &["lock", "try_lock"],
        describe: "`parking_lot::FairMutex` guard",
        shared_guard_methods: &[],
        guard_is_first_argument: true,
    },
    LockType {
        path: "parking_lot::ReentrantMutex",
        guard_methods: &["lock", "try_lock"],
        describe: "`parking_lot::ReentrantMutex` guard",
        shared_guard_methods: &[],
        guard_is_first_argument: true,
    },
    LockType {
        path: "parking_lot::RwLock",
        guard_methods: &[
            "read",
            "write",
            "try_read",
            "try_write",
            "upgradable_read",
            "read_recursive",
        ],
        describe: "`parking_lot::RwLock` guard",
        shared_guard_methods: &["read", "try_read", "read_recursive"],
        guard_is_first_argument: true,
    },
    LockType {
        path: "spin::Mutex",
        guard_methods: &["lock", "try_lock"],
        describe: "`spin::Mutex` guard",
        shared_guard_methods: &[],
        guard_is_first_argument: true,
    },
    LockType {
        path: "spin::RwLock",
        guard_methods: &["read", "write"],
        describe: "`spin::RwLock` guard",
        shared_guard_methods: &["read"],
        guard_is_first_argument: true,
    },
    LockType {
        path: "tokio::sync::watch::Receiver",
        guard_methods: &["borrow", "borrow_and_update"],
        describe: "`tokio::sync::watch::Ref` (it holds the channel's read lock)",
        shared_guard_methods: &[],
        guard_is_first_argument: false,
    },
    LockType {
        path: "tokio::sync::watch::Sender",
        guard_methods: &["borrow"],
        describe: "`tokio::sync::watch::Ref` (it holds the channel's read lock)",
        shared_guard_methods: &[],
        guard_is_first_argument: false,
    },
    LockType {
        path: "dashmap::DashMap",
        guard_methods: &[
            "get",
            "get_mut",
            "entry",
            "try_get",
            "try_get_mut",
            "try_entry",
            "iter",
            "iter_mut",
        ],
        describe: "`dashmap` reference (it holds a shard lock)",
        shared_guard_methods: &["get", "try_get", "iter"],
        guard_is_first_argument: false,
    },
    LockType {
        path: "dashmap::DashSet",
        guard_methods: &["get", "iter"],
        describe: "`dashmap` reference (it holds a shard lock)",
        shared_guard_methods: &["get", "iter"],
        guard_is_first_argument: false,
    },
    LockType {
        path: "std::cell::RefCell",
        guard_methods: &["borrow", "borrow_mut", "try_borrow", "try_borrow_mut"],
        describe: "`RefCell` borrow",
        shared_guard_methods: &[],
        guard_is_first_argument: true,
    },
];

/// Methods of dashmap's entries (`Entry`, `OccupiedEntry`, `VacantEntry`) that take the
/// entry by value: calling one on an entry bound by name ends that binding's shard lock (what
/// it returns, a `RefMut` from `insert`, is a guard of its own, dropped with its statement
/// unless bound). docs.rs/dashmap `mapref::entry`.
pub const DASHMAP_ENTRY_CONSUMERS: &[&str] = &[
    "insert",
    "insert_entry",
    "remove",
    "remove_entry",
    "replace_entry",
    "into_ref",
    "into_key",
    "or_insert",
    "or_insert_with",
    "or_insert_with_key",
    "or_default",
    "or_try_insert_with",
];

/// Locks designed to be held across `.await`: never reported.
pub const ASYNC_LOCK_TYPES: &[&str] = &[
    "tokio::sync::Mutex",
    "tokio::sync::RwLock",
    "futures::lock::Mutex",
    "async_std::sync::Mutex",
    "async_std::sync::RwLock",
    "async_lock::Mutex",
    "async_lock::RwLock",
    "smol::lock::Mutex",
    "smol::lock::RwLock",
    "futures_util::lock::Mutex",
];

/// Methods of async locks that return a guard once awaited.
pub const ASYNC_GUARD_METHODS: &[&str] = &[
    "lock",
    "read",
    "write",
    "upgradable_read",
    "lock_owned",
    "read_owned",
    "write_owned",
    "lock_arc",
    "read_arc",
    "write_arc",
    "upgradable_read_arc",
];

/// Methods that, followed by `.unwrap()`/`.expect()`, are std locks even when the receiver's
/// type is unknown (`m.lock().unwrap()`, `rw.read().unwrap()` with no arguments): an async
/// lock's `lock()` is awaited instead, and I/O `read`/`write` take a buffer.
pub const UNWRAPPED_GUARD_METHODS: &[(&str, &str)] = &[
    ("lock", "`std::sync::Mutex` guard"),
    ("read", "`std::sync::RwLock` guard"),
    ("write", "`std::sync::RwLock` guard"),
];

/// Methods applied to a lock call's `Result` that show it is a std lock whose poisoning is
/// being handled (`.unwrap()`, `.expect(..)`, `.unwrap_or_else(PoisonError::into_inner)`,
/// `.map_err(..)`): async locks return futures, not `Result`s.
pub const POISON_HANDLERS: &[&str] = &["unwrap", "expect", "unwrap_or_else", "map_err"];

/// Variants of what a fallible or optional guard call returns that carry no guard: `None` of
/// an `Option<Ref>` (dashmap's `get`), `Absent` and `Locked` of dashmap's `TryResult`
/// (`try_get`, `try_get_mut`: "the shard is locked", no reference is handed out) and
/// `WouldBlock` of std's `TryLockError`. A `match` arm on one of them holds no lock, though the
/// scrutinee's temporary lives through the arms. (`Err(_)` is not one: std's `Poisoned` error
/// carries the guard.)
pub const GUARDLESS_VARIANTS: &[&str] = &["None", "Absent", "Locked", "WouldBlock"];

/// Methods that pass a guard through (possibly still wrapped), so `let g = <lock>.<these>..`
/// binds the guard.
pub const GUARD_PASSTHROUGH: &[&str] = &[
    "unwrap",
    "expect",
    "unwrap_or_else",
    "unwrap_or_default",
    "map_err",
    "context",
    "with_context",
    // An `Option` of a guard made a `Result` for `?`: `map.get(k).ok_or(NotFound)?` is a `Ref`.
    "ok_or",
    "ok_or_else",
    // `dashmap` entries: `map.entry(k).or_default()` is a `RefMut` holding the shard lock.
    "or_default",
    "or_insert",
    "or_insert_with",
];

/// Future combinators (`futures::FutureExt`) that hand an async lock call's output, the guard,
/// to a closure: `m.lock().then(|guard| async move { .. })`.
pub const GUARD_FUTURE_COMBINATORS: &[&str] = &["then", "map", "inspect"];

/// Methods that take a guard (or an `Option`/`Result` holding one) by value and return
/// something else: `map.get(k).map(|r| r.clone())` keeps no guard.
pub const GUARD_CONSUMERS: &[&str] = &["map", "and_then", "map_or", "map_or_else", "is_some_and"];

/// Guard methods whose guard is an iterator (`dashmap`'s `iter`/`iter_mut`): it holds a shard's
/// lock only while the iterator itself is alive.
pub const ITERATOR_GUARD_METHODS: &[&str] = &["iter", "iter_mut"];

/// Iterator adapters that take the iterator by value and yield items that may still be guards
/// (`filter`, `take`, ...): the lock stays held by the adapter.
pub const ITERATOR_ADAPTERS: &[&str] = &[
    "filter",
    "map",
    "filter_map",
    "flat_map",
    "map_while",
    "take",
    "skip",
    "take_while",
    "skip_while",
    "enumerate",
    "inspect",
    "rev",
    "step_by",
    "peekable",
    "fuse",
];

/// Adapters that replace each item by what a closure returns: after one of them, the items are
/// the closure's values, not the map's references (the same reading as `GUARD_CONSUMERS`'
/// `map(|r| r.clone())`).
pub const ITERATOR_MAPPING_ADAPTERS: &[&str] = &["map", "filter_map", "flat_map", "map_while"];

/// Methods that drain an iterator by value and return no item (`count`, `any`, `for_each`):
/// when they return, the iterator and its lock are gone.
pub const ITERATOR_DRAINS: &[&str] = &[
    "count",
    "for_each",
    "try_for_each",
    "any",
    "all",
    "position",
    "fold",
    "sum",
    "product",
];

/// Methods that drain an iterator by value into a collection of its items (`collect`): the lock
/// is gone when they return if the items were mapped to values first.
pub const ITERATOR_COLLECTORS: &[&str] = &["collect", "unzip", "partition"];

/// Last segments of the types a lock's guard method returns, when they do not end in `Guard`
/// (`std::sync::LockResult`, `std::cell::Ref`, `tokio::sync::watch::Ref`, `dashmap`'s
/// `Ref`/`RefMut`/`RefMulti`, `dashmap::mapref::entry::Entry`).
pub const GUARD_TYPE_NAMES: &[&str] = &[
    "LockResult",
    "TryLockResult",
    "Ref",
    "RefMut",
    "RefMulti",
    "RefMutMulti",
    "Entry",
];

/// Does the type `path` look like a lock guard (or a `Result` holding one): a name ending in
/// `Guard` (`MutexGuard`, `RwLockReadGuard`, a crate's own `StateGuard`) or one of
/// [`GUARD_TYPE_NAMES`]?
///
/// ```
/// use asyncwise_lint::knowledge::locks::names_guard;
/// assert!(names_guard("std::sync::RwLockReadGuard"));
/// assert!(names_guard("std::sync::LockResult"));
/// assert!(!names_guard("std::option::Option"));
/// ```
pub fn names_guard(path: &str) -> bool {
    let last = path.rsplit("::").next().unwrap_or(path);
    last.ends_with("Guard") || GUARD_TYPE_NAMES.contains(&last)
}

/// The lock type `path` names, if it is a synchronous lock.
///
/// ```
/// use asyncwise_lint::knowledge::locks::sync_lock;
/// assert!(sync_lock("std::sync::Mutex").is_some());
/// assert!(sync_lock("tokio::sync::Mutex").is_none());
/// ```
pub fn sync_lock(path: &str) -> Option<&'static LockType> {
    LOCK_TYPES.iter().find(|l| l.path == path)
}

/// Is `path` an async lock type?
pub fn is_async_lock(path: &str) -> bool {
    ASYNC_LOCK_TYPES.contains(&path)
}

/// Does the guard of `lock` (sync or async) dereference to the lock's first type argument, so
/// that `Mutex<Connection>`'s `lock()` guard (once unwrapped or awaited) is used as the
/// `Connection`? Async locks' guards always do; a sync lock says so in its row.
///
/// ```
/// use asyncwise_lint::knowledge::locks::guard_is_first_argument;
/// assert!(guard_is_first_argument("parking_lot::Mutex"));
/// assert!(guard_is_first_argument("tokio::sync::RwLock"));
/// assert!(!guard_is_first_argument("dashmap::DashMap"));
/// ```
pub fn guard_is_first_argument(lock: &str) -> bool {
    is_async_lock(lock) || sync_lock(lock).is_some_and(|l| l.guard_is_first_argument)
}

/// Non-blocking attempts of async locks (`try_lock`, `try_read`, `try_write`): their guard
/// comes in a `Result`, not a future.
pub const ASYNC_TRY_GUARD_METHODS: &[&str] = &["try_lock", "try_read", "try_write"];

/// Is `method`, called on the lock type `lock`, one that hands out a guard of the lock's first
/// type argument ([`guard_is_first_argument`]): a synchronous lock's guard method, an async
/// lock's awaited guard method or its `try_` attempt?
///
/// ```
/// use asyncwise_lint::knowledge::locks::guards_first_argument;
/// assert!(guards_first_argument("std::sync::Mutex", "lock"));
/// assert!(guards_first_argument("tokio::sync::RwLock", "read"));
/// assert!(!guards_first_argument("std::sync::Mutex", "into_inner"));
/// assert!(!guards_first_argument("dashmap::DashMap", "get"));
/// ```
pub fn guards_first_argument(lock: &str, method: &str) -> bool {
    if !guard_is_first_argument(lock) {
        return false;
    }
    match sync_lock(lock) {
        Some(l) => l.guard_methods.contains(&method),
        None => ASYNC_GUARD_METHODS.contains(&method) || ASYNC_TRY_GUARD_METHODS.contains(&method),
    }
}

/// Names of functions that run once or rarely: set-up (`new`, `init`, `start`), shutdown, and
/// configuration getters and reloads (`get_config`, `load_config`, `reload`). A lock taken only
/// there costs its overhead a handful of times, not per message or request (`async_mutex_unneeded`'s
/// pedantic form). Unlike `blocking::SETUP_FNS` it leaves out `main`: small programs do all
/// their work there.
pub const RARE_FN_NAMES: &[&str] = &[
    "new",
    "open",
    "init",
    "initialize",
    "setup",
    "set_up",
    "bootstrap",
    "create",
    "build",
    "start",
    "stop",
    "restart",
    "shutdown",
    "close",
    "reload",
];

/// Methods of the shared-guard locks (`dashmap`'s maps and sets, read/write locks) that only
/// read them and hand out nothing that can write them: a field used through these alone is
/// never written. Any other use of the field (`insert`, `entry`, `get_mut`, `write`, `clone`
/// of an `Arc`, `&map` handed to a call) counts as a possible write.
pub const READ_ONLY_LOCK_METHODS: &[&str] = &[
    "get",
    "try_get",
    "iter",
    "len",
    "is_empty",
    "contains_key",
    "contains",
    "capacity",
    "read",
    "try_read",
    "read_recursive",
    "try_read_for",
    "try_read_until",
    "is_poisoned",
    "is_locked",
    "is_locked_exclusive",
];

/// Methods through which a concurrent map or read/write lock can be written or handed out
/// (`dashmap`'s writers, a lock's write side, copies of an `Arc` holding one). A use of a field
/// whose struct is not known counts as a write of a lock field of that name only through one
/// of these (or as a value: passed, referenced, assigned): `rt.sinks.start(..)` calls a
/// method no such lock has, so its `sinks` is some other type.
pub const LOCK_WRITE_METHODS: &[&str] = &[
    // dashmap
    "insert",
    "remove",
    "remove_if",
    "remove_if_mut",
    "entry",
    "try_entry",
    "get_mut",
    "try_get_mut",
    "iter_mut",
    "alter",
    "alter_all",
    "retain",
    "clear",
    "shrink_to_fit",
    "try_reserve",
    "extend",
    "into_iter",
    "into_read_only",
    "shards",
    "shards_mut",
    "_insert",
    "view",
    // read/write locks
    "write",
    "try_write",
    "try_write_for",
    "try_write_until",
    "write_arc",
    "upgradable_read",
    "try_upgradable_read",
    "upgradable_read_arc",
    "into_inner",
    "data_ptr",
    "force_unlock_write",
    "force_unlock_read",
    "clear_poison",
    "replace",
    "set",
    // handing out the lock itself
    "clone",
    "as_ref",
    "as_mut",
    "deref",
    "deref_mut",
    "borrow",
    "borrow_mut",
    "to_owned",
];

/// The lock type a bare type name stands for when no import in the file explains it (a name
/// a macro's expansion imports: a connector macro that brings `DashMap` into scope): only a
/// name that is the last segment of exactly one lock type, synchronous or async (`DashMap`,
/// never `Mutex` or `RwLock`, which std, `parking_lot` and tokio share).
pub fn lock_by_bare_name(name: &str) -> Option<&'static str> {
    let last = |p: &'static str| p.rsplit("::").next().unwrap_or(p);
    let mut named = LOCK_TYPES
        .iter()
        .map(|l| l.path)
        .chain(ASYNC_LOCK_TYPES.iter().copied())
        .filter(|p| last(p) == name);
    let first = named.next()?;
    named.next().is_none().then_some(first)
}
