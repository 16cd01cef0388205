//! The per-file summary: what one file tells the rest of its crate, as plain serializable data.
//!
//! A summary is computed from one file alone (the syn tree never leaves its thread) and holds
//! what the crate index needs: every function with its id, whether it is `async`, the calls it
//! makes that may land in this crate or a workspace member (resolved as far as the file can
//! resolve them, with spans and the context each runs in), its direct blocking calls, and the
//! file's module declarations and crate imports. Like rust-analyzer's item tree it is the
//! boundary between per-file and crate-wide work: a cache can store it, and the crate index
//! ([`crate::crate_index`]) is built from summaries only.
//!
//! ```
//! use asyncwise_lint::model::{FileContext, FileModel};
//! let src = "fn copy_files() { std::fs::copy(\"a\", \"b\").ok(); } async fn install() { copy_files(); }";
//! let ast = syn::parse_file(src).unwrap();
//! let cx = FileContext { module: "crate::setup".into(), ..Default::default() };
//! let model = FileModel::build_in(std::path::Path::new("src/setup.rs"), src, &ast, &cx);
//! let items = asyncwise_lint::summary::summarize(&model);
//! assert_eq!(items.functions[0].id.0, "crate::setup::copy_files");
//! assert_eq!(items.functions[0].blocking[0].what, "`std::fs::copy`");
//! assert_eq!(items.functions[1].calls[0].target, "crate::setup::copy_files");
//! let json = serde_json::to_string(&items).unwrap();
//! assert_eq!(serde_json::from_str::<asyncwise_lint::summary::FileItems>(&json).unwrap(), items);
//! ```

use serde::{Deserialize, Serialize};

use crate::diagnostic::Span;
use crate::model::{Callee, Ctx, FileModel, Loc, Ty};

/// A function's crate path: `crate::db::load`, `crate::db::Store::open` (methods and associated
/// functions under their `impl`'s self type), `crate::db::Backend::flush` (trait defaults).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FnId(pub String);

impl FnId {
    /// The name people read in a chain: the function's name, with its type for methods
    /// (`Store::open`, `copy_files`).
    ///
    /// ```
    /// use asyncwise_lint::summary::FnId;
    /// assert_eq!(FnId("crate::db::Store::open".into()).short(), "Store::open");
    /// assert_eq!(FnId("crate::setup::copy_files".into()).short(), "copy_files");
    /// ```
    pub fn short(&self) -> &str {
        let mut parts = self.0.rmatch_indices("::");
        let Some((last, _)) = parts.next() else {
            return &self.0;
        };
        match parts.next() {
            Some((before, _)) if self.0[before + 2..last].starts_with(char::is_uppercase) => {
                &self.0[before + 2..]
            }
            None if self.0[..last].starts_with(char::is_uppercase) => &self.0,
            _ => &self.0[last + 2..],
        }
    }
}

/// What one file contributes to the crate index.
///
/// The cache stores it with postcard, which writes fields by position: every field is always
/// serialized (no `skip_serializing_if`), or entries written by this build would not read back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileItems {
    /// The module path the file was lowered as (`crate::db` for `src/db.rs`); the index moves
    /// it when a `#[path]` attribute puts the file elsewhere.
    pub module: String,
    /// Out-of-line module declarations.
    pub mod_decls: Vec<ModDeclRef>,
    /// Module-level imports of crate items: (alias path, target path).
    pub aliases: Vec<(String, String)>,
    /// Module-level glob imports of crate modules: (importing module, glob module).
    pub globs: Vec<(String, String)>,
    /// Struct fields with a named type: (struct, field, type path), so receivers that are
    /// fields of structs declared here can be typed from other files.
    pub fields: Vec<(String, String, String)>,
    /// Functions with bodies, in source order. Each boxed (the encoding is the same): the
    /// crate index takes them over by pointer, where moving 4,200 summaries of 528 bytes
    /// into one table of its own touched 2.2 MB of fresh memory on every warm run of tokio.
    pub functions: Vec<Box<FnSummary>>,
    /// Async locks declared here (struct fields, statics, locals).
    #[serde(default)]
    pub async_lock_decls: Vec<AsyncLockDecl>,
    /// Where async locks are locked in async code, and whether each guard lives on.
    #[serde(default)]
    pub async_lock_sites: Vec<AsyncLockSite>,
    /// The first call into each async runtime (spawn, sleep, block on, build) outside test code.
    #[serde(default)]
    pub runtime_calls: Vec<RuntimeCall>,
    /// Locks that `macro_rules!` bodies of the file lock, where no guard can be followed.
    #[serde(default)]
    pub macro_locks: crate::model::macro_rules::MacroLocks,
    /// Struct fields that are locks whose guard dereferences to a named type: (struct, field,
    /// that type's path), so `state.db.lock()?.execute(..)` in another file is typed.
    #[serde(default)]
    pub guarded_fields: Vec<(String, String, String)>,
}

