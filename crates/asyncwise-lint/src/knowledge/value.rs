//! [`Knowledge`]: the tables of this folder as one value, handed to the model and the rules in a
//! per-run context ([`FileContext`](crate::model::FileContext),
//! [`CheckOptions`](crate::engine::CheckOptions)) rather than read from statics.
//!
//! The built-in rows come from the table files (whose row formats stay as they are); a
//! configuration extends a clone of [`Knowledge::builtin`] with its own rows
//! ([`Knowledge::with_user_rows`]). Rows are `&'static str` so the built-in tables need no
//! copies; the user's few strings are interned once per process (a language server re-reading
//! its configuration does not leak them again).
//! Matching code asks this value (`blocking_fn`, `offloads_closure`, `is_spawn_fn`, …) and never
//! names a library path; name resolution asks [`Knowledge::is_known_path`], which asks every
//! table through [`Knowledge::tables`], the one list of them. Type inference and guard liveness
//! reach it through the resolver.
//!
//! The walker and its analyses (`model/analysis/`) read every library list through this value
//! too: set-up functions, accept, permit, drain and fill methods, reader functions and blocking
//! I/O types, control-sender words, closure-storing functions, future wrappers, spawner names.
//! One place each: unwrap-like methods ([`Knowledge::is_unwrap_like`]), offloaders
//! ([`Knowledge::offloads_closure`], [`Knowledge::stores_closure`]), spawners
//! ([`Knowledge::is_spawn_fn`], [`Knowledge::is_spawn_method`], [`Knowledge::is_spawn_name`]).
//! A configuration extends: `blocking` the blocking functions; `offload` the offloaders (also by
//! name, for closures bound to a local and handed over later); `spawn` the spawners, and by its
//! last segment the names of spawns inside a task that a failure scan leaves to that task;
//! `bound` the calls that bound a spawn loop when made before the spawn
//! ([`Knowledge::bounds_spawns_after`]). The other name lists have no configuration key yet.
//!
//! Still constants of their table files: names with std or language meaning (poison handlers,
//! guard and value pass-through methods, transparent wrappers such as `Arc`, iterator adapters
//! and sources, macro kinds), and the `unwrap`/`expect` pair the loop-flow reader of
//! `model/loops.rs` reads as "panics" (its free functions carry no `Knowledge`).

use std::collections::HashSet;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use super::blocking::{BlockingFn, BlockingMethod, path_matches};
use super::blocking_rows::BlockingRows;
use super::cancel_safety::CancelUnsafe;
use super::channels::ChannelConstructor;
use super::cleanup_pairs::{CleanupPair, HelperPair, PairArguments};
use super::locks::LockType;
use super::runtimes::Runtime;
use super::{
    blocking, cancel_safety, channels, cleanup_pairs, locks, offload, pacing, runtimes, spawn,
    types,
};

