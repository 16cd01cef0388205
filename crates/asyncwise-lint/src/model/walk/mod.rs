//! The one traversal that builds a [`FileModel`](super::FileModel)'s facts.
//!
//! It keeps a stack of *frames* (one per body: fn, closure, async block) carrying the body's
//! [`Ctx`] and its enclosing loops, a block-scoped [`Resolver`] and a [`TypeEnv`]. Macro bodies
//! are parsed from their tokens (`tokio::select!` branches, comma-separated expressions, or
//! statements) and walked like ordinary code; macros that parse as neither are skipped.
//!
//! The walker records facts and decides no rule's verdict: questions with semantics of their
//! own are asked of [`analysis`](super::analysis) (how a spawned future can fail, what bounds
//! the tasks of the loop a spawn sits in) and their answers stored on the
//! [`SpawnFact`](super::SpawnFact); library knowledge comes from the run's
//! [`Knowledge`](crate::knowledge::Knowledge), never from a table file's constants (only std and
//! language names: iterator adapters and macro kinds).
//!
//! This module holds what every concern shares: the collected [`WalkFacts`], the walker's state
//! and frame stack, and the `Visit` impl, which only dispatches. State that one or two modules
//! write and others read is a small struct owned by a module of its own or by its writer
//! (`items::ItemPlace`, `scopes::StmtScope`, `call_uses::CallUses`, `startup::StartupTrack`). The context a sync
//! closure runs in is not decided here: the walker records where the closure is written (a
//! [`ClosureSite`]) and asks [`closure_context`](super::analysis::contexts::closure_context).
//! Each concern is one module:
//!
//! | module | records |
//! |---|---|
//! | `items` | modules, impls, traits and fns: signatures, [`FnItem`]s, entry attributes |
//! | `scopes` | blocks, statements, `let`s, `match` arms, `if let`: scopes and bindings |
//! | `bodies` | closures and async blocks (their frames and contexts) and each async body's hand-off to the guard, loop and IR passes |
//! | `calls` | call facts: callee, awaited or discarded, start-up, blocking reads and writes |
//! | `spawns` | spawn facts and the loop scopes their bounds are judged by |
//! | `channels` | unbounded channels that stay low-volume, polling receives |
//! | `locks` | async lock declarations, aliases and the sites that lend or hold them |
//! | `macro_calls` | macro bodies parsed and walked like code, `write!` as a write |
//! | `call_uses` | how each call's value is used: awaited, discarded, bound, concurrency-limited |
//! | `startup` | the function being walked, and which calls run once at start-up |

mod bodies;
mod call_uses;
mod calls;
mod channels;
mod items;
mod locks;
mod macro_calls;
mod scopes;
mod spawns;
mod startup;

use std::collections::HashSet;
use std::rc::Rc;
use std::sync::Arc;

use syn::visit::Visit;

use super::analysis::bounds::LoopScope;
use super::analysis::contexts::ClosureSite;
use super::resolve::Resolver;
use super::types::{TypeEnv, TypeTable, infer};
use super::{CallFact, Ctx, Edition, FileContext, FnItem, HeldGuard, Loc, ModDecl, SpawnFact, Ty};
use crate::facts::{FieldFact, FnSignature};
use crate::knowledge::Knowledge;
use call_uses::CallUses;
use items::ItemPlace;
use scopes::StmtScope;
use startup::StartupTrack;