/// Which lock a declaration or lock site is: what the crate pass matches them by.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LockId {
    /// A struct field (`Owner.field`, the struct by its name).
    Field {
        /// The struct's name.
        owner: String,
        /// The field.
        field: String,
    },
    /// A `static`, by its name.
    Static {
        /// The static's name.
        name: String,
    },
    /// A local binding of one function (async blocks and closures in it included).
    Local {
        /// The function's id.
        function: String,
        /// The binding.
        name: String,
    },
}

/// An async lock declaration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AsyncLockDecl {
    /// Which lock.
    pub id: LockId,
    /// The lock type's canonical path (`tokio::sync::Mutex`).
    pub ty: String,
    /// The declared type as written, without spaces: declarations behind `Arc` with the same
    /// text may hold the same lock.
    pub shape: String,
    /// Behind `Arc`/`Rc` (or a local built with `Arc::new`).
    pub shared: bool,
    /// Visible outside the crate (`pub` field or static): code elsewhere may hold it.
    pub public: bool,
    /// A local handed to other code (a call argument, a struct literal), or a field whose
    /// lock is lent out (returned by reference): its uses are not all visible.
    pub escapes: bool,
    /// Other local names of the same lock (`let m2 = m.clone()`).
    pub aliases: Vec<String>,
    /// The field, the static, or the constructor call.
    pub span: Span,
}

/// A lock call of an async lock in async code (`m.lock().await`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AsyncLockSite {
    /// Which lock, when it can be told (`self.state`, a static, a local).
    pub id: Option<LockId>,
    /// The guard is alive at a later `.await`, or leaves the site (returned, stored, moved, an
    /// owned guard).
    pub held: bool,
    /// Not a lock call: the lock is handed to other code here (a call argument, a struct
    /// literal, a return value), which may hold it; counts as held.
    pub lent: bool,
    /// For a lock lent as a struct literal's field (`Handler { cfg: self.cfg.clone() }`): that
    /// field (`Handler.cfg`), which holds the same lock from then on.
    pub into: Option<LockId>,
    /// The lock call.
    pub span: Span,
    /// It is in a per-event region of its file (an accept, `next()` or `recv_from()` loop's
    /// body, or a task spawned there): locked once per connection or message.
    #[serde(default)]
    pub per_event: bool,
}

/// A call into an async runtime.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuntimeCall {
    /// The runtime's name (`tokio`).
    pub runtime: String,
    /// The called path.
    pub what: String,
    /// The call.
    pub span: Span,
}

/// `mod name;` inside module `parent`, with its `#[path]` attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModDeclRef {
    /// The declaring module.
    pub parent: String,
    /// The declared module's name.
    pub name: String,
    /// The `#[path]` attribute's value.
    pub path_attr: Option<String>,
}