/// What asyncwise knows about libraries.
#[derive(Debug, Clone)]
pub struct Knowledge {
    /// Free and associated functions that block, and methods that block on receivers of given
    /// types ([`Knowledge::blocking_fns`], [`Knowledge::blocking_methods`]), with maps by path.
    blocking: BlockingRows,
    /// `block_on` functions.
    pub block_on_fns: Vec<&'static str>,
    /// Unbounded channel constructors.
    pub channel_constructors: Vec<ChannelConstructor>,
    /// Synchronous locks and cells.
    pub lock_types: Vec<LockType>,
    /// Async locks (their guards may be held across `.await`).
    pub async_lock_types: Vec<&'static str>,
    /// Functions whose closure arguments run off the executor.
    pub offload_fns: Vec<&'static str>,
    /// Method names whose closure arguments run off the executor.
    pub offload_methods: Vec<&'static str>,
    /// Functions that spawn a task.
    pub spawn_fns: Vec<&'static str>,
    /// Methods that detach a spawned task from its handle (`Task::detach`).
    pub detach_methods: Vec<&'static str>,
    /// Calls that abort a spawned task (methods by name, functions by path).
    pub task_aborts: Vec<&'static str>,
    /// Methods that spawn a task, by receiver type.
    pub spawn_methods: Vec<(&'static str, &'static [&'static str])>,
    /// Receivers whose spawned tasks they own and join (`JoinSet`).
    pub owning_spawners: Vec<&'static str>,
    /// Functions whose return type is known.
    pub constructor_returns: Vec<(&'static str, types::Returns)>,
    /// Methods whose return type is known.
    pub method_returns: Vec<types::MethodReturns>,
    /// Methods that panic on an error or a `None`: a task calling one can fail.
    pub unwrap_like: Vec<&'static str>,
    /// Methods that change an error on its way to a `?` ([`spawn::ERROR_ADAPTERS`]).
    pub error_adapters: Vec<&'static str>,
    /// Async runtimes, their packages and the calls that use them.
    pub runtimes: Vec<Runtime>,
    /// Methods whose futures are not cancellation safe (a `select!` branch loses work).
    pub cancel_unsafe: Vec<CancelUnsafe>,
    /// Calls that enter a state and their leaving counterparts (`fetch_add`/`fetch_sub`).
    pub cleanup_pairs: Vec<CleanupPair>,
    /// Naming conventions of a crate's own enter/leave helpers (`inc_x`/`dec_x`).
    pub cleanup_helper_pairs: Vec<HelperPair>,
    /// Functions whose future waits for a while (`tokio::time::sleep`).
    pub delay_fns: Vec<&'static str>,
    /// The rows a configuration added ([`Knowledge::with_user_rows`]), as given: part of what
    /// a cached result depends on.
    pub user: UserRows,

    // What the walker and its analyses (`model/analysis/`) look for around calls, spawns and
    // loops. Names, not paths: they are matched on a method's or a function's last segment.
    /// Names of set-up functions (`new`, `open`, `init`, ...): they run once, at start-up.
    pub setup_fns: Vec<&'static str>,
    /// Crates whose `#[<crate>::main]` attribute marks a program's entry point.
    pub runtime_entry_crates: Vec<&'static str>,
    /// `block_on` method names (`rt.block_on(fut)`): they wait for the future they are given.
    pub block_on_methods: Vec<&'static str>,
    /// Functions that read or write the value they are given (`serde_json::from_reader`).
    pub reader_fns: Vec<&'static str>,
    /// Types whose reads and writes block (`std::fs::File`).
    pub blocking_io_types: Vec<&'static str>,
    /// Words in a sender's name that mark a control or shutdown channel.
    pub control_sender_words: Vec<&'static str>,
    /// Functions that keep a closure to run later (`Box::new`), by their last two segments.
    pub storing_fns: Vec<&'static str>,
    /// Methods whose call in a loop's iteration makes it an accept loop.
    pub accept_methods: Vec<&'static str>,
    /// Receiver names whose `next()` accepts a connection (`incoming.next()`).
    pub accept_stream_names: Vec<&'static str>,
    /// Listener types whose clients are local processes (`tokio::net::UnixListener`).
    pub local_listener_types: Vec<&'static str>,
    /// Methods that only write to a connection (`write_all`, `flush`, `shutdown`).
    pub write_only_methods: Vec<&'static str>,
    /// Semaphore permit methods: called before a spawn in a loop, they bound its tasks.
    pub permit_methods: Vec<&'static str>,
    /// Spawners (path prefixes) whose `spawn` waits for a free slot.
    pub bounding_spawners: Vec<&'static str>,
    /// Spawners (path prefixes) whose `spawn` returns a future that only spawns.
    pub spawn_returns_future: Vec<&'static str>,
    /// Methods that drain a task collection (`join_next`).
    pub drain_methods: Vec<&'static str>,
    /// Methods that put a task or its handle into a collection (`push`, `spawn`).
    pub fill_methods: Vec<&'static str>,
    /// Functions that wait for a collection of tasks (`join_all`).
    pub join_fns: Vec<&'static str>,
    /// Methods that wrap a future without changing its output (`instrument`).
    pub future_wrappers: Vec<&'static str>,
    /// Traits whose `poll*` methods run on the executor (`Future`, `Stream`), by last segment.
    pub polled_traits: Vec<&'static str>,
    /// Functions that wrap the future they are given (`Box::pin`), by name.
    pub future_wrapper_fns: Vec<&'static str>,
    /// Names of spawning functions and methods whatever their receiver (`spawn`,
    /// `spawn_blocking`); a configuration's `spawn` rows add their last segment.
    pub spawn_names: Vec<&'static str>,
}

/// Whether a table row names functions or types (a `module::*` row covers the one or the other).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    /// Functions (and modules holding them).
    Function,
    /// Types.
    Type,
}

static BUILTIN: LazyLock<Arc<Knowledge>> = LazyLock::new(|| {
    Arc::new(Knowledge {
        blocking: BlockingRows::new(
            blocking::BLOCKING_FNS.iter().copied(),
            blocking::BLOCKING_METHODS.iter().copied(),
        ),
        block_on_fns: blocking::BLOCK_ON_FNS.to_vec(),
        channel_constructors: channels::CHANNEL_CONSTRUCTORS.to_vec(),
        lock_types: locks::LOCK_TYPES.to_vec(),
        async_lock_types: locks::ASYNC_LOCK_TYPES.to_vec(),
        offload_fns: offload::OFFLOAD_FNS.to_vec(),
        offload_methods: offload::OFFLOAD_METHODS.to_vec(),
        spawn_fns: spawn::SPAWN_FNS.to_vec(),
        detach_methods: spawn::DETACH_METHODS.to_vec(),
        task_aborts: spawn::TASK_ABORTS.to_vec(),
        spawn_methods: spawn::SPAWN_METHODS.to_vec(),
        owning_spawners: spawn::OWNING_SPAWNERS.to_vec(),
        constructor_returns: types::CONSTRUCTOR_RETURNS.to_vec(),
        method_returns: types::METHOD_RETURNS.to_vec(),
        unwrap_like: spawn::UNWRAP_LIKE.to_vec(),
        error_adapters: spawn::ERROR_ADAPTERS.to_vec(),
        runtimes: runtimes::RUNTIMES.to_vec(),
        cancel_unsafe: cancel_safety::builtin(),
        cleanup_pairs: cleanup_pairs::CLEANUP_PAIRS.to_vec(),
        cleanup_helper_pairs: cleanup_pairs::HELPER_PAIRS.to_vec(),
        delay_fns: pacing::DELAY_FNS.to_vec(),
        user: UserRows::default(),

        setup_fns: blocking::SETUP_FNS.to_vec(),
        runtime_entry_crates: blocking::RUNTIME_ENTRY_CRATES.to_vec(),
        block_on_methods: blocking::BLOCK_ON_METHODS.to_vec(),
        reader_fns: blocking::READER_FNS.to_vec(),
        blocking_io_types: blocking::BLOCKING_IO_TYPES.to_vec(),
        control_sender_words: channels::CONTROL_SENDER_WORDS.to_vec(),
        storing_fns: offload::STORING_FNS.to_vec(),
        accept_methods: spawn::ACCEPT_METHODS.to_vec(),
        accept_stream_names: spawn::ACCEPT_STREAM_NAMES.to_vec(),
        local_listener_types: spawn::LOCAL_LISTENER_TYPES.to_vec(),
        write_only_methods: spawn::WRITE_ONLY_METHODS.to_vec(),
        permit_methods: spawn::PERMIT_METHODS.to_vec(),
        bounding_spawners: spawn::BOUNDING_SPAWNERS.to_vec(),
        spawn_returns_future: spawn::SPAWN_RETURNS_FUTURE.to_vec(),
        drain_methods: spawn::DRAIN_METHODS.to_vec(),
        fill_methods: spawn::FILL_METHODS.to_vec(),
        join_fns: spawn::JOIN_FNS.to_vec(),
        future_wrappers: spawn::FUTURE_WRAPPERS.to_vec(),
        polled_traits: spawn::POLLED_TRAITS.to_vec(),
        future_wrapper_fns: spawn::FUTURE_WRAPPER_FNS.to_vec(),
        spawn_names: spawn::SPAWN_METHOD_NAMES.to_vec(),
    })
});

/// Functions of the user's code or dependencies that a configuration adds to the tables
/// (`blocking`, `offload` and `spawn` in `[package.metadata.asyncwise]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserRows {
    /// Blocking functions: (path, what to use instead, if given).
    pub blocking: Vec<(String, Option<String>)>,
    /// Functions that run a closure off the executor.
    pub offload: Vec<String>,
    /// Functions that spawn a task.
    pub spawn: Vec<String>,
    /// Functions whose call before a spawn in a loop bounds the loop's tasks.
    pub bound: Vec<String>,
}

impl UserRows {
    /// True when there is no row.
    pub fn is_empty(&self) -> bool {
        self.blocking.is_empty()
            && self.offload.is_empty()
            && self.spawn.is_empty()
            && self.bound.is_empty()
    }
}

/// The hint of a configured blocking function that names no replacement.
const USER_BLOCKING_HINT: &str = "it is configured as blocking (`blocking` in the asyncwise configuration): run it in `tokio::task::spawn_blocking` or use an async alternative";

/// A `&'static str` for `s`, allocated at most once per distinct string in a process.
fn intern(s: &str) -> &'static str {
    static INTERNED: LazyLock<Mutex<HashSet<&'static str>>> = LazyLock::new(Default::default);
    // A poisoned set is still a valid set: interning only ever inserts.
    let mut set = INTERNED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(found) = set.get(s) {
        return found;
    }
    let leaked: &'static str = Box::leak(s.to_owned().into_boxed_str());
    set.insert(leaked);
    leaked
}

