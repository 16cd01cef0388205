//! The per-file model that rules query, built in one traversal (`walk/`).
//!
//! Rules never walk syn trees: they read the facts collected here — calls with canonical paths
//! and receiver types, the context each runs in, spawns with their loop and handle, and the
//! lock guards that are alive at an `.await` (`analysis/guards.rs`). Facts hold [`Loc`]s (cheap
//! line and column pairs) and are turned into full [`Span`]s only for findings.

pub mod analysis;
pub mod cfg;
pub mod ir;
pub mod loops;
pub mod macro_rules;
pub(crate) mod macros;
mod prescan;
pub(crate) mod resolve;
pub mod test_code;
pub(crate) mod tokens;
pub(crate) mod types;
pub(crate) mod walk;

use std::path::Path;

use crate::diagnostic::{LineCol, Span};
use crate::facts::{FileSummary, FnSignature};
use prescan::Word;
pub use test_code::TestCode;
pub use types::{ChainBase, ChainStep, Loc, Ty, TyChain};

/// Where code runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ctx {
    /// On an async executor: `async fn`, `async` blocks and closures, and sync closures that
    /// run inline inside them.
    Async,
    /// Ordinary synchronous code (`fn` items, also when nested in async fns).
    Sync,
    /// A closure handed to an offloading function (`spawn_blocking`, `std::thread::spawn`, ...).
    Offloaded,
    /// Not known (e.g. a closure stored in a variable and run who knows where).
    Unknown,
}

/// What a call calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Callee {
    /// A function or associated function, by canonical path.
    Path(String),
    /// A method, with the light type of its receiver.
    Method {
        /// The method's name.
        name: String,
        /// The receiver's light type.
        receiver: Ty,
    },
    /// The iterator of a `for` loop (`for msg in rx`).
    Iterate {
        /// The iterated value's light type.
        receiver: Ty,
    },
    /// A function or macro that reads or writes the value it is given
    /// (`serde_json::from_reader(file)`, `write!(file, ..)`), with that value's known type.
    ReadsWrites {
        /// The function's canonical path, or the macro's name with its `!`.
        via: String,
        /// The canonical type of the reader or writer.
        io: String,
    },
}

/// One call site.
#[derive(Debug, Clone)]
pub struct CallFact {
    /// What is called.
    pub callee: Callee,
    /// The whole call expression.
    pub loc: Loc,
    /// The context it runs in.
    pub ctx: Ctx,
    /// The call is the operand of an `.await`.
    pub awaited: bool,
    /// Made directly in the body of `async fn main` or a set-up function (`new`, `open`,
    /// `init`, ...), outside loops, closures and async blocks: it runs once, at start-up.
    pub startup: bool,

    /// The function whose body holds the call (an index into [`FileModel::fn_items`]); `None`
    /// for calls outside any function (in a `const` or `static` initialiser).
    pub caller: Option<usize>,
    /// The called path as written (`fs::read`, `std::thread::sleep`), for a [`Callee::Path`]
    /// call: what a fix replaces.
    pub callee_loc: Option<Loc>,
    /// An `.await` may be written here: the call is directly in an `async fn`, block or
    /// closure, not in a sync closure run inside one.
    pub await_allowed: bool,
    /// Made directly in its function's body, outside loops, closures and async blocks: it runs
    /// once per call of the function.
    pub top_level: bool,
    /// Made in its function's own body, outside closures and async blocks, at most inside
    /// `for` loops (a range, a collection): it runs during each run of the function, a number
    /// of times bounded before the loop starts. Unlike `top_level`, a retry over `0..10` or a
    /// loop over configured peers counts; `loop` and `while` do not (they may serve until the
    /// end).
    pub per_run: bool,
    /// Made in an arm of a `match`: one of several alternatives, not before the code after
    /// the `match` in every run.
    pub in_arm: bool,
    /// Made in its function's own frame: not inside an async block or closure of the body (a
    /// future that may be spawned or joined), though perhaps in a sync closure run inline.
    /// An awaited call made there is polled as part of the function's own future.
    pub own_frame: bool,
    /// The future this call makes is handed to a multi-thread runtime's `block_on` by a sync
    /// `main` ([`FnItem::main_apart`]), directly (`rt.block_on(run(args))`, through `Box::pin`
    /// or `pin!`): it is polled on the main thread, apart from the workers, as if awaited in
    /// `#[tokio::main]`'s body. Calls awaited in an async block handed there are in `main`'s own
    /// frame ([`CallFact::own_frame`]).
    pub polled_apart: bool,
    /// The `#[cfg(..)]` predicates of the statements around the call inside its function, as
    /// written with whitespace removed (`unix`, `not(unix)`): the call is compiled only where
    /// they all hold.
    pub cfg: Vec<String>,
}