/// One function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FnSummary {
    /// Its id.
    pub id: FnId,
    /// Declared `async fn`.
    pub is_async: bool,
    /// Its name in the signature.
    pub at: Span,
    /// Calls that may reach a function of this crate or of another workspace member.
    pub calls: Vec<CallRef>,
    /// Calls that block by themselves, in sync code or offloaded (`ctx` says which; those in
    /// async code are reported by the per-file rule and not repeated here).
    pub blocking: Vec<BlockingCall>,
    /// Its body, braces included: findings are placed in their function by it.
    #[serde(default)]
    pub body: Span,
    /// It waits for a person at the terminal itself, outside offloaded closures: reads
    /// standard input, shows a prompt, opens an editor (see
    /// [`waits_for_user`](crate::knowledge::quiet_paths::waits_for_user)).
    #[serde(default)]
    pub waits_for_user: bool,
    /// Test code (a `#[cfg(test)]` item, a test function): cargo builds it into another crate,
    /// so its calls say nothing about where the library or binary code runs.
    #[serde(default)]
    pub in_test: bool,
    /// The first line from which it runs something concurrently: spawns a task, joins or
    /// selects futures, serves (see [`CONCURRENCY_MARKERS`](crate::knowledge::spawn::CONCURRENCY_MARKERS)).
    #[serde(default)]
    pub concurrent_from: Option<usize>,
    /// The first line where it spawns a task and lets go of its handle: a task that outlives
    /// the call, so its callers run concurrently once the call returns.
    #[serde(default)]
    pub detaches_from: Option<usize>,
    /// Method calls whose receiver's type the file cannot tell (`cmd.run(..)` on a value bound
    /// by a `match`): each name with the line of its last such call. The crate index links them
    /// to every method of that name when it judges where code runs (never for blocking chains).
    #[serde(default)]
    pub untyped_method_calls: Vec<(String, usize)>,
    /// An async set-up fn (see [`FnItem::setup`](crate::model::FnItem::setup)).
    #[serde(default)]
    pub setup: bool,
    /// It hands the future it is given to a spawner: a call of it spawns a task (see
    /// `model/analysis/spawn_wrappers.rs`).
    #[serde(default)]
    pub spawns_future: bool,
    /// With `spawns_future`: its body logs or inspects an error, so its task's error does not
    /// go unheard whoever drops the handle.
    #[serde(default)]
    pub handles_spawned_errors: bool,
    /// Named as set-up code (see [`FnItem::named_setup`](crate::model::FnItem::named_setup)).
    #[serde(default)]
    pub named_setup: bool,
    /// A request handler by its own signature: a route attribute, a web framework's extractor
    /// parameter, or `Service::call` (see [`crate::model::analysis::per_event`]).
    #[serde(default)]
    pub handler: bool,
    /// Paths of functions it registers as handlers (`get(list)`, `.to(show)`), as far as its
    /// file resolves them.
    #[serde(default)]
    pub registers: Vec<String>,
    /// Filesystem-class blocking calls it makes in async code outside any per-event region of
    /// its file: the default form of `blocking_in_async` only if the crate index finds the
    /// function on a per-event path.
    #[serde(default)]
    pub off_event_fs: Vec<Span>,
    /// A runtime `main` attribute polls its body on the main thread, apart from the worker
    /// threads (see [`FnItem::main_apart`](crate::model::FnItem::main_apart)).
    #[serde(default)]
    pub main_apart: bool,
    /// Blocking calls it makes in async code in its own frame (not in an async block or
    /// closure) and outside every per-event region of its file: polled as part of its own
    /// future, so on the main thread when the crate index finds it on `main`'s tree alone.
    #[serde(default)]
    pub own_frame_blocking: Vec<Span>,
    /// Blocking calls made in async code during each run of the function, at most inside `for`
    /// loops (see [`CallRef::per_run`]): made at start-up when the function runs only then.
    #[serde(default)]
    pub per_run_blocking: Vec<Span>,
    /// Declared plain `pub` (not `pub(crate)`): in a library, callers outside the crate may
    /// drop its future.
    #[serde(default)]
    pub public: bool,
    /// A method of an `impl Trait for Type` block: reachable through a trait object or a
    /// generic bound, where no call names its type (see [`mark_trait_impls`]).
    #[serde(default)]
    pub trait_impl: bool,
    /// Calls whose future the caller may drop before it ends: made in a `select!` branch's
    /// future, in a future raced against a deadline, in a task whose handle is kept, or in a
    /// handler closure.
    #[serde(default)]
    pub cancelling_calls: Vec<CancellingCall>,
    /// Method calls on values of unknown type (a trait object, a generic) awaited in its own
    /// frame: the method's name and the call. Its future is polled as part of this one's.
    #[serde(default)]
    pub awaited_untyped_calls: Vec<(String, Span)>,
    /// For an async fn: its first await, when it awaits a call that is not cancellation safe
    /// and loses data when dropped (a partial read or write, a lost message).
    #[serde(default)]
    pub first_await_unsafe: Option<UnsafeAwait>,
    /// Calls whose future a loop races and drops again and again: a `select!` branch's future
    /// in a loop, or a `timeout`'s in a loop that goes round again when the time runs out.
    #[serde(default)]
    pub raced_calls: Vec<RacedCall>,
    /// Its declared return type, when a named one (see [`FnItem::returns`](crate::model::FnItem::returns)).
    #[serde(default)]
    pub returns: Option<String>,
    /// A call of it is a future that can end in an unlogged error (see
    /// [`FnItem::fails_silently`](crate::model::FnItem::fails_silently)).
    #[serde(default)]
    pub fails_silently: bool,
    /// Names of the functions whose errors it passes on (see
    /// [`FnItem::passes_on_errors_of`](crate::model::FnItem::passes_on_errors_of)).
    #[serde(default)]
    pub passes_on_errors_of: Vec<String>,
}

/// An awaited call that is not cancellation safe (see
/// [`knowledge::cancel_safety`](crate::knowledge::cancel_safety)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnsafeAwait {
    /// The method's name (`read_exact`).
    pub method: String,
    /// The documented item the row comes from.
    pub source: String,
    /// Dropping it leaves a byte stream out of step (a partial read or write).
    pub stream: bool,
    /// The awaited call.
    pub span: Span,
}

/// A call whose future a loop races and drops (see [`FnSummary::raced_calls`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RacedCall {
    /// Its index in the function's [`FnSummary::calls`].
    pub call: usize,
    /// Raced by a `timeout` (else by a `select!`).
    pub timeout: bool,
    /// The line of the loop that makes the future anew.
    pub loop_line: usize,
}

/// Why a caller may drop a call's future before it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CancelScope {
    /// It is (in) a `select!` branch's future: dropped when another branch wins.
    SelectBranch,
    /// It is (in) the future of a `timeout(..)`: dropped when the time runs out.
    Timeout,
    /// It runs in a spawned task whose handle can abort it (kept in a file that aborts tasks, or
    /// a smol `Task`, cancelled when dropped) or that a `JoinSet` owns (aborted when the set is
    /// dropped).
    AbortableTask,
    /// It runs in a closure registered as a request handler: a server may drop the handler's
    /// future before it completes.
    HandlerClosure,
}