impl Knowledge {
    /// These tables extended with a configuration's rows. Paths are written as users see them
    /// (`mycrate::db::query_sync`); code of the package whose library is `lib_name` calls its
    /// own functions as `crate::…`, so such rows are added in that form too.
    ///
    /// ```
    /// use asyncwise_lint::knowledge::{Knowledge, UserRows};
    /// let rows = UserRows {
    ///     blocking: vec![("mydb::Client::query_sync".into(), Some("use `query`".into()))],
    ///     offload: vec!["mysvc::pool::run_blocking".into()],
    ///     spawn: vec!["mysvc::rt::spawn_named".into()],
    ///     bound: vec![],
    /// };
    /// let k = Knowledge::builtin().with_user_rows(&rows, Some("mysvc"));
    /// assert_eq!(k.blocking_fn("mydb::Client::query_sync").unwrap().hint, "use `query`");
    /// assert!(k.offloads_closure("crate::pool::run_blocking"));
    /// assert!(k.is_spawn_fn("crate::rt::spawn_named") && k.is_spawn_fn("mysvc::rt::spawn_named"));
    /// assert!(Knowledge::builtin().blocking_fn("mydb::Client::query_sync").is_none());
    /// ```
    pub fn with_user_rows(&self, rows: &UserRows, lib_name: Option<&str>) -> Knowledge {
        let forms = |path: &str| {
            let local = lib_name
                .and_then(|lib| path.strip_prefix(lib))
                .and_then(|rest| rest.strip_prefix("::"))
                .map(|rest| intern(&format!("crate::{rest}")));
            std::iter::once(intern(path)).chain(local)
        };
        let mut k = self.clone();
        k.user.blocking.extend(rows.blocking.iter().cloned());
        k.user.offload.extend(rows.offload.iter().cloned());
        k.user.spawn.extend(rows.spawn.iter().cloned());
        k.user.bound.extend(rows.bound.iter().cloned());
        for (path, help) in &rows.blocking {
            let hint = help.as_deref().map_or(USER_BLOCKING_HINT, intern);
            for path in forms(path) {
                k.blocking.push_fn(BlockingFn {
                    path,
                    hint,
                    // A configured blocking call is judged as a wait: the user said it blocks.
                    cost: blocking::Cost::Wait,
                });
            }
        }
        for path in &rows.offload {
            k.offload_fns.extend(forms(path));
        }
        for path in &rows.spawn {
            k.spawn_fns.extend(forms(path));
            // A configured spawner called inside a task spawns a task of its own.
            let name = intern(path.rsplit("::").next().unwrap_or(path));
            if !k.spawn_names.contains(&name) {
                k.spawn_names.push(name);
            }
        }
        k
    }