/// What the walk collects.
#[derive(Debug, Default)]
pub struct WalkFacts {
    /// Calls.
    pub calls: Vec<CallFact>,
    /// Spawns.
    pub spawns: Vec<SpawnFact>,
    /// Calls that spawn if their function is a spawn wrapper (see
    /// [`FileModel::wrapper_spawns`](crate::model::FileModel::wrapper_spawns)).
    pub wrapper_spawns: Vec<SpawnFact>,
    /// Guards held across awaits.
    pub held_guards: Vec<HeldGuard>,
    /// Function signatures.
    pub functions: Vec<FnSignature>,
    /// Struct fields with named types.
    pub fields: Vec<FieldFact>,
    /// Unbounded channel constructors whose sender is not fed without limit, with why.
    pub low_volume_channels: Vec<(Loc, super::analysis::channels::LowVolume)>,
    /// `recv_timeout` calls whose timeout is a zero or near-zero constant: polls, not waits.
    pub polling_receives: Vec<Loc>,
    /// Calls of blocking rows that do not wait here: filesystem calls on a literal path under
    /// `/proc` or `/sys` (see [`crate::knowledge::blocking::KERNEL_FS_ROOTS`]), and a socket2
    /// socket's `connect`/`accept` after `set_nonblocking(true)` or on a datagram socket.
    pub non_waiting_calls: Vec<Loc>,
    /// Calls that abort a task or keep the means to (see [`Knowledge::is_task_abort`]).
    pub task_aborts: Vec<Loc>,
    /// Async locks declared in the file.
    pub async_lock_decls: Vec<super::AsyncLockDeclFact>,
    /// Async lock calls in async code.
    pub async_lock_sites: Vec<super::AsyncLockSiteFact>,
    /// Locals bound to a clone of a field's async lock (`let m = Arc::clone(&self.m)`): the
    /// function, the local's name and the field. A lock call through the local is the field's.
    pub field_lock_aliases: Vec<(String, String, crate::summary::LockId)>,
    /// Struct fields declared in the file: (struct, field, behind a shared pointer, public,
    /// private: no `pub` of any kind).
    pub field_holds: Vec<(String, String, bool, bool, bool)>,
    /// The statement-level IR of async bodies.
    pub ir: super::ir::Ir,
    /// Loops of async bodies.
    pub loops: Vec<super::loops::LoopFact>,
    /// Async bodies with state-changing calls, with their awaits.
    pub sequences: Vec<super::loops::SequenceFact>,
    /// Async bodies that wait or bound attempts themselves.
    pub paced_bodies: Vec<Loc>,

    /// Every function with a body, with its crate path (callers of [`CallFact`]s index this).
    pub fn_items: Vec<FnItem>,
    /// Out-of-line module declarations (`mod db;`).
    pub mod_decls: Vec<ModDecl>,
    /// Module-level imports of crate items: (alias path, target path).
    pub crate_aliases: Vec<(String, String)>,
    /// Module-level glob imports of crate modules: (importing module, glob module).
    pub crate_globs: Vec<(String, String)>,
    /// What runs once per event (see [`super::analysis::per_event`]).
    pub per_event: super::analysis::per_event::PerEventFacts,
}

/// Walks a file whose top module is `root` (`crate`, or `crate::db` for `src/db.rs`).
pub fn walk_file(
    file: &syn::File,
    file_module: &str,
    cx: &FileContext,
    async_lock_scan: bool,
) -> WalkFacts {
    let mut resolver = Resolver::with_root(file, &cx.module, Arc::clone(&cx.knowledge));
    let types = TypeTable::new(file, &mut resolver);
    let mut w = Walker {
        resolver,
        types,
        env: TypeEnv::default(),
        frames: vec![Frame {
            ctx: Ctx::Sync,
            loops: Vec::new(),
            sync_closure: false,
            polled_apart: false,
        }],
        closure_site: None,
        uses: CallUses::default(),
        edition: cx.edition,
        knowledge: Arc::clone(&cx.knowledge),
        fn_stack: Vec::new(),
        mut_self: Vec::new(),
        startup: StartupTrack::default(),
        macro_bodies: Vec::new(),
        items: ItemPlace::new(file_module),
        scope: StmtScope::default(),
        async_lock_scan,
        polled_apart: PolledApart::default(),
        facts: WalkFacts::default(),
        cfgs: Vec::new(),
    };
    // Before the walk: a request handler is never a set-up fn, whatever its name (a gRPC
    // service's `create`).
    w.facts.per_event = super::analysis::per_event::analyse(file, &mut w.resolver);
    w.visit_file(file);
    w.facts.crate_aliases = w.resolver.crate_aliases();
    w.facts.crate_globs = w.resolver.crate_globs();
    w.startup.mark(&mut w.facts.calls);
    w.facts.fields = w
        .types
        .named_fields()
        .map(|(owner, field, ty, guarded)| {
            let held = w
                .facts
                .field_holds
                .iter()
                .find(|(o, f, ..)| o == owner && f == field);
            FieldFact {
                owner: owner.to_string(),
                field: field.to_string(),
                ty: ty.to_string(),
                guarded: guarded.map(str::to_string),
                // Unknown (a struct the table names otherwise): as if shared, the safe side.
                behind_pointer: held.is_none_or(|h| h.2),
                public: held.is_none_or(|h| h.3),
                private: held.is_some_and(|h| h.4),
                module: cx.module.clone(),
            }
        })
        .collect();
    w.facts
}