impl CancelScope {
    /// What drops the future, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            CancelScope::SelectBranch => "in a `select!` branch, dropped when another branch wins",
            CancelScope::Timeout => "inside a `timeout(..)`, dropped when the time runs out",
            CancelScope::AbortableTask => {
                "in a task that can be aborted (its handle kept where tasks are aborted, a smol `Task`, or a `JoinSet`'s)"
            }
            CancelScope::HandlerClosure => "in a request handler closure, which a server may drop",
        }
    }
}

/// A call made where its future may be dropped before it ends (see [`CancelScope`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancellingCall {
    /// Its index in the function's [`FnSummary::calls`], when it is one of them.
    pub call: Option<usize>,
    /// For a method call on a value of unknown type: the method's name.
    pub method: Option<String>,
    /// What may drop it.
    pub scope: CancelScope,
    /// The call.
    pub span: Span,
}

impl CallRef {
    /// The call a handler registration stands for (`.route("/", get(handler))` names
    /// `handler`): resolved like a sync call made at `span`, with no other property.
    pub fn registration(target: &str, span: Span) -> CallRef {
        CallRef {
            target: target.to_string(),
            ctx: Ctx::Sync,
            span,
            startup: false,
            top_level: false,
            per_run: false,
            in_arm: false,
            awaited: false,
            per_event: false,
            own_frame: false,
            quiet_path: false,
            receiver: None,
            polled_apart: false,
            cfg: Vec::new(),
        }
    }
}

/// An outgoing call, resolved as far as its file allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRef {
    /// The callee's path: `crate::db::load`, `crate::db::Store::open` (a method through a
    /// receiver of known type, `self`, or `Self::`), `other_member::util::copy`, or a bare name
    /// when only a glob import of a crate module can bring it in, or [`FIELD_PREFIX`]`Owner.field::method`
    /// for a method on a field of a struct declared in another file.
    pub target: String,
    /// Where the call runs.
    pub ctx: Ctx,
    /// The call expression.
    pub span: Span,
    /// Made once at start-up (see [`CallFact::startup`](crate::model::CallFact::startup)).
    #[serde(default)]
    pub startup: bool,
    /// Made directly in the caller's body (see
    /// [`CallFact::top_level`](crate::model::CallFact::top_level)).
    #[serde(default)]
    pub top_level: bool,
    /// Made during each run of the caller, at most inside `for` loops (see
    /// [`CallFact::per_run`](crate::model::CallFact::per_run)).
    #[serde(default)]
    pub per_run: bool,
    /// Made in an arm of a `match` (see [`CallFact::in_arm`](crate::model::CallFact::in_arm)).
    #[serde(default)]
    pub in_arm: bool,
    /// The operand of an `.await`: an async callee's body runs here, not whenever its
    /// future is polled later (in a `join!`, say).
    #[serde(default)]
    pub awaited: bool,
    /// Made in a per-event region of its file (an event loop's body, a task it spawns, a
    /// handler closure): it runs once per event.
    #[serde(default)]
    pub per_event: bool,
    /// Made in the caller's own frame (see
    /// [`CallFact::own_frame`](crate::model::CallFact::own_frame)).
    #[serde(default)]
    pub own_frame: bool,
    /// Made where no served work waits: right before a process exit, or in a fallback taken
    /// only when an environment variable is unset (see
    /// [`quiet_paths`](crate::model::analysis::quiet_paths)).
    #[serde(default)]
    pub quiet_path: bool,
    /// A method call on a value whose type only the crate index can settle: the receiver's
    /// type as steps from another file's facts, and `target` is the method's name.
    #[serde(default)]
    pub receiver: Option<crate::model::TyChain>,
    /// Its future is handed to a multi-thread runtime's `block_on` by a sync `main`
    /// ([`CallFact::polled_apart`](crate::model::CallFact::polled_apart)).
    #[serde(default)]
    pub polled_apart: bool,
    /// The `#[cfg(..)]` predicates around the call in its function (see
    /// [`CallFact::cfg`](crate::model::CallFact::cfg)).
    #[serde(default)]
    pub cfg: Vec<String>,
}

/// The summary's record of `call`, calling `target` (on a receiver only the crate index types).
fn call_ref(
    model: &FileModel<'_>,
    call: &crate::model::CallFact,
    target: String,
    receiver: Option<crate::model::TyChain>,
) -> CallRef {
    CallRef {
        target,
        ctx: call.ctx,
        span: model.span(call.loc),
        startup: call.startup,
        top_level: call.top_level,
        per_run: call.per_run,
        in_arm: call.in_arm,
        awaited: call.awaited,
        per_event: model.per_event.in_region(call.loc),
        own_frame: call.own_frame,
        quiet_path: model.quiet_paths.covers(call.loc),
        receiver,
        polled_apart: call.polled_apart,
        cfg: call.cfg.clone(),
    }
}