    /// The built-in tables (shared; clone the value to extend it).
    ///
    /// ```
    /// let k = asyncwise_lint::knowledge::Knowledge::builtin();
    /// assert!(k.blocking_fn("std::thread::sleep").is_some());
    /// assert!(k.offloads_closure("tokio::task::spawn_blocking"));
    /// ```
    pub fn builtin() -> Arc<Knowledge> {
        Arc::clone(&BUILTIN)
    }

    /// Every table's paths with the kind of thing each row names: the one list of tables.
    pub fn tables(&self) -> impl Iterator<Item = (&str, RowKind)> {
        let f = |p: &&'static str| (*p, RowKind::Function);
        let t = |p: &&'static str| (*p, RowKind::Type);
        self.blocking_fns()
            .iter()
            .map(|b| (b.path, RowKind::Function))
            .chain(
                self.blocking_methods()
                    .iter()
                    .map(|b| (b.receiver, RowKind::Type)),
            )
            .chain(self.block_on_fns.iter().map(f))
            .chain(
                self.channel_constructors
                    .iter()
                    .map(|c| (c.path, RowKind::Function)),
            )
            .chain(self.lock_types.iter().map(|l| (l.path, RowKind::Type)))
            .chain(self.async_lock_types.iter().map(t))
            .chain(self.offload_fns.iter().map(f))
            .chain(self.spawn_fns.iter().map(f))
            .chain(
                self.spawn_methods
                    .iter()
                    .map(|(ty, _)| (*ty, RowKind::Type)),
            )
            .chain(
                self.constructor_returns
                    .iter()
                    .map(|(p, _)| (*p, RowKind::Function)),
            )
            .chain(
                self.method_returns
                    .iter()
                    .map(|m| (m.receiver, RowKind::Type)),
            )
            .chain(
                self.runtimes
                    .iter()
                    .flat_map(|r| r.calls.iter().map(|p| (*p, RowKind::Function))),
            )
            .chain(
                self.cancel_unsafe
                    .iter()
                    .filter_map(|c| c.receiver.map(|r| (r, RowKind::Type))),
            )
            // Cleanup pairs are method names on any receiver: no paths to resolve.
            .chain(self.delay_fns.iter().map(f))
    }

    /// True if `path` names something, or a module containing something, in any table: glob
    /// imports (`use std::sync::*;`) resolve a name only to what is known to exist.
    ///
    /// ```
    /// let k = asyncwise_lint::knowledge::Knowledge::builtin();
    /// assert!(k.is_known_path("std::sync::Mutex"));
    /// assert!(!k.is_known_path("std::sync::NoSuchThing"));
    /// assert!(k.is_known_path("std::fs::metadata"));
    /// assert!(!k.is_known_path("std::fs::Mutex"));
    /// ```
    pub fn is_known_path(&self, path: &str) -> bool {
        let is_type = path
            .rsplit("::")
            .next()
            .is_some_and(|last| last.starts_with(char::is_uppercase));
        self.tables().any(|(row, kind)| {
            // A row names `path` itself or something inside it; a `module::*` row of a function
            // table covers the module's functions, one of a type table its types.
            let named = row == path
                || row
                    .strip_prefix(path)
                    .is_some_and(|rest| rest.starts_with("::"));
            named || (kind == RowKind::Type) == is_type && path_matches(row, path)
        })
    }

    /// Free and associated functions that block, in table order (the configuration's last).
    pub fn blocking_fns(&self) -> &[BlockingFn] {
        self.blocking.fns()
    }

    /// Methods that block on receivers of given types, in table order.
    pub fn blocking_methods(&self) -> &[BlockingMethod] {
        self.blocking.methods()
    }

    /// Adds a blocking function row after the others (what a configuration's `blocking` rows
    /// do, [`Knowledge::with_user_rows`]).
    ///
    /// ```
    /// use asyncwise_lint::knowledge::{Knowledge, blocking::{BlockingFn, Cost}};
    /// let mut k = (*Knowledge::builtin()).clone();
    /// k.add_blocking_fn(BlockingFn { path: "mylib::io::*", hint: "use mylib::aio", cost: Cost::Wait });
    /// assert_eq!(k.blocking_fn("mylib::io::read_all").unwrap().hint, "use mylib::aio");
    /// assert!(k.blocking_fn("mylib::io::sub::read_all").is_none());
    /// ```
    pub fn add_blocking_fn(&mut self, row: BlockingFn) {
        self.blocking.push_fn(row);
    }