/// A function with a body, as the crate index names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FnItem {
    /// Its crate path: `crate::db::load`, `crate::db::Store::open` (the `impl`'s self type),
    /// `crate::db::Backend::flush` (a trait's default method).
    pub path: String,
    /// The resolved self type of the enclosing `impl` or trait, for `Self::` calls.
    pub self_ty: Option<String>,
    /// Declared `async fn`.
    pub is_async: bool,
    /// How many parameters it takes besides a `self` receiver: a method call passing another
    /// number of arguments calls some other type's method of the same name.
    pub arity: usize,
    /// Its name in the signature.
    pub loc: Loc,
    /// Its body, braces included.
    pub body: Loc,
    /// An async set-up fn: a runtime entry point, a constructor (returns `Self`), or named as
    /// set-up code (`new`, `open`, `init`, ...). What it does directly runs once per call.
    pub setup: bool,
    /// Named as set-up code by the run's knowledge (`new`, `open`, `init`, ...), async or not:
    /// a sync one called from async code blocks once per value it builds.
    pub named_setup: bool,
    /// A runtime `main` attribute that polls this fn's body on the main thread, apart from the
    /// worker threads that run spawned tasks (`#[tokio::main]`, multi-thread flavour; see
    /// [`polls_main_apart`](crate::knowledge::runtimes::polls_main_apart)); or, for a sync
    /// `main`, one that builds a multi-thread runtime by hand and hands futures to its
    /// `block_on`, which polls them there (see
    /// [`builds_multi_thread_runtime`](crate::model::analysis::startup::builds_multi_thread_runtime)
    /// and [`CallFact::polled_apart`]).
    pub main_apart: bool,
    /// Its declared return type, when it is a named type (`Result` and smart pointers peeled,
    /// `Self` as the `impl`'s type): how a value it returns is typed in other files.
    pub returns: Option<String>,
    /// A call of it is a future that can end in an error without logging it: an `async fn`
    /// (or a plain fn returning a future of a `Result`) declared to return a `Result`, not a
    /// trait's method, with an exit that hands back an error unlogged and not merely passed on
    /// from a callee of the crate (see [`FnSignature::logged_if`](crate::facts::FnSignature)).
    /// How a task spawned in another crate of the workspace is judged by it.
    pub fails_silently: bool,
    /// When it could fail but every such exit passes on the error of a call of a function
    /// (`serve_with(addr, None).await`, `helper(..).await?`): those functions' names. It fails
    /// silently when one of them does, which the crate index settles.
    pub passes_on_errors_of: Vec<String>,
}

/// An out-of-line module declaration, `mod db;` or `#[path = "x.rs"] mod db;`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModDecl {
    /// The module path the declaration sits in (the file's module, or an inline module in it).
    pub parent: String,
    /// The declared module's name.
    pub name: String,
    /// The `#[path]` attribute's value, if any.
    pub path_attr: Option<String>,
}

/// A call that blocks the thread by itself: what it calls, as people read it
/// (`std::fs::copy`, `File::read_to_string`, ``iterating a `Receiver` ``), and the table row's
/// advice. The one matcher for direct blocking, used by `blocking_in_async` and by the
/// per-file summary (helpers that block).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockingUse {
    /// What blocks, for messages.
    pub what: String,
    /// What to do instead.
    pub hint: &'static str,
    /// What kind of cost it has (the table row's class).
    pub cost: crate::knowledge::blocking::Cost,
}