struct Frame {
    ctx: Ctx,
    loops: Vec<Rc<LoopScope>>,
    /// The body of a sync closure: `.await` cannot be written in it, whatever its context.
    sync_closure: bool,
    /// The body of an async block a sync `main` hands to its multi-thread runtime's
    /// `block_on`: polled on the main thread as `main`'s own future (see
    /// [`CallFact::polled_apart`](crate::model::CallFact::polled_apart)).
    polled_apart: bool,
}

struct Walker {
    resolver: Resolver,
    types: TypeTable,
    env: TypeEnv,
    frames: Vec<Frame>,
    /// Where the next closure visited is written (its context is decided from this by
    /// [`closure_context`](super::analysis::contexts::closure_context)), and the iteration it
    /// runs once per when it is an iterator adapter's per-element closure.
    closure_site: Option<(ClosureSite, Option<LoopScope>)>,
    /// How each call expression's value is used (owned by `calls` and `scopes`).
    uses: CallUses,
    /// The package's edition (drop scopes of `if let` scrutinees).
    edition: Edition,
    knowledge: Arc<Knowledge>,
    /// Indices into `facts.fn_items` of the functions being walked, innermost last.
    fn_stack: Vec<usize>,
    /// For each function of `fn_stack`: it takes `&mut self`.
    mut_self: Vec<bool>,
    /// The function being walked and which calls run once at start-up (owned by `items` and
    /// `calls`).
    startup: StartupTrack,
    /// Where in the items the walk is (owned by `items`).
    items: ItemPlace,
    /// What the enclosing blocks and the statement being visited bind (owned by `scopes`).
    scope: StmtScope,
    /// Macro bodies parsed so far, kept until the walk ends so that no node address marked in
    /// `uses` is reused by a later parse.
    macro_bodies: Vec<super::macros::MacroBody>,
    /// Follow async lock guards too (the file names a `Mutex` or `RwLock`).
    async_lock_scan: bool,
    /// What a sync `main` hands to its multi-thread runtime's `block_on`, by node address: an
    /// async block (walked as `main`'s own frame) or a call (whose future is polled there).
    polled_apart: PolledApart,
    facts: WalkFacts,
    /// The `#[cfg(..)]` predicates of the statements being walked (see [`CallFact::cfg`]).
    cfgs: Vec<String>,
}

/// What a sync `main` hands to a multi-thread runtime's `block_on`, marked when the call is
/// reached and read when its argument is walked.
#[derive(Default)]
struct PolledApart {
    blocks: HashSet<usize>,
    calls: HashSet<usize>,
    /// Async blocks any other sync code hands straight to `block_on`: polled on the calling
    /// thread, which waits for them (see [`HeldGuard::on_caller_thread`](crate::model::HeldGuard)).
    on_caller_thread: HashSet<usize>,
}

fn addr<T>(node: &T) -> usize {
    node as *const T as usize
}

fn call_addr(expr: &syn::Expr) -> Option<usize> {
    match expr {
        syn::Expr::Call(c) => Some(addr(c)),
        syn::Expr::MethodCall(m) => Some(addr(m)),
        syn::Expr::Paren(p) => call_addr(&p.expr),
        _ => None,
    }
}

impl Walker {
    fn frame(&self) -> &Frame {
        self.frames.last().expect("the root frame is never popped")
    }

    fn ctx(&self) -> Ctx {
        self.frame().ctx
    }