    /// Adds a blocking method row after the others.
    ///
    /// ```
    /// use asyncwise_lint::knowledge::{Knowledge, blocking::{BlockingMethod, Cost}};
    /// let mut k = (*Knowledge::builtin()).clone();
    /// k.add_blocking_method(BlockingMethod {
    ///     receiver: "mylib::Conn", methods: &["query"], hint: "use `query_async`", cost: Cost::Wait,
    /// });
    /// assert!(k.blocking_method("mylib::Conn", "query").is_some());
    /// assert!(k.blocking_method("mylib::Conn", "close").is_none());
    /// ```
    pub fn add_blocking_method(&mut self, row: BlockingMethod) {
        self.blocking.push_method(row);
    }

    /// The first blocking function row (in table order) `path` matches.
    pub fn blocking_fn(&self, path: &str) -> Option<&BlockingFn> {
        self.blocking.function(path)
    }

    /// The first blocking method row (in table order) `method` on `receiver` matches.
    pub fn blocking_method(&self, receiver: &str, method: &str) -> Option<&BlockingMethod> {
        self.blocking.method(receiver, method)
    }

    /// Is `path` a `block_on` function?
    pub fn is_block_on_fn(&self, path: &str) -> bool {
        self.block_on_fns.contains(&path)
    }

    /// The unbounded channel constructor `path` is, if any.
    pub fn unbounded_constructor(&self, path: &str) -> Option<&ChannelConstructor> {
        self.channel_constructors.iter().find(|c| c.path == path)
    }

    /// Is `path` an offloading function?
    pub fn is_offload_fn(&self, path: &str) -> bool {
        self.offload_fns.contains(&path)
    }

    /// Is `name` a method that lets a spawned task run on without its handle
    /// (`smol::Task::detach`)?
    ///
    /// ```
    /// let k = asyncwise_lint::knowledge::Knowledge::builtin();
    /// assert!(k.is_detach_method("detach"));
    /// assert!(!k.is_detach_method("abort"));
    /// ```
    pub fn is_detach_method(&self, name: &str) -> bool {
        self.detach_methods.contains(&name)
    }

    /// Is `name` (a method's name or a function's path) a call that aborts a spawned task or
    /// keeps the means to (`handle.abort()`, `AbortOnDropHandle::new(handle)`)?
    ///
    /// ```
    /// let k = asyncwise_lint::knowledge::Knowledge::builtin();
    /// assert!(k.is_task_abort("abort"));
    /// assert!(k.is_task_abort("tokio_util::task::AbortOnDropHandle::new"));
    /// assert!(!k.is_task_abort("await"));
    /// ```
    pub fn is_task_abort(&self, name: &str) -> bool {
        self.task_aborts.contains(&name)
    }

    /// Is `name` a method whose closure arguments run off the executor?
    pub fn is_offload_method(&self, name: &str) -> bool {
        self.offload_methods.contains(&name)
    }

    /// Does a sync closure handed to the function `path` run off the executor? True for the
    /// known offloaders and for any function whose last segment is an offloading method name (a
    /// crate's own `spawn_blocking` wrapper).
    ///
    /// ```
    /// let k = asyncwise_lint::knowledge::Knowledge::builtin();
    /// assert!(k.offloads_closure("crate::task::spawn_blocking"));
    /// assert!(!k.offloads_closure("std::iter::Iterator::map"));
    /// ```
    pub fn offloads_closure(&self, path: &str) -> bool {
        self.is_offload_fn(path) || self.is_offload_method(crate::path_text::last_segment(path))
    }

    /// Is `name` the last segment of an offloading function?
    pub fn is_offload_fn_name(&self, name: &str) -> bool {
        self.offload_fns
            .iter()
            .any(|f| f.rsplit("::").next() == Some(name))
    }

    /// Is `path` a function that spawns a task?
    pub fn is_spawn_fn(&self, path: &str) -> bool {
        self.spawn_fns.contains(&path)
    }

    /// Is `method` on a receiver of type `receiver` a spawn?
    pub fn is_spawn_method(&self, receiver: &str, method: &str) -> bool {
        self.spawn_methods
            .iter()
            .any(|(t, ms)| *t == receiver && ms.contains(&method))
    }

    /// Does a task spawned by `via` (`tokio::spawn`, `tokio::runtime::Handle::spawn`) keep
    /// running when its handle is dropped?
    ///
    /// ```
    /// let k = asyncwise_lint::knowledge::Knowledge::builtin();
    /// assert!(k.task_outlives_handle("tokio::spawn"));
    /// assert!(!k.task_outlives_handle("smol::spawn"));
    /// ```
    pub fn task_outlives_handle(&self, via: &str) -> bool {
        super::spawn::DETACHED_ON_DROP.contains(&via)
    }