impl Callee {
    /// Whether this call blocks by itself, according to the blocking tables. A method on a
    /// field of a struct declared in another file is not known here (see `blocking_in_async`).
    ///
    /// ```
    /// use asyncwise_lint::{knowledge::Knowledge, model::Callee};
    /// let k = Knowledge::builtin();
    /// let c = Callee::Path("std::fs::copy".into());
    /// assert_eq!(c.blocking(&k).unwrap().what, "`std::fs::copy`");
    /// assert!(Callee::Path("tokio::fs::copy".into()).blocking(&k).is_none());
    /// ```
    pub fn blocking(&self, knowledge: &crate::knowledge::Knowledge) -> Option<BlockingUse> {
        use crate::knowledge::blocking::io_cost;
        let (what, hint, cost) = match self {
            Callee::Path(path) => {
                let row = knowledge.blocking_fn(path)?;
                (format!("`{path}`"), row.hint, row.cost)
            }
            Callee::Method { name, receiver } => {
                if let Some(row) =
                    crate::knowledge::blocking::blocking_method_name(name, receiver.path())
                {
                    (
                        format!("`{name}`"),
                        row.hint,
                        crate::knowledge::blocking::Cost::Wait,
                    )
                } else {
                    let ty = receiver.path()?;
                    let row = knowledge.blocking_method(ty, name)?;
                    (format!("`{}::{name}`", short_type(ty)), row.hint, row.cost)
                }
            }
            Callee::ReadsWrites { via, io } => (
                format!("`{via}` on a `{}`", short_type(io)),
                "read and write files with `tokio::fs`/`tokio::io` (e.g. read into a buffer with `tokio::fs::read`, then parse it), or run it in `tokio::task::spawn_blocking`",
                io_cost(io),
            ),
            Callee::Iterate { receiver } => {
                let ty = receiver.path()?;
                let row = knowledge.blocking_method(ty, "into_iter")?;
                (
                    format!("iterating a `{}`", short_type(ty)),
                    row.hint,
                    row.cost,
                )
            }
        };
        Some(BlockingUse { what, hint, cost })
    }
}

/// The last segment of a type path (`Receiver`), or the module of a `module::*` row.
pub(crate) fn short_type(path: &str) -> &str {
    match path.strip_suffix("::*") {
        Some(module) => module,
        None => path.rsplit("::").next().unwrap_or(path),
    }
}

/// A Rust edition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Edition {
    /// 2015: `async` is not a keyword, paths are not 2018-style.
    E2015,
    /// 2018.
    E2018,
    /// 2021.
    E2021,
    /// 2024: `if let` scrutinee temporaries are dropped before `else`. The default: code
    /// checked without a manifest is read as current Rust.
    #[default]
    E2024,
}

impl Edition {
    /// The edition as a manifest writes it (`"2021"`).
    ///
    /// ```
    /// use asyncwise_lint::model::Edition;
    /// assert_eq!(Edition::E2018.as_str(), "2018");
    /// assert_eq!(Edition::parse(Edition::E2024.as_str()), Some(Edition::E2024));
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Edition::E2015 => "2015",
            Edition::E2018 => "2018",
            Edition::E2021 => "2021",
            Edition::E2024 => "2024",
        }
    }

    /// Parses an edition string (`"2018"`).
    ///
    /// ```
    /// use asyncwise_lint::model::Edition;
    /// assert_eq!(Edition::parse("2015"), Some(Edition::E2015));
    /// assert_eq!(Edition::parse("1999"), None);
    /// ```
    pub fn parse(text: &str) -> Option<Edition> {
        Some(match text {
            "2015" => Edition::E2015,
            "2018" => Edition::E2018,
            "2021" => Edition::E2021,
            "2024" => Edition::E2024,
            _ => return None,
        })
    }
}

/// The tokio features a file's package turns on, as far as fixes need them: a rewrite to
/// `tokio::time::sleep` needs `time`, one to `tokio::fs` needs `fs` (`full` has both).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokioFeatures {
    /// The package depends on tokio (in `[dependencies]`).
    pub depends: bool,
    /// The features, as written (`full`, `time`, ...).
    pub features: Vec<String>,
}

impl TokioFeatures {
    /// From a manifest's `tokio` features (`None`: no tokio dependency).
    pub fn from_manifest(features: Option<&[String]>) -> Self {
        TokioFeatures {
            depends: features.is_some(),
            features: features.map(<[String]>::to_vec).unwrap_or_default(),
        }
    }