    fn with_frame(&mut self, ctx: Ctx, loops: Vec<Rc<LoopScope>>, f: impl FnOnce(&mut Self)) {
        self.frames.push(Frame {
            ctx,
            loops,
            sync_closure: false,
            polled_apart: false,
        });
        f(self);
        self.frames.pop();
    }

    fn with_loop(&mut self, info: LoopScope, f: impl FnOnce(&mut Self)) {
        if let Some(frame) = self.frames.last_mut() {
            frame.loops.push(Rc::new(info));
        }
        f(self);
        if let Some(frame) = self.frames.last_mut() {
            frame.loops.pop();
        }
    }

    fn infer(&self, e: &syn::Expr) -> Ty {
        infer(e, &self.env, &self.types, &self.resolver)
    }

    /// The crate path of the innermost function being walked.
    fn current_fn_path(&self) -> Option<String> {
        self.fn_stack
            .last()
            .map(|&i| self.facts.fn_items[i].path.clone())
    }

    /// Is the walk in the current function's own frame, or only in sync closures run inline
    /// in it (not in an async block or closure, whose future may be spawned or joined, unless
    /// it is the block a sync `main` hands to its multi-thread runtime's `block_on`)?
    fn in_own_frame(&self) -> bool {
        let Some(depth) = self.startup.body_depth() else {
            return false;
        };
        let Some(inner) = self.frames.get(depth..) else {
            return false;
        };
        // Inside the async block a sync `main` hands to its runtime's `block_on`, the frames
        // around that block (a closure run on a thread of its own) do not matter.
        let inner = match inner.iter().rposition(|frame| frame.polled_apart) {
            Some(apart) => &inner[apart + 1..],
            None => inner,
        };
        depth <= self.frames.len()
            && inner
                .iter()
                .all(|frame| frame.sync_closure && frame.ctx == Ctx::Async)
    }
}

impl<'ast> Visit<'ast> for Walker {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        self.walk_item_mod(m);
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        self.walk_item_impl(i);
    }

    fn visit_item_trait(&mut self, t: &'ast syn::ItemTrait) {
        self.walk_item_trait(t);
    }

    fn visit_item_struct(&mut self, s: &'ast syn::ItemStruct) {
        self.walk_item_struct(s);
    }

    fn visit_item_static(&mut self, s: &'ast syn::ItemStatic) {
        self.walk_item_static(s);
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.walk_item_fn(f);
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.walk_impl_item_fn(f);
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        self.walk_trait_item_fn(f);
    }

    fn visit_block(&mut self, b: &'ast syn::Block) {
        self.walk_block(b);
    }

    fn visit_stmt(&mut self, s: &'ast syn::Stmt) {
        self.walk_stmt(s);
    }

    fn visit_local(&mut self, l: &'ast syn::Local) {
        self.walk_local(l);
    }

    fn visit_expr_match(&mut self, m: &'ast syn::ExprMatch) {
        self.walk_expr_match(m);
    }

    fn visit_expr_async(&mut self, a: &'ast syn::ExprAsync) {
        self.walk_expr_async(a);
    }

    fn visit_expr_closure(&mut self, c: &'ast syn::ExprClosure) {
        self.walk_expr_closure(c);
    }

    fn visit_expr_await(&mut self, a: &'ast syn::ExprAwait) {
        self.walk_expr_await(a);
    }

    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        self.walk_expr_call(c);
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        self.walk_expr_method_call(m);
    }

    fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
        self.walk_expr_for_loop(f);
    }

    fn visit_expr_while(&mut self, wl: &'ast syn::ExprWhile) {
        self.walk_expr_while(wl);
    }

    fn visit_expr_loop(&mut self, l: &'ast syn::ExprLoop) {
        self.walk_expr_loop(l);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.visit_macro_body(mac);
    }

    fn visit_expr_if(&mut self, i: &'ast syn::ExprIf) {
        self.walk_expr_if(i);
    }

    fn visit_expr_struct(&mut self, e: &'ast syn::ExprStruct) {
        self.walk_expr_struct(e);
    }
}