/// A call that blocks by itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockingCall {
    /// What it calls, as messages show it (`` `std::fs::copy` ``).
    pub what: String,
    /// The blocking table's advice.
    pub hint: String,
    /// The blocking table's cost class.
    #[serde(default)]
    pub cost: crate::knowledge::blocking::Cost,
    /// Where it runs: `sync` makes a sync function block, `offloaded` does not.
    pub ctx: Ctx,
    /// The call expression.
    pub span: Span,
    /// Made where no served work waits (see [`CallRef::quiet_path`]).
    #[serde(default)]
    pub quiet_path: bool,
    /// Waits for threads the function started: a channel receive or a thread join
    /// ([`waits_for_threads`](crate::knowledge::blocking::waits_for_threads)). The crate index
    /// makes it the child's wait when the function also waits for a child process.
    #[serde(default)]
    pub waits_for_threads: bool,
    /// The `#[cfg(..)]` predicates around the call in its function (see
    /// [`CallFact::cfg`](crate::model::CallFact::cfg)).
    #[serde(default)]
    pub cfg: Vec<String>,
}

/// Marks a call target whose receiver is a field of a struct declared in another file:
/// `field:AppState.db::load` (the crate index types the field).
pub const FIELD_PREFIX: &str = "field:";

/// Roots of paths that can never name a function of the workspace.
const FOREIGN_ROOTS: &[&str] = &["std", "core", "alloc"];