    /// Does the package have tokio with `feature` (or `full`)?
    ///
    /// ```
    /// use asyncwise_lint::model::TokioFeatures;
    /// let t = TokioFeatures::from_manifest(Some(&["rt".into(), "time".into()]));
    /// assert!(t.has("time") && !t.has("fs"));
    /// assert!(TokioFeatures::from_manifest(Some(&["full".into()])).has("fs"));
    /// assert!(!TokioFeatures::from_manifest(None).has("time"));
    /// ```
    pub fn has(&self, feature: &str) -> bool {
        self.depends && self.features.iter().any(|f| f == feature || f == "full")
    }
}

/// The per-run context of one file: where it sits in its crate, its package's edition, and the
/// knowledge the run uses.
#[derive(Debug, Clone)]
pub struct FileContext {
    /// The file's top module (`crate`, `crate::db` for `src/db.rs`; see
    /// [`crate::engine::layout`]).
    pub module: String,
    /// The package's edition.
    pub edition: Edition,
    /// Summarise the file for the crate index (off only to measure what that costs).
    pub call_graph: bool,
    /// What the run knows about libraries.
    pub knowledge: std::sync::Arc<crate::knowledge::Knowledge>,
    /// The package's tokio dependency (fixes are offered only for what it provides).
    pub tokio: TokioFeatures,
    /// Leave the file's test items out of the model (see [`TestCode::prune`]): the run does
    /// not report them, so modelling them is wasted, and the crate pass should not judge
    /// library code by what only its tests do.
    pub skip_test_items: bool,
}

impl Default for FileContext {
    fn default() -> Self {
        FileContext {
            module: "crate".into(),
            edition: Edition::default(),
            call_graph: true,
            knowledge: crate::knowledge::Knowledge::builtin(),
            tokio: TokioFeatures::default(),
            skip_test_items: false,
        }
    }
}

/// One task spawn.
#[derive(Debug, Clone)]
pub struct SpawnFact {
    /// The spawn call.
    pub loc: Loc,
    /// The spawning function or method, canonical (`tokio::spawn`, `tokio::task::JoinSet::spawn`).
    pub via: String,
    /// Context of the spawn call.
    pub ctx: Ctx,
    /// The loop it is made in, with what bounds the loop's tasks (`None`: not in a loop or
    /// iterator closure of its own body).
    pub in_loop: Option<analysis::bounds::SpawnLoop>,
    /// The `JoinHandle` is discarded (expression statement, `let _ =`, `drop(..)`).
    pub discarded: bool,
    /// The task is owned by a collection (`JoinSet::spawn`).
    pub owned: bool,
    /// How the task can fail.
    pub failure: analysis::failure::BodyFailure,
    /// Spawned by a `Drop` impl's `drop`: best-effort clean-up of a value being destroyed,
    /// whose handle nobody can keep.
    pub in_drop: bool,
    /// When the task ends in a call of a function its path resolves into another crate
    /// (`tokio::spawn(shared::health::serve(addr))`, or an async block whose tail awaits such
    /// a call): that path as the file resolves it. Whether it is an async fn of a workspace
    /// member that can fail silently only the crate index can tell.
    pub ends_in_other_crate: Option<String>,
}

/// A synchronous lock guard alive at an `.await` of the same body.
#[derive(Debug, Clone)]
pub struct HeldGuard {
    /// Where the guard is acquired.
    pub acquired: Loc,
    /// The first `.await` reached while it is held.
    pub await_loc: Loc,
    /// Every await point reached while it is held, `await_loc` first (`.await` tokens,
    /// `select!`/`join!` invocations, or an `.await` inside a macro that is not parsed).
    pub awaits: Vec<Loc>,
    /// "`std::sync::Mutex` guard", ...
    pub describe: &'static str,
    /// Set when the lock's type is a field of a struct declared in another file: the finding
    /// holds if the crate pass finds that field to be one of these lock types.
    pub requires: Option<crate::facts::Requirement>,
    /// The lock, when it is a struct field (`self.map`, `state.cache`, or a local bound to
    /// `&self.map`): what the crate pass asks whether anyone else can contend for.
    pub lock: Option<crate::summary::LockId>,
    /// The guard is a shared (read) one: a `RwLock`'s `read`, a `dashmap` read reference
    /// (`get`, `iter`). Only a writer of the same lock waits for it.
    pub shared: bool,
    /// The lock is reached as a field of `self` (`self.map.iter()`) in a method that takes
    /// `&mut self`: while the method runs, no other code holds `self`.
    pub exclusive_self: bool,
    /// The guard is taken in an async block that a sync function (not a `main` building the
    /// runtime) hands straight to `block_on`: the future is polled on the calling thread until
    /// it ends, not on a runtime worker, and is never spawned.
    pub on_caller_thread: bool,
}