    /// Does a receiver of type `receiver` own (and join) the tasks it spawns?
    pub fn owns_spawned_tasks(&self, receiver: &str) -> bool {
        self.owning_spawners.contains(&receiver)
    }

    /// The synchronous lock type `path` names, if any.
    pub fn sync_lock(&self, path: &str) -> Option<&LockType> {
        self.lock_types.iter().find(|l| l.path == path)
    }

    /// What the function `path` returns, if known (constructors, and every function of a
    /// sticky module such as `reqwest::blocking`).
    pub fn returns_for_function(&self, path: &str) -> Option<types::Returns> {
        self.constructor_returns
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, r)| *r)
            .or_else(|| types::returns_for_sticky_module(path))
    }

    /// What `method` returns on a receiver of type `receiver`, if known.
    pub fn method_returns(&self, receiver: &str, method: &str) -> Option<types::Returns> {
        self.method_returns
            .iter()
            .find(|m| path_matches(m.receiver, receiver) && (m.method == method || m.method == "*"))
            .map(|m| m.returns)
    }

    /// The runtime whose package is `package` (the name in `Cargo.toml`).
    ///
    /// ```
    /// let k = asyncwise_lint::knowledge::Knowledge::builtin();
    /// assert_eq!(k.runtime_package("async-std").unwrap().name, "async-std");
    /// assert!(k.runtime_package("serde").is_none());
    /// ```
    pub fn runtime_package(&self, package: &str) -> Option<&Runtime> {
        self.runtimes.iter().find(|r| r.package == package)
    }

    /// The runtime a call of `path` uses, if it spawns, sleeps, blocks on or builds one.
    ///
    /// ```
    /// let k = asyncwise_lint::knowledge::Knowledge::builtin();
    /// assert_eq!(k.runtime_call("smol::spawn").unwrap().name, "smol");
    /// assert!(k.runtime_call("tokio::sync::Mutex::new").is_none());
    /// ```
    pub fn runtime_call(&self, path: &str) -> Option<&Runtime> {
        self.runtimes
            .iter()
            .find(|r| r.calls.iter().any(|c| path_matches(c, path)))
    }

    /// Is `path` an async lock type (its guards may be held across `.await`)?
    ///
    /// ```
    /// let k = asyncwise_lint::knowledge::Knowledge::builtin();
    /// assert!(k.is_async_lock("tokio::sync::RwLock"));
    /// assert!(!k.is_async_lock("std::sync::Mutex"));
    /// ```
    pub fn is_async_lock(&self, path: &str) -> bool {
        self.async_lock_types.contains(&path)
    }

    /// The row saying that the method `name`, on a receiver of type `receiver` if known, is not
    /// cancellation safe.
    ///
    /// ```
    /// let k = asyncwise_lint::knowledge::Knowledge::builtin();
    /// let row = k.cancel_unsafe("read_exact", None).unwrap();
    /// assert_eq!(row.source, "tokio::io::AsyncReadExt::read_exact");
    /// assert!(k.cancel_unsafe("send", None).is_none());
    /// assert!(k.cancel_unsafe("send", Some("tokio::sync::mpsc::Sender")).is_some());
    /// assert!(k.cancel_unsafe("read", None).is_none());
    /// ```
    pub fn cancel_unsafe(&self, name: &str, receiver: Option<&str>) -> Option<&CancelUnsafe> {
        self.cancel_unsafe.iter().find(|c| {
            c.method == name
                && match c.receiver {
                    None => true,
                    Some(ty) => receiver == Some(ty),
                }
        })
    }

    /// Is `name` the name of a configured function that bounds the tasks a loop spawns
    /// (`bound` in the configuration)?
    ///
    /// ```
    /// use asyncwise_lint::knowledge::{Knowledge, UserRows};
    /// let rows = UserRows { bound: vec!["svc::limits::acquire_slot".into()], ..UserRows::default() };
    /// assert!(Knowledge::builtin().with_user_rows(&rows, None).is_configured_bound("acquire_slot"));
    /// assert!(!Knowledge::builtin().is_configured_bound("acquire_slot"));
    /// ```
    pub fn is_configured_bound(&self, name: &str) -> bool {
        self.user
            .bound
            .iter()
            .any(|path| path.rsplit("::").next() == Some(name))
    }

    /// Does the method `name` panic on an error or a `None`?
    pub fn is_unwrap_like(&self, name: &str) -> bool {
        self.unwrap_like.contains(&name)
    }

    /// Does method `name` change an error on its way to a `?` (`map_err`, `context`)?
    pub fn is_error_adapter(&self, name: &str) -> bool {
        self.error_adapters.contains(&name)
    }

    /// Is `name` (a method, or a helper function) the entering or the leaving call of a cleanup
    /// pair?
    ///
    /// ```
    /// let k = asyncwise_lint::knowledge::Knowledge::builtin();
    /// assert!(k.is_cleanup_method("fetch_sub"));
    /// assert!(k.is_cleanup_method("dec_connections"));
    /// assert!(!k.is_cleanup_method("load"));
    /// ```
    pub fn is_cleanup_method(&self, name: &str) -> bool {
        self.cleanup_pairs
            .iter()
            .any(|p| p.enter == name || p.exit == name)
            || self.cleanup_helper_pairs.iter().any(|p| p.names(name))
    }

    /// The calls that enter what `name` (called with `first_arg`, as written) leaves: each
    /// entering name with the arguments it must have and what the pair is.
    ///
    /// ```
    /// let k = asyncwise_lint::knowledge::Knowledge::builtin();
    /// let enters = k.cleanup_entered_by("set", Some("false"));
    /// assert_eq!(enters[0].0, "set");
    /// assert!(k.cleanup_entered_by("set", Some("true")).is_empty());
    /// assert_eq!(k.cleanup_entered_by("dec_connections", None)[0].0, "inc_connections");
    /// ```
    pub fn cleanup_entered_by(
        &self,
        name: &str,
        first_arg: Option<&str>,
    ) -> Vec<(String, PairArguments, &'static str)> {
        let rows = self
            .cleanup_pairs
            .iter()
            .filter(|p| {
                p.exit == name && cleanup_pairs::argument_fits(p.arguments, false, first_arg)
            })
            .map(|p| (p.enter.to_string(), p.arguments, p.what));
        let helpers = self
            .cleanup_helper_pairs
            .iter()
            .filter_map(|p| p.entering_name(name))
            .map(|enter| (enter, PairArguments::Any, "state"));
        rows.chain(helpers).collect()
    }

    /// Is `path` a function whose future waits for a while (`tokio::time::sleep`)?
    ///
    /// ```
    /// let k = asyncwise_lint::knowledge::Knowledge::builtin();
    /// assert!(k.is_delay_fn("smol::Timer::after"));
    /// assert!(!k.is_delay_fn("tokio::time::timeout"));
    /// ```
    pub fn is_delay_fn(&self, path: &str) -> bool {
        self.delay_fns.contains(&path)
    }

    /// Is `name` a set-up function's name (`new`, `open`, `init`, ..., or one starting
    /// `init_`, `setup_`, ...)? Their bodies run once.
    ///
    /// ```
    /// let k = asyncwise_lint::knowledge::Knowledge::builtin();
    /// assert!(k.is_setup_fn("open") && k.is_setup_fn("init_ftp_system"));
    /// assert!(!k.is_setup_fn("handle_init") && !k.is_setup_fn("start_server"));
    /// ```
    pub fn is_setup_fn(&self, name: &str) -> bool {
        self.setup_fns.contains(&name)
            || blocking::SETUP_FN_PREFIXES
                .iter()
                .any(|p| name.len() > p.len() && name.starts_with(p))
    }

    /// Does `#[<krate>::main]` mark a program's entry point (`tokio`, `actix_web`)?
    pub fn is_runtime_entry_crate(&self, krate: &str) -> bool {
        self.runtime_entry_crates.contains(&krate)
    }

    /// Is `name` a `block_on` method (it waits for the future it is given)?
    pub fn is_block_on_method(&self, name: &str) -> bool {
        self.block_on_methods.contains(&name)
    }

    /// Does the function `path` read or write the value it is given
    /// (`serde_json::from_reader(file)`)?
    pub fn is_reader_fn(&self, path: &str) -> bool {
        self.reader_fns.contains(&path)
    }

    /// Do reads and writes of a value of type `path` block (`std::fs::File`)?
    pub fn is_blocking_io_type(&self, path: &str) -> bool {
        self.blocking_io_types.contains(&path)
    }

    /// Does a sender's name mark a control or shutdown channel (`shutdown_tx`)?
    ///
    /// ```
    /// let k = asyncwise_lint::knowledge::Knowledge::builtin();
    /// assert!(k.is_control_sender("shutdown_tx") && !k.is_control_sender("events_tx"));
    /// ```
    pub fn is_control_sender(&self, name: &str) -> bool {
        self.control_sender_words.iter().any(|w| name.contains(w))
    }

    /// Does a sync closure handed to `path` get stored for later rather than run inline
    /// (`Box::new(move || ..)`)? Matched on the last two segments of `path`.
    ///
    /// ```
    /// let k = asyncwise_lint::knowledge::Knowledge::builtin();
    /// assert!(k.stores_closure("std::boxed::Box::new") && k.stores_closure("Box::new"));
    /// assert!(!k.stores_closure("Option::map"));
    /// ```
    pub fn stores_closure(&self, path: &str) -> bool {
        // The last two segments, as `path.rsplit("::")` gives them.
        let Some((before, last)) = crate::path_text::split_last(path) else {
            return false;
        };
        let owner = crate::path_text::last_segment(before);
        // `f.split_once("::") == Some((owner, last))` without a substring search per row:
        // neither `owner` nor `last` holds a `::` (they come from `rsplit`).
        self.storing_fns.iter().any(|f| {
            f.len() == owner.len() + 2 + last.len()
                && f.starts_with(owner)
                && f.ends_with(last)
                && f.as_bytes()[owner.len()..owner.len() + 2] == *b"::"
        })
    }

    /// Does calling the method `name` in a loop's iteration make it an accept loop?
    pub fn is_accept_method(&self, name: &str) -> bool {
        self.accept_methods.contains(&name)
    }

    /// Does `receiver.next()` accept a connection (`incoming`, `listener`)?
    pub fn is_accept_stream(&self, receiver: &str) -> bool {
        self.accept_stream_names.contains(&receiver)
    }

    /// Are the clients of a listener of this type (a canonical path) local processes?
    pub fn is_local_listener(&self, ty: &str) -> bool {
        self.local_listener_types.contains(&ty)
    }

    /// Does the method `name` only write to the connection it is called on?
    pub fn is_write_only_method(&self, name: &str) -> bool {
        self.write_only_methods.contains(&name)
    }

    /// Is `name` a semaphore permit method (`acquire`, `acquire_owned`, ...)?
    pub fn is_permit_method(&self, name: &str) -> bool {
        self.permit_methods.contains(&name)
    }

    /// Does calling `name` before a spawn in a loop bound the loop's tasks: a permit method,
    /// or a function configured as a `bound`?
    ///
    /// ```
    /// use asyncwise_lint::knowledge::{Knowledge, UserRows};
    /// let rows = UserRows { bound: vec!["svc::limits::take_slot".into()], ..UserRows::default() };
    /// let k = Knowledge::builtin().with_user_rows(&rows, None);
    /// assert!(k.bounds_spawns_after("take_slot") && k.bounds_spawns_after("acquire_owned"));
    /// assert!(!Knowledge::builtin().bounds_spawns_after("take_slot"));
    /// ```
    pub fn bounds_spawns_after(&self, name: &str) -> bool {
        self.is_permit_method(name) || self.is_configured_bound(name)
    }

    /// Does the spawner `via` (`asyncwise::TaskGroup::spawn`) wait for a free slot?
    pub fn is_bounding_spawner(&self, via: &str) -> bool {
        self.bounding_spawners.iter().any(|b| via.starts_with(b))
    }

    /// Does the spawner `via` return a future that only spawns (awaiting it bounds nothing)?
    pub fn spawn_returns_future(&self, via: &str) -> bool {
        self.spawn_returns_future.iter().any(|b| via.starts_with(b))
    }

    /// Which argument of a spawning method on `receiver` is the future (asyncwise's spawners
    /// take a task name first).
    pub fn spawn_future_arg(&self, receiver: &str) -> usize {
        spawn::future_arg(receiver)
    }

    /// Is `name` a method that drains a task collection (`join_next`)?
    pub fn is_drain_method(&self, name: &str) -> bool {
        self.drain_methods.contains(&name)
    }

    /// Is `name` a method that puts a task or its handle into a collection?
    pub fn is_fill_method(&self, name: &str) -> bool {
        self.fill_methods.contains(&name)
    }

    /// Is `name` a function that waits for a collection of tasks (`join_all`)?
    pub fn is_join_fn(&self, name: &str) -> bool {
        self.join_fns.contains(&name)
    }

    /// Is `name` a method that wraps a future without changing its output (`instrument`)?
    pub fn is_future_wrapper(&self, name: &str) -> bool {
        self.future_wrappers.contains(&name)
    }

    /// Is `name` (a trait's last path segment) a trait whose `poll*` methods the executor
    /// calls (`Stream`)?
    pub fn is_polled_trait(&self, name: &str) -> bool {
        self.polled_traits.contains(&name)
    }

    /// Is `name` a function that wraps the future it is given (`Box::pin`)?
    pub fn is_future_wrapper_fn(&self, name: &str) -> bool {
        self.future_wrapper_fns.contains(&name)
    }

    /// Is `path` a function the tables do not know that may be a spawn wrapper of the
    /// workspace ([`spawn::may_name_spawn_wrapper`])?
    pub fn may_be_spawn_wrapper(&self, path: &str) -> bool {
        !self.is_spawn_fn(path) && spawn::may_name_spawn_wrapper(path)
    }

    /// Is `name` the name of a spawning function or method, whatever its receiver?
    ///
    /// ```
    /// use asyncwise_lint::knowledge::{Knowledge, UserRows};
    /// assert!(Knowledge::builtin().is_spawn_name("spawn_blocking"));
    /// let rows = UserRows { spawn: vec!["svc::rt::spawn_named".into()], ..UserRows::default() };
    /// assert!(Knowledge::builtin().with_user_rows(&rows, None).is_spawn_name("spawn_named"));
    /// ```
    pub fn is_spawn_name(&self, name: &str) -> bool {
        self.spawn_names.contains(&name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_added_to_a_clone_is_known_to_resolution_and_matching() {
        let mut k = (*Knowledge::builtin()).clone();
        assert!(!k.is_known_path("mylib::io::read_all"));
        k.add_blocking_fn(BlockingFn {
            path: "mylib::io::*",
            hint: "use mylib::aio",
            cost: crate::knowledge::blocking::Cost::Wait,
        });
        assert!(k.is_known_path("mylib::io::read_all"));
        assert_eq!(
            k.blocking_fn("mylib::io::read_all").map(|b| b.hint),
            Some("use mylib::aio")
        );
        // The built-in value is untouched.
        assert!(
            Knowledge::builtin()
                .blocking_fn("mylib::io::read_all")
                .is_none()
        );
    }
}