/// Summarises a file from its model.
pub fn summarize(model: &FileModel<'_>) -> FileItems {
    let mut functions: Vec<FnSummary> = model
        .fn_items
        .iter()
        .map(|f| FnSummary {
            id: FnId(f.path.clone()),
            is_async: f.is_async,
            at: model.span(f.loc),
            calls: Vec::new(),
            blocking: Vec::new(),
            body: model.span(f.body),
            waits_for_user: false,
            in_test: false,
            concurrent_from: None,
            detaches_from: None,
            untyped_method_calls: Vec::new(),
            setup: f.setup,
            spawns_future: model.spawn_wrappers.iter().any(|w| w.name == f.loc),
            handles_spawned_errors: model
                .spawn_wrappers
                .iter()
                .any(|w| w.name == f.loc && w.handles_errors),
            named_setup: f.named_setup,
            handler: model.per_event.handlers.contains(&f.loc),
            registers: Vec::new(),
            off_event_fs: Vec::new(),
            main_apart: f.main_apart,
            own_frame_blocking: Vec::new(),
            per_run_blocking: Vec::new(),
            public: declared_plain_pub(model, f),
            trait_impl: false,
            cancelling_calls: Vec::new(),
            awaited_untyped_calls: Vec::new(),
            first_await_unsafe: None,
            raced_calls: Vec::new(),
            returns: f.returns.clone(),
            fails_silently: f.fails_silently,
            passes_on_errors_of: f.passes_on_errors_of.clone(),
        })
        .collect();
    first_awaits(model, &mut functions);
    let raced = raced_locs(model);
    for (at, target) in &model.per_event.registered {
        if let Some(f) = model.innermost_fn(*at) {
            functions[f].registers.push(target.clone());
        }
    }
    let bare_names_may_resolve = !model.crate_globs.is_empty();
    let scopes = cancel_scopes(model);
    for call in &model.calls {
        let Some(caller) = call.caller else { continue };
        let Some(item) = model.fn_items.get(caller) else {
            continue;
        };
        if call.ctx != Ctx::Offloaded && crate::knowledge::quiet_paths::waits_for_user(&call.callee)
        {
            functions[caller].waits_for_user = true;
        }
        // `std::fs::read_dir("/proc")`: the kernel answers from memory; a non-blocking socket2
        // socket's `connect` returns at once: no blocking call.
        if model.non_waiting_calls.contains(&call.loc) {
            continue;
        }
        // Blocking calls in async code are the per-file rule's; the index needs the others.
        // Paths into this crate never match a table row.
        let may_block = !matches!(call.ctx, Ctx::Async | Ctx::Unknown)
            && !matches!(&call.callee, Callee::Path(p) if p.starts_with("crate::") || p.starts_with("Self::"));
        if call.ctx == Ctx::Async
            && !model.per_event.in_region(call.loc)
            && filesystem_only(model, &call.callee)
        {
            functions[caller].off_event_fs.push(model.span(call.loc));
        }
        if call.ctx == Ctx::Async
            && call.own_frame
            && !model.per_event.in_region(call.loc)
            && may_block_in_async(model, &call.callee)
        {
            functions[caller]
                .own_frame_blocking
                .push(model.span(call.loc));
        }
        if call.ctx == Ctx::Async && call.per_run && may_block_in_async(model, &call.callee) {
            functions[caller]
                .per_run_blocking
                .push(model.span(call.loc));
        }
        if may_block && let Some(found) = call.callee.blocking(&model.knowledge) {
            let waits_for_threads = matches!(
                &call.callee,
                Callee::Method { receiver, .. } | Callee::Iterate { receiver }
                    if receiver.path().is_some_and(crate::knowledge::blocking::waits_for_threads)
            );
            functions[caller].blocking.push(BlockingCall {
                what: found.what,
                hint: found.hint.to_string(),
                cost: found.cost,
                ctx: call.ctx,
                span: model.span(call.loc),
                quiet_path: model.quiet_paths.covers(call.loc),
                waits_for_threads,
                cfg: call.cfg.clone(),
            });
            continue;
        }
        let target = match &call.callee {
            Callee::Path(path) => match (path.strip_prefix("Self::"), &item.self_ty) {
                (Some(rest), Some(self_ty)) => format!("{self_ty}::{rest}"),
                (Some(_), None) => continue,
                (None, _) => path.clone(),
            },
            Callee::Method { name, receiver } => match receiver {
                Ty::Named(ty) | Ty::Locked { lock: ty, .. } => format!("{ty}::{name}"),
                // A field of a struct declared in another file: typed by the crate index.
                Ty::Field { owner, field } => format!("{FIELD_PREFIX}{owner}.{field}::{name}"),
                _ => {
                    // A receiver the crate index may type: the call is an edge once it does.
                    // (It stays an untyped call below for the judgements that link by name.)
                    if let Ty::Chain(chain) = receiver {
                        functions[caller].calls.push(call_ref(
                            model,
                            call,
                            name.clone(),
                            Some((**chain).clone()),
                        ));
                    }
                    let line = call.loc.start.0;
                    let span = model.span(call.loc);
                    if let Some(scope) = scope_of(&scopes, call.loc) {
                        functions[caller].cancelling_calls.push(CancellingCall {
                            call: None,
                            method: Some(name.clone()),
                            scope,
                            span,
                        });
                    }
                    if call.awaited && call.own_frame && call.ctx == Ctx::Async {
                        functions[caller]
                            .awaited_untyped_calls
                            .push((name.clone(), span));
                    }
                    let untyped = &mut functions[caller].untyped_method_calls;
                    match untyped.iter_mut().find(|(n, _)| n == name) {
                        Some((_, last)) => *last = (*last).max(line),
                        None => untyped.push((name.clone(), line)),
                    }
                    continue;
                }
            },
            Callee::Iterate { .. } | Callee::ReadsWrites { .. } => continue,
        };
        let root = crate::path_text::first_segment(&target);
        let bare = crate::path_text::rfind_separator(&target).is_none();
        if FOREIGN_ROOTS.contains(&root) || bare && !bare_names_may_resolve {
            continue;
        }
        if let Some(&(_, timeout, loop_line)) = raced.iter().find(|(loc, ..)| *loc == call.loc) {
            let index = functions[caller].calls.len();
            functions[caller].raced_calls.push(RacedCall {
                call: index,
                timeout,
                loop_line,
            });
        }
        if let Some(scope) = scope_of(&scopes, call.loc) {
            let index = functions[caller].calls.len();
            functions[caller].cancelling_calls.push(CancellingCall {
                call: Some(index),
                method: None,
                scope,
                span: model.span(call.loc),
            });
        }
        functions[caller]
            .calls
            .push(call_ref(model, call, target, None));
    }
    FileItems {
        module: model.module.clone(),
        mod_decls: model
            .mod_decls
            .iter()
            .map(|d| ModDeclRef {
                parent: d.parent.clone(),
                name: d.name.clone(),
                path_attr: d.path_attr.clone(),
            })
            .collect(),
        aliases: model.crate_aliases.clone(),
        globs: model.crate_globs.clone(),
        fields: model
            .fields
            .iter()
            .map(|f| (f.owner.clone(), f.field.clone(), f.ty.clone()))
            .collect(),
        guarded_fields: model
            .fields
            .iter()
            .filter_map(|f| {
                f.guarded
                    .as_ref()
                    .map(|g| (f.owner.clone(), f.field.clone(), g.clone()))
            })
            .collect(),
        functions: functions.into_iter().map(Box::new).collect(),
        async_lock_decls: model
            .async_lock_decls
            .iter()
            .map(|d| AsyncLockDecl {
                id: d.id.clone(),
                ty: d.ty.clone(),
                shape: d.shape.clone(),
                shared: d.shared,
                public: d.public,
                escapes: d.escapes,
                aliases: d.aliases.clone(),
                span: model.span(d.loc),
            })
            .collect(),
        async_lock_sites: model
            .async_lock_sites
            .iter()
            .map(|s| AsyncLockSite {
                id: s.id.clone(),
                held: s.held,
                lent: s.lent,
                into: s.into.clone(),
                span: model.span(s.loc),
                per_event: model.per_event.in_region(s.loc),
            })
            .collect(),
        runtime_calls: runtime_calls(model, |_| true),
        macro_locks: model.macro_locks.clone(),
    }
}