/// An async lock declared in the file (see [`crate::summary::AsyncLockDecl`]).
#[derive(Debug, Clone)]
pub struct AsyncLockDeclFact {
    /// Which lock.
    pub id: crate::summary::LockId,
    /// The lock type's canonical path.
    pub ty: String,
    /// The declared type as written, without spaces.
    pub shape: String,
    /// Behind `Arc`/`Rc`.
    pub shared: bool,
    /// `pub` field or static.
    pub public: bool,
    /// Handed to code not seen here.
    pub escapes: bool,
    /// Other local names of the same lock.
    pub aliases: Vec<String>,
    /// The field, static, or constructor call.
    pub loc: Loc,
}

/// A lock call of an async lock in async code (see [`crate::summary::AsyncLockSite`]).
#[derive(Debug, Clone)]
pub struct AsyncLockSiteFact {
    /// Which lock, when it can be told.
    pub id: Option<crate::summary::LockId>,
    /// The guard is alive at a later `.await` or leaves the site.
    pub held: bool,
    /// Not a lock call: the lock itself is handed to other code here (a call argument, a
    /// struct literal, returned), which may hold it.
    pub lent: bool,
    /// For a lock lent as a struct literal's field (`Handler { cfg: self.cfg.clone() }`): that
    /// field, a copy of the same lock.
    pub into: Option<crate::summary::LockId>,
    /// The lock call.
    pub loc: Loc,
}

/// Everything rules need to know about one file.
#[derive(Debug)]
pub struct FileModel<'a> {
    /// The file's path.
    pub path: &'a Path,
    /// The file's text.
    pub source: &'a str,
    /// Every call.
    pub calls: Vec<CallFact>,
    /// Every task spawn.
    pub spawns: Vec<SpawnFact>,
    /// Calls of a function named like a spawner (`runtime::spawn(conn.run())`) that the
    /// tables do not know: each spawns a task if the crate index finds that the function is a
    /// spawn wrapper of the workspace ([`FileModel::spawn_wrappers`]).
    pub wrapper_spawns: Vec<SpawnFact>,
    /// This file's functions that hand the future they are given to a spawner (see
    /// `analysis::spawn_wrappers`).
    pub(crate) spawn_wrappers: Vec<analysis::spawn_wrappers::SpawnWrapper>,
    /// Guards held across awaits.
    pub held_guards: Vec<HeldGuard>,
    /// Function signatures declared in the file.
    pub functions: Vec<FnSignature>,
    /// Struct fields with named types declared in the file.
    pub fields: Vec<crate::facts::FieldFact>,
    /// Fields the file may write or hand out (see [`analysis::field_writes`]).
    pub field_writes: Vec<crate::facts::FieldWrite>,
    /// Type aliases of the file with a named target: (alias, the target's name).
    pub type_aliases: Vec<(String, String)>,
    /// Unbounded channel constructors whose sender is visibly not fed without limit (the
    /// pedantic form of `unbounded_channel`), with why.
    pub low_volume_channels: Vec<(Loc, analysis::channels::LowVolume)>,
    /// `recv_timeout` calls with a zero or near-zero constant timeout: polls that do not block.
    pub polling_receives: Vec<Loc>,
    /// Calls of blocking rows that do not wait here: filesystem calls on a literal path under
    /// `/proc` or `/sys`, which the kernel answers from memory (see
    /// [`crate::knowledge::blocking::KERNEL_FS_ROOTS`]), and a socket2 socket's
    /// `connect`/`accept` after `set_nonblocking(true)` on it, or on a datagram socket (see
    /// [`crate::knowledge::blocking::MODE_DEPENDENT_SOCKET_METHODS`]).
    pub non_waiting_calls: Vec<Loc>,
    /// Calls that abort a task or keep the means to (`handle.abort()`, `handle.abort_handle()`,
    /// `AbortOnDropHandle::new(handle)`).
    pub task_aborts: Vec<Loc>,
    /// Async locks declared in the file.
    pub async_lock_decls: Vec<AsyncLockDeclFact>,
    /// Async lock calls in async code, with whether each guard lives on.
    pub async_lock_sites: Vec<AsyncLockSiteFact>,
    /// Locks that the file's `macro_rules!` bodies lock (not followed as code).
    pub macro_locks: macro_rules::MacroLocks,
    /// The statement-level IR of the file's async bodies (see [`ir`]).
    pub ir: ir::Ir,
    /// Every loop of an async body, with what its iteration awaits (`loops.rs`).
    pub loops: Vec<loops::LoopFact>,
    /// Async bodies with state-changing calls (`fetch_add`, `inc_x()`), with their awaits.
    pub sequences: Vec<loops::SequenceFact>,
    /// Async fn bodies that wait or bound attempts themselves (`loops.rs`).
    pub paced_bodies: Vec<Loc>,
    /// What runs once per event: handlers, registered handlers, event-loop bodies.
    pub per_event: analysis::per_event::PerEventFacts,
    /// Code no served work waits on: right before a process exit, a fallback for an unset
    /// environment variable (see [`analysis::quiet_paths`]).
    pub quiet_paths: analysis::quiet_paths::QuietPaths,
    /// Spawned tasks joined together whose results are discarded (`join_all(handles).await;`).
    pub unread_joins: Vec<analysis::joins::UnreadJoin>,

    /// Every function with a body, in source order.
    pub fn_items: Vec<FnItem>,
    /// Out-of-line module declarations.
    pub mod_decls: Vec<ModDecl>,
    /// The module path the file was lowered as (`crate`, `crate::db`).
    pub module: String,
    /// Module-level imports of crate items: (alias path, target path).
    pub crate_aliases: Vec<(String, String)>,
    /// Module-level glob imports of crate modules: (importing module, glob module).
    pub crate_globs: Vec<(String, String)>,
    /// What the run knows about libraries: rules match calls against it.
    pub knowledge: std::sync::Arc<crate::knowledge::Knowledge>,
    /// The package's tokio dependency, for fixes.
    pub tokio: TokioFeatures,
    line_starts: Vec<usize>,
}

impl<'a> FileModel<'a> {
    /// The innermost function whose body holds `at`, by its index in
    /// [`fn_items`](Self::fn_items).
    ///
    /// ```
    /// use asyncwise_lint::model::{FileModel, Loc};
    /// let src = "fn outer() {\n    fn inner() {\n        work();\n    }\n}\n";
    /// let ast = syn::parse_file(src).unwrap();
    /// let m = FileModel::build(std::path::Path::new("f.rs"), src, &ast);
    /// let i = m.innermost_fn(Loc { start: (3, 8), end: (3, 14) }).unwrap();
    /// assert!(m.fn_items[i].path.ends_with("inner"));
    /// ```
    pub fn innermost_fn(&self, at: Loc) -> Option<usize> {
        self.fn_items
            .iter()
            .enumerate()
            .filter(|(_, f)| f.body.encloses(at))
            .max_by_key(|(_, f)| f.body.start)
            .map(|(i, _)| i)
    }

    /// Builds the model of one parsed file.
    ///
    /// ```
    /// use asyncwise_lint::model::{Callee, Ctx, FileModel};
    /// let src = "use std::thread::sleep as nap; async fn f() { nap(d); }";
    /// let ast = syn::parse_file(src).unwrap();
    /// let m = FileModel::build(std::path::Path::new("f.rs"), src, &ast);
    /// assert_eq!(m.calls[0].callee, Callee::Path("std::thread::sleep".into()));
    /// assert_eq!(m.calls[0].ctx, Ctx::Async);
    /// ```
    pub fn build(path: &'a Path, source: &'a str, ast: &syn::File) -> Self {
        Self::build_in(path, source, ast, &FileContext::default())
    }