/// Where the file may drop a future before it ends: `select!` branches' futures, futures raced
/// against a deadline, tasks that can be aborted (see [`abortable`]), handler closures. The
/// futures of `select!` and `timeout` come first: they are the nearer reason.
pub(crate) fn cancel_scopes(model: &FileModel<'_>) -> Vec<(Loc, CancelScope)> {
    let mut out = Vec::new();
    for site in &model.ir.selects {
        out.extend(
            site.branches
                .iter()
                .map(|b| (b.loc, CancelScope::SelectBranch)),
        );
    }
    out.extend(
        model
            .ir
            .timeouts
            .iter()
            .map(|t| (t.future, CancelScope::Timeout)),
    );
    out.extend(
        model
            .spawns
            .iter()
            .filter(|s| abortable(model, s))
            .map(|s| (s.loc, CancelScope::AbortableTask)),
    );
    out.extend(
        model
            .per_event
            .regions
            .iter()
            .filter(|(_, why)| *why == crate::model::analysis::per_event::Why::HandlerClosure)
            .map(|(loc, _)| (*loc, CancelScope::HandlerClosure)),
    );
    out
}

/// Can something cancel this spawned task while the program runs? A set that owns it aborts
/// it when dropped; a kept handle can, when dropping it cancels the task (smol's `Task`) or
/// when the file aborts tasks (`handle.abort()`, `abort_handle()`, `AbortOnDropHandle`). A
/// tokio handle that is only kept, awaited or dropped never cancels its task.
fn abortable(model: &FileModel<'_>, spawn: &crate::model::SpawnFact) -> bool {
    spawn.owned
        || (!spawn.discarded
            && (!model.knowledge.task_outlives_handle(&spawn.via) || !model.task_aborts.is_empty()))
}

/// The first scope of `scopes` strictly holding `at` (a spawn call is not in its own scope).
pub(crate) fn scope_of(scopes: &[(Loc, CancelScope)], at: Loc) -> Option<CancelScope> {
    scopes
        .iter()
        .find(|&&(loc, scope)| {
            loc.start <= at.start
                && at.end <= loc.end
                && !(scope == CancelScope::AbortableTask && loc == at)
        })
        .map(|&(_, scope)| scope)
}

/// The first await of each async fn, when it awaits a call that is not cancellation safe and
/// loses data (a lost place in a queue is left out, as `select_cancel_unsafe` does for helpers).
fn first_awaits(model: &FileModel<'_>, functions: &mut [FnSummary]) {
    let ir = &model.ir;
    for body in &ir.bodies {
        if body.kind != crate::model::ir::BodyKind::AsyncFn {
            continue;
        }
        let Some(f) = body.fn_item.and_then(|i| functions.get_mut(i)) else {
            continue;
        };
        let Some(call) = body.awaits.first().and_then(|&w| ir.call_of(w)) else {
            continue;
        };
        if let Some(row) = call
            .cancel_unsafe_row(&model.knowledge)
            .filter(|row| !row.loses_only_queue_place())
        {
            f.first_await_unsafe = Some(UnsafeAwait {
                method: row.method.to_string(),
                source: row.source.to_string(),
                stream: row.drops_stream_bytes(),
                span: model.span(call.loc),
            });
        }
    }
}

/// Calls a loop races and drops: (call, raced by a timeout, the loop's line).
fn raced_locs(model: &FileModel<'_>) -> Vec<(Loc, bool, usize)> {
    let ir = &model.ir;
    let mut out = Vec::new();
    for site in &ir.selects {
        let Some(loop_loc) = site.in_loop.filter(|_| !site.then_leaves_loop) else {
            continue;
        };
        for (i, b) in site.branches.iter().enumerate() {
            // A helper raced here loses data (queue places are left out of helpers), so the
            // branch is exempt only when the stream is abandoned with the loop.
            if let crate::model::ir::BranchFuture::Call(c) = &b.future
                && !crate::rules::select_cancel_unsafe::abandoned_with_loop(
                    ir, site, i, c, false, false,
                )
            {
                out.push((c.loc, false, loop_loc.start.0));
            }
        }
    }
    for t in &ir.timeouts {
        if let (Some(loop_loc), Some(c), false) = (t.in_loop, &t.call, t.leaves_loop_on_elapsed) {
            out.push((c.loc, true, loop_loc.start.0));
        }
    }
    out
}