    /// Builds the model of a file at a place in its crate (`crate::db` for `src/db.rs`) and of
    /// its package's edition.
    ///
    /// ```
    /// use asyncwise_lint::model::{Callee, FileContext, FileModel};
    /// let src = "fn copy_files() {} async fn install() { copy_files(); }";
    /// let ast = syn::parse_file(src).unwrap();
    /// let cx = FileContext { module: "crate::setup".into(), ..Default::default() };
    /// let m = FileModel::build_in(std::path::Path::new("src/setup.rs"), src, &ast, &cx);
    /// assert_eq!(m.fn_items[1].path, "crate::setup::install");
    /// assert_eq!(m.calls[0].callee, Callee::Path("crate::setup::copy_files".into()));
    /// assert_eq!(m.calls[0].caller, Some(1));
    /// ```
    pub fn build_in(path: &'a Path, source: &'a str, ast: &syn::File, cx: &FileContext) -> Self {
        let module = cx.module.as_str();
        // memchr's vectorised search: `match_indices('\n')` restarts a search per line.
        let mut line_starts = vec![0];
        line_starts.extend(memchr::memchr_iter(b'\n', source.as_bytes()).map(|i| i + 1));
        // Async lock guards are followed only in files that can name one, or that await an
        // acquisition of a lock declared in another file (`st.sessions.lock().await` in a
        // handler file, with the state struct in `state.rs`).
        // Which of the words deciding what is collected below the text holds: one pass.
        let words = prescan::scan(source.as_bytes());
        let async_locks = words.has(Word::Mutex)
            || words.has(Word::RwLock)
            || words.has(Word::LockAwait)
            || words.has(Word::ReadAwait)
            || words.has(Word::WriteAwait);
        let has_macro_rules = words.has(Word::MacroRules);
        // One resolver of the file's names for the analyses below (made when the first needs
        // it): each would build the same one from the tree.
        let mut shared_resolver = None;
        let new_resolver =
            || resolve::Resolver::with_root(ast, module, std::sync::Arc::clone(&cx.knowledge));
        let facts = walk::walk_file(ast, &file_module(path), cx, async_locks);
        // A `connect` whose `EINPROGRESS` result the caller handles is of a non-blocking socket.
        let mut non_waiting_calls = facts.non_waiting_calls.clone();
        if words.has(Word::InProgress) {
            non_waiting_calls.extend(analysis::in_progress::handled_connects(ast));
        }
        let macro_locks = if async_locks && has_macro_rules {
            macro_rules::lock_uses(ast)
        } else {
            macro_rules::MacroLocks::default()
        };
        // Only files that join a collection of futures or drain a `JoinSet` can have any.
        let unread_joins = if words.has(Word::JoinAll) || words.has(Word::JoinNext) {
            analysis::joins::unread_joins(ast, shared_resolver.get_or_insert_with(&new_resolver))
        } else {
            Vec::new()
        };
        // Only files that can exit the process or panic, read the environment, hand a file
        // to an async reader or initialise a once-cell have quiet regions.
        let quiet_paths = if words.has(Word::Process)
            || words.has(Word::Panic)
            || words.has(Word::Unreachable)
            || words.has(Word::Todo)
            || words.has(Word::Unimplemented)
            || words.has(Word::GetOr)
            || words.has(Word::CallOnce)
            || words.has(Word::Env)
            || words.has(Word::FromStd)
            || words.has(Word::FromFile)
        {
            analysis::quiet_paths::analyse(ast)
        } else {
            analysis::quiet_paths::QuietPaths::default()
        };
        // Type aliases, for fields reached through an alias declared here from other files
        // (the walker's own table is not kept).
        let type_aliases = if words.has(Word::Type) {
            // (The table leaves the resolver as it found it: in the file's root module.)
            types::TypeTable::new(ast, shared_resolver.get_or_insert_with(&new_resolver))
                .named_aliases()
                .map(|(alias, target)| (alias.to_string(), target.to_string()))
                .collect()
        } else {
            Vec::new()
        };
        // Spawns inside `macro_rules!` transcribers, which the walker reads as tokens.
        let mut spawns = facts.spawns;
        if has_macro_rules && words.has(Word::Spawn) {
            let resolver = shared_resolver.get_or_insert_with(&new_resolver);
            spawns.extend(macro_rules::discarded_spawns(ast, resolver));
        }
        // Functions that hand a future they are given to a spawner.
        let spawn_wrappers = if words.has(Word::Future) && words.has(Word::Spawn) {
            let resolver = shared_resolver.get_or_insert_with(&new_resolver);
            analysis::spawn_wrappers::spawn_wrappers(ast, resolver)
        } else {
            Vec::new()
        };
        // A lock call through a local bound to a clone of a field's lock is the field's. Only
        // a guard dropped before the next await is moved over: a held or lent one stays a lock
        // that cannot be named, which keeps `async_mutex_unneeded` from judging the crate, as
        // before locals were followed to their field.
        let mut async_lock_sites = facts.async_lock_sites;
        if !facts.field_lock_aliases.is_empty() {
            for site in &mut async_lock_sites {
                if !site.held
                    && !site.lent
                    && let Some(crate::summary::LockId::Local { function, name }) = &site.id
                    && let Some((.., field)) = facts
                        .field_lock_aliases
                        .iter()
                        .find(|(f, n, _)| f == function && n == name)
                {
                    site.id = Some(field.clone());
                }
            }
        }
        // Fields the file may write or hand out: whether anyone can contend for a read guard
        // is a question about every file of the crate.
        let field_writes = analysis::field_writes::analyse(ast);
        FileModel {
            path,
            source,
            field_writes,
            calls: facts.calls,
            spawns,
            wrapper_spawns: facts.wrapper_spawns,
            spawn_wrappers,
            held_guards: facts.held_guards,
            functions: facts.functions,
            fields: facts.fields,
            type_aliases,
            low_volume_channels: facts.low_volume_channels,
            polling_receives: facts.polling_receives,
            non_waiting_calls,
            task_aborts: facts.task_aborts,
            async_lock_decls: facts.async_lock_decls,
            async_lock_sites,
            macro_locks,
            ir: facts.ir,
            loops: facts.loops,
            sequences: facts.sequences,
            paced_bodies: facts.paced_bodies,
            per_event: facts.per_event,
            quiet_paths,
            unread_joins,

            fn_items: facts.fn_items,
            mod_decls: facts.mod_decls,
            module: module.to_string(),
            crate_aliases: facts.crate_aliases,
            crate_globs: facts.crate_globs,
            knowledge: std::sync::Arc::clone(&cx.knowledge),
            tokio: cx.tokio.clone(),
            line_starts,
        }
    }

    /// The file's contribution to the crate pass.
    pub fn summary(&self) -> FileSummary {
        FileSummary {
            functions: self.functions.clone(),
            fields: self.fields.clone(),
            type_aliases: self.type_aliases.clone(),
            field_writes: self.field_writes.clone(),
            module: self.module.clone(),
            target: crate::facts::Target::of(self.path),
            items: crate::summary::FileItems::default(),
        }
    }

    /// Converts a location to a full span with 1-based columns and byte offsets.
    pub fn span(&self, loc: Loc) -> Span {
        let (start, byte_start) = self.point(loc.start);
        let (end, byte_end) = self.point(loc.end);
        Span {
            start,
            end,
            byte_start,
            byte_end,
        }
    }

    /// The 1-based line holding byte `offset` of the source.
    pub(crate) fn line_of_offset(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&start| start <= offset)
    }

    fn point(&self, (line, column): (usize, usize)) -> (LineCol, usize) {
        let line = line.max(1);
        let Some(&line_start) = self.line_starts.get(line - 1) else {
            return (
                LineCol {
                    line,
                    column: column + 1,
                },
                self.source.len(),
            );
        };
        let rest = &self.source[line_start..];
        // Columns count characters: when the `column` bytes before the point are ASCII, they
        // are `column` characters, and no decoding is needed.
        let byte = if column < rest.len() && rest.as_bytes()[..column].is_ascii() {
            column
        } else {
            rest.char_indices()
                .nth(column)
                .map_or_else(|| rest.find('\n').unwrap_or(rest.len()), |(i, _)| i)
        };
        (
            LineCol {
                line,
                column: column + 1,
            },
            line_start + byte,
        )
    }
}

/// The module name a file declares: `worker` for `worker.rs` and `worker/mod.rs`.
fn file_module(path: &Path) -> String {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("crate");
    match stem {
        "mod" => path
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|s| s.to_str())
            .unwrap_or("crate")
            .to_string(),
        "lib" | "main" => "crate".to_string(),
        other => other.to_string(),
    }
}