/// Is the function declared plain `pub` (not `pub(crate)` or `pub(super)`)?
pub(crate) fn declared_plain_pub(model: &FileModel<'_>, item: &crate::model::FnItem) -> bool {
    let name = model.span(item.loc);
    let line_start = model.source[..name.byte_start.min(model.source.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    model
        .source
        .get(line_start..name.byte_start)
        .is_some_and(|head| head.trim_start().starts_with("pub "))
}

/// Marks the functions of a summary that are methods of an `impl Trait for Type` block of the
/// file (`ast`), matched by name and line: a call through a trait object or a generic bound
/// names no type, and the crate index links such calls to these methods by name.
pub fn mark_trait_impls(items: &mut FileItems, ast: &syn::File) {
    fn collect(items: &[syn::Item], out: &mut Vec<(String, usize)>) {
        for item in items {
            match item {
                syn::Item::Impl(i) if i.trait_.is_some() => {
                    for member in &i.items {
                        if let syn::ImplItem::Fn(f) = member {
                            let ident = &f.sig.ident;
                            out.push((ident.to_string(), ident.span().start().line));
                        }
                    }
                }
                syn::Item::Mod(m) => {
                    if let Some((_, inner)) = &m.content {
                        collect(inner, out);
                    }
                }
                _ => {}
            }
        }
    }
    let mut methods = Vec::new();
    collect(&ast.items, &mut methods);
    if methods.is_empty() {
        return;
    }
    for f in &mut items.functions {
        let name = crate::path_text::last_segment(&f.id.0);
        f.trait_impl = methods
            .iter()
            .any(|(n, line)| n == name && *line == f.at.start.line);
    }
}

/// Is a call one `blocking_in_async` may report: a blocking table row, or a method on a field of
/// a struct declared elsewhere that some row has (the crate pass settles its type)?
fn may_block_in_async(model: &FileModel<'_>, callee: &Callee) -> bool {
    if let Callee::Method {
        name,
        receiver: Ty::Field { .. } | Ty::Chain(_),
    } = callee
    {
        return model
            .knowledge
            .blocking_methods()
            .iter()
            .any(|b| b.methods.contains(&name.as_str()));
    }
    callee.blocking(&model.knowledge).is_some()
}

/// Is a call a blocking call of a class that is default only on a per-event path (filesystem
/// work, image CPU work; `Cost::per_event_only`): a table row of such a class, or a method on a
/// field of a struct declared elsewhere whose every matching row is of such a class?
fn filesystem_only(model: &FileModel<'_>, callee: &Callee) -> bool {
    if let Callee::Method {
        name,
        receiver: Ty::Field { .. } | Ty::Chain(_),
    } = callee
    {
        let mut rows = model
            .knowledge
            .blocking_methods()
            .iter()
            .filter(|b| b.methods.contains(&name.as_str()))
            .peekable();
        return rows.peek().is_some() && rows.all(|b| b.cost.per_event_only());
    }
    callee
        .blocking(&model.knowledge)
        .is_some_and(|b| b.cost.per_event_only())
}

/// Marks each function of a summary as test code (`in_test` says whether a line is) and with
/// the first line from which it runs something concurrently: a spawn of the model, or a
/// concurrency marker at one of `marker_offsets` (byte offsets into the file), between its name
/// and the end of its body.
pub fn mark_execution(
    items: &mut FileItems,
    model: &FileModel<'_>,
    in_test: impl Fn(usize) -> bool,
    marker_offsets: &[usize],
) {
    // A spawn in a loop runs concurrently with the loop's next iterations: from the loop on.
    let spawns: Vec<(usize, usize, bool)> = model
        .spawns
        .iter()
        .map(|s| {
            let line = s.loc.start.0;
            let from = s.in_loop.as_ref().map_or(line, |l| l.loc.start.0.min(line));
            (model.span(s.loc).byte_start, from, s.discarded)
        })
        .collect();
    let line_of = |offset: usize| model.line_of_offset(offset);
    for f in &mut items.functions {
        f.in_test = in_test(f.at.start.line);
        let (from, to) = (f.at.byte_start, f.body.byte_end);
        let inside = || {
            spawns
                .iter()
                .filter(move |(offset, ..)| (from..to).contains(offset))
        };
        let spawn = inside().map(|&(_, line, _)| line).min();
        f.detaches_from = inside()
            .filter(|&&(.., discarded)| discarded)
            .map(|&(_, line, _)| line)
            .min();
        // Offsets are sorted: the first marker inside the function is the earliest.
        let first = marker_offsets.partition_point(|&o| o < from);
        let marker = marker_offsets
            .get(first)
            .filter(|&&o| o < to)
            .map(|&o| line_of(o));
        f.concurrent_from = match (spawn, marker) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
}

/// The first call into each runtime in the file, among calls on lines `keep` accepts (the
/// engine leaves test code out).
pub fn runtime_calls(model: &FileModel<'_>, keep: impl Fn(usize) -> bool) -> Vec<RuntimeCall> {
    let mut out: Vec<RuntimeCall> = Vec::new();
    for call in &model.calls {
        if !keep(call.loc.start.0) {
            continue;
        }
        let Callee::Path(path) = &call.callee else {
            continue;
        };
        let Some(runtime) = model.knowledge.runtime_call(path) else {
            continue;
        };
        if out.iter().any(|c| c.runtime == runtime.name) {
            continue;
        }
        out.push(RuntimeCall {
            runtime: runtime.name.to_string(),
            what: path.clone(),
            span: model.span(call.loc),
        });
    }
    out
}
