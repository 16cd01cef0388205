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

use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::Arc;

use syn::visit::{self, Visit};

use super::analysis::bounds::{self, Iterations, LoopScope, SpawnSite};
use super::analysis::failure::{self, BodyFailure};
use super::guards;
use super::macros::{self, MacroBody};
use super::resolve::{Resolver, Scope};
use super::tokens::{TokenFacts, sender_use};
use super::types::{TypeEnv, TypeTable, infer};
use super::{
    CallFact, Callee, Ctx, Edition, FileContext, FnItem, HeldGuard, Loc, ModDecl, SpawnFact, Ty,
};
use crate::facts::{FieldFact, FnKind, FnSignature};
use crate::knowledge::macros as macro_kinds;
use crate::knowledge::{Knowledge, iterators};

/// What the walk collects.
#[derive(Debug, Default)]
pub struct WalkFacts {
    /// Calls.
    pub calls: Vec<CallFact>,
    /// Spawns.
    pub spawns: Vec<SpawnFact>,
    /// Guards held across awaits.
    pub held_guards: Vec<HeldGuard>,
    /// Function signatures.
    pub functions: Vec<FnSignature>,
    /// Struct fields with named types.
    pub fields: Vec<FieldFact>,
    /// Unbounded channel constructors whose sender is not fed without limit, with why.
    pub low_volume_channels: Vec<(Loc, &'static str)>,
    /// `recv_timeout` calls whose timeout is a zero or near-zero constant: polls, not waits.
    pub polling_receives: Vec<Loc>,
    /// Async locks declared in the file.
    pub async_lock_decls: Vec<super::AsyncLockDeclFact>,
    /// Async lock calls in async code.
    pub async_lock_sites: Vec<super::AsyncLockSiteFact>,
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
        }],
        closure_ctx: None,
        discarded: HashSet::new(),
        awaited: HashSet::new(),
        bound_to: HashMap::new(),
        offloaded_names: Vec::new(),
        file_module: file_module.to_string(),
        in_impl: false,
        impl_owner: None,
        edition: cx.edition,
        knowledge: Arc::clone(&cx.knowledge),
        fn_stack: Vec::new(),
        bound_futures: Vec::new(),
        constant_names: Vec::new(),
        after_stmt: None,
        leaves_after_stmt: false,
        concurrency_limited: HashSet::new(),
        stmt_binding: None,
        main_depth: None,
        current_fn: None,
        fn_names: Vec::new(),
        direct_in: Vec::new(),
        main_callees: HashSet::new(),
        entry_point: false,
        main_apart: false,
        arm_depth: 0,
        async_lock_scan,
        facts: WalkFacts::default(),
    };
    w.visit_file(file);
    w.facts.crate_aliases = w.resolver.crate_aliases();
    w.facts.crate_globs = w.resolver.crate_globs();
    w.facts.per_event = super::analysis::per_event::analyse(file, &mut w.resolver);
    // Calls made directly in a function that `main` calls directly run once, at start-up.
    for (call, direct_in) in w.facts.calls.iter_mut().zip(&w.direct_in) {
        if let Some(f) = direct_in
            && w.main_callees.contains(&w.fn_names[*f])
        {
            call.startup = true;
        }
    }
    w.facts.fields = w
        .types
        .named_fields()
        .map(|(owner, field, ty)| FieldFact {
            owner: owner.to_string(),
            field: field.to_string(),
            ty: ty.to_string(),
        })
        .collect();
    w.facts
}

/// The statements after the one being visited, as tokens and as facts.
struct AfterStmt {
    tokens: proc_macro2::TokenStream,
    facts: TokenFacts,
    /// The statement is an `if`, `match` or block: what follows it also follows the
    /// statements of its branches.
    branches: bool,
}

/// `let (tx, rx) = some::unbounded_channel();`-shaped statements (checked by name only; the
/// walker resolves the path).
fn binds_channel(stmt: &syn::Stmt) -> bool {
    let syn::Stmt::Local(l) = stmt else {
        return false;
    };
    matches!(&l.pat, syn::Pat::Tuple(_))
        && l.init.as_ref().is_some_and(|i| {
            matches!(&*i.expr, syn::Expr::Call(c) if matches!(&*c.func, syn::Expr::Path(p)
            if p.path.segments.last().is_some_and(|s| {
                let n = s.ident.to_string();
                n.contains("unbounded") || n.contains("channel")
            })))
        })
}

struct Frame {
    ctx: Ctx,
    loops: Vec<Rc<LoopScope>>,
    /// The body of a sync closure: `.await` cannot be written in it, whatever its context.
    sync_closure: bool,
}

struct Walker {
    resolver: Resolver,
    types: TypeTable,
    env: TypeEnv,
    frames: Vec<Frame>,
    /// The context the next closure visited gets, set by the call it is an argument of.
    closure_ctx: Option<(Ctx, Option<LoopScope>)>,
    /// Call expressions (by address) whose value is discarded.
    discarded: HashSet<usize>,
    /// Call expressions (by address) that are awaited.
    awaited: HashSet<usize>,
    /// Call expressions (by address) bound to a simple `let` name.
    bound_to: HashMap<usize, String>,
    /// Per enclosing block: names of local closures handed to an offloader in that block.
    offloaded_names: Vec<HashSet<String>>,
    file_module: String,
    /// Inside an `impl` or trait: functions there are methods or associated functions.
    in_impl: bool,
    /// The path functions of the enclosing `impl` (its self type) or trait are declared under.
    impl_owner: Option<String>,
    /// The package's edition (drop scopes of `if let` scrutinees).
    edition: Edition,
    knowledge: Arc<Knowledge>,
    /// Indices into `facts.fn_items` of the functions being walked, innermost last.
    fn_stack: Vec<usize>,
    /// Futures bound by `let name = async { .. }` (or a call) in the enclosing blocks, with
    /// whether they can fail: a later `spawn(name)` is judged by them.
    bound_futures: Vec<(String, BodyFailure)>,
    /// Names bound to constants (`let workers = 48;`) in the enclosing blocks.
    constant_names: Vec<String>,
    /// Tokens of the statements after the one being visited, when that statement holds a loop
    /// (to see whether the loop's tasks are joined right after it).
    after_stmt: Option<Rc<AfterStmt>>,
    /// A later statement of the block being visited is a `return` or `break`: a spawn in the
    /// current statement happens once per loop at most.
    leaves_after_stmt: bool,
    /// Method calls of a stream chain consumed with a concurrency limit
    /// (`.map(..).for_each_concurrent(n, ..)`), by address.
    concurrency_limited: HashSet<usize>,
    /// The name the statement being visited binds (`let handles = xs.iter().map(..)`).
    stmt_binding: Option<String>,
    /// The frame depth of `async fn main`'s body while it is visited: calls made there, outside
    /// loops, run once at start-up.
    main_depth: Option<usize>,
    /// The function being visited (index into `fn_names`) and its body's frame depth.
    current_fn: Option<(usize, usize)>,
    fn_names: Vec<String>,
    /// Per call: the function it is made directly in (outside loops, closures and async
    /// blocks), if any.
    direct_in: Vec<Option<usize>>,
    /// Functions `main` calls directly: their bodies run once, at start-up.
    main_callees: HashSet<String>,
    /// The function about to be visited carries a runtime entry attribute (`#[tokio::main]`).
    entry_point: bool,
    /// The function about to be visited carries a runtime `main` attribute that polls its body
    /// apart from the worker threads (see [`main_attribute_apart`]).
    main_apart: bool,
    /// How many `match` arms the walk is inside.
    arm_depth: usize,
    /// Follow async lock guards too (the file names a `Mutex` or `RwLock`).
    async_lock_scan: bool,
    facts: WalkFacts,
}

/// Blocks with more loop statements than this are not searched for joins after each loop (the
/// search re-reads the rest of the block per loop).
const MAX_LOOPS_PER_BLOCK: usize = 16;

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

    fn analyse_guards_block(&mut self, block: &syn::Block) {
        let held = guards::scan_block(block, &self.env, &self.types, &self.resolver, self.edition);
        self.facts.held_guards.extend(held);
        if self.async_lock_scan {
            let function = self.current_fn_path();
            let sites = guards::scan_async_locks_block(
                block,
                &self.env,
                &self.types,
                &self.resolver,
                self.edition,
                function.as_deref(),
            );
            self.facts.async_lock_sites.extend(sites);
        }
        // The same async bodies, read for their loops and state calls.
        let body = super::loops::scan_block(block, &self.resolver, &self.knowledge);
        self.add_body_facts(body);
    }

    fn add_body_facts(&mut self, body: super::loops::BodyFacts) {
        self.facts.loops.extend(body.loops);
        self.facts.sequences.extend(body.sequences);
        self.facts.paced_bodies.extend(body.paced_bodies);
    }

    /// The crate path of the innermost function being walked.
    fn current_fn_path(&self) -> Option<String> {
        self.fn_stack
            .last()
            .map(|&i| self.facts.fn_items[i].path.clone())
    }

    /// The async lock type (canonical path) `ty` names, looking through wrappers such as
    /// `Arc`, `LazyLock` or `OnceCell`.
    fn async_lock_in(&self, ty: &syn::Type, depth: usize) -> Option<String> {
        if let Some(path) = self.types.ty_of(ty, &self.resolver).path()
            && self.knowledge.is_async_lock(path)
        {
            return Some(path.to_string());
        }
        let syn::Type::Path(p) = ty else { return None };
        let last = p.path.segments.last()?;
        let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
            return None;
        };
        if depth == 0 {
            return None;
        }
        args.args.iter().find_map(|a| match a {
            syn::GenericArgument::Type(t) => self.async_lock_in(t, depth - 1),
            _ => None,
        })
    }

    /// An async lock declared by `let name = Mutex::new(..)` (or `Arc::new(Mutex::new(..))`).
    fn async_lock_local(&mut self, name: &str, init: &syn::Expr) {
        let Some(function) = self.current_fn_path() else {
            return;
        };
        let mut e = init;
        let mut shared = false;
        for _ in 0..4 {
            let syn::Expr::Call(c) = e else { return };
            let syn::Expr::Path(p) = &*c.func else { return };
            let path = self.resolver.resolve(&p.path);
            if let Some(ty) = path.strip_suffix("::new")
                && self.knowledge.is_async_lock(ty)
            {
                self.facts.async_lock_decls.push(super::AsyncLockDeclFact {
                    id: crate::summary::LockId::Local {
                        function,
                        name: name.to_string(),
                    },
                    ty: ty.to_string(),
                    shape: String::new(),
                    shared,
                    public: false,
                    escapes: false,
                    aliases: Vec::new(),
                    loc: Loc::call(c),
                });
                return;
            }
            let wrapper = path.rsplit("::").nth(1).unwrap_or_default();
            if !matches!(wrapper, "Arc" | "Rc" | "Box") || c.args.len() != 1 {
                return;
            }
            shared |= wrapper != "Box";
            e = &c.args[0];
        }
    }

    /// `let alias = m.clone()` / `Arc::clone(&m)` of a local async lock: another name for it.
    fn async_lock_alias(&mut self, name: &str, init: &syn::Expr) {
        let Some(function) = self.current_fn_path() else {
            return;
        };
        let Some(crate::summary::LockId::Local { name: of, .. }) = guards::lock_identity(
            init,
            &self.env,
            &self.types,
            &self.resolver,
            Some(&function),
        ) else {
            return;
        };
        if of == name {
            return;
        }
        let is_clone = matches!(init, syn::Expr::MethodCall(m) if m.method == "clone")
            || matches!(init, syn::Expr::Call(_));
        if !is_clone {
            return;
        }
        for d in &mut self.facts.async_lock_decls {
            if let crate::summary::LockId::Local {
                function: f,
                name: n,
            } = &d.id
                && *f == function
                && (*n == of || d.aliases.contains(&of))
            {
                d.aliases.push(name.to_string());
            }
        }
    }

    /// `m.lock().then(|guard| async move { .. })`: the lock call's guard goes to a closure, in
    /// any function (also a sync one returning the future). Held if the closure awaits (its
    /// future runs while holding the guard) or is not a closure we can read.
    fn async_lock_combinator(&mut self, m: &syn::ExprMethodCall) {
        let syn::Expr::MethodCall(lock) = &*m.receiver else {
            return;
        };
        if !crate::knowledge::locks::GUARD_FUTURE_COMBINATORS
            .contains(&m.method.to_string().as_str())
            || !lock.args.is_empty()
            || !crate::knowledge::locks::ASYNC_GUARD_METHODS
                .contains(&lock.method.to_string().as_str())
        {
            return;
        }
        // A known type that is not an async lock (`std::sync::Mutex::lock` returns a `Result`,
        // whose `map` is no future combinator) is not this shape.
        if let Ty::Named(path) = self.infer(&lock.receiver)
            && path.contains("::")
            && !self.knowledge.is_async_lock(&path)
        {
            return;
        }
        let held = match m.args.first() {
            Some(syn::Expr::Closure(c)) => {
                let mut awaits = guards::AwaitFinder::default();
                awaits.visit_expr(&c.body);
                awaits.found
            }
            _ => true,
        };
        let function = self.current_fn_path();
        let id = guards::lock_identity(
            &lock.receiver,
            &self.env,
            &self.types,
            &self.resolver,
            function.as_deref(),
        );
        self.facts.async_lock_sites.push(super::AsyncLockSiteFact {
            id,
            held,
            lent: false,
            into: None,
            loc: Loc::method_call(lock),
        });
    }

    /// An async lock handed to other code (`helper(&self.state)`, `Foo { m: m.clone() }`,
    /// returned): recorded as a lent site, which keeps the lock from being reported.
    fn async_lock_lent(&mut self, e: &syn::Expr) {
        self.async_lock_lent_into(e, None);
    }

    /// [`Self::async_lock_lent`] for a struct literal's field `into`, which becomes a copy.
    fn async_lock_lent_into(&mut self, e: &syn::Expr, into: Option<crate::summary::LockId>) {
        if !matches!(
            e,
            syn::Expr::Path(_)
                | syn::Expr::Field(_)
                | syn::Expr::Reference(_)
                | syn::Expr::MethodCall(_)
                | syn::Expr::Call(_)
                | syn::Expr::Paren(_)
        ) {
            return;
        }
        let function = self.current_fn_path();
        let Some(id) = guards::lock_identity(
            e,
            &self.env,
            &self.types,
            &self.resolver,
            function.as_deref(),
        ) else {
            return;
        };
        // The expression must be the lock itself, not a call made on it.
        if let syn::Expr::MethodCall(m) = e
            && !matches!(m.method.to_string().as_str(), "clone" | "as_ref")
        {
            return;
        }
        if let syn::Expr::Call(c) = e
            && !matches!(&*c.func, syn::Expr::Path(p)
                if p.path.segments.last().is_some_and(|s| s.ident == "clone"))
        {
            return;
        }
        let relevant = match &id {
            crate::summary::LockId::Local { .. } => self.facts.async_lock_decls.iter().any(|d| {
                matches!((&d.id, &id), (
                    crate::summary::LockId::Local { function: f, name: n },
                    crate::summary::LockId::Local { function: g, name: m },
                ) if f == g && (n == m || d.aliases.contains(m)))
            }),
            _ => match self.infer(e) {
                Ty::Named(path) => self.knowledge.is_async_lock(&path),
                Ty::Field { .. } => true,
                _ => false,
            },
        };
        if relevant {
            self.facts.async_lock_sites.push(super::AsyncLockSiteFact {
                id: Some(id),
                held: true,
                lent: true,
                into,
                loc: Loc::of(e),
            });
        }
    }

    fn analyse_guards_expr(&mut self, expr: &syn::Expr) {
        let held = guards::scan_expr(expr, &self.env, &self.types, &self.resolver, self.edition);
        self.facts.held_guards.extend(held);
        if self.async_lock_scan {
            let function = self.current_fn_path();
            let sites = guards::scan_async_locks_expr(
                expr,
                &self.env,
                &self.types,
                &self.resolver,
                self.edition,
                function.as_deref(),
            );
            self.facts.async_lock_sites.extend(sites);
        }
        // The same async bodies, read for their loops and state calls.
        let body = super::loops::scan_expr(expr, &self.resolver, &self.knowledge);
        self.add_body_facts(body);
    }

    fn visit_fn(&mut self, sig: &syn::Signature, block: &syn::Block) {
        let saved_in_impl = self.in_impl;
        self.visit_fn_inner(sig, block);
        self.in_impl = saved_in_impl;
    }

    fn visit_fn_inner(&mut self, sig: &syn::Signature, block: &syn::Block) {
        let module = match self.resolver.current_module.rsplit_once("::") {
            Some((_, last)) => last.to_string(),
            None => self.file_module.clone(),
        };
        let kind = match (self.in_impl, sig.receiver().is_some()) {
            (false, _) => FnKind::Free,
            (true, true) => FnKind::Method,
            (true, false) => FnKind::Associated,
        };
        self.facts.functions.push(FnSignature {
            name: sig.ident.to_string(),
            module,
            kind,
            is_async: sig.asyncness.is_some(),
            returns_result: returns_result(&sig.output),
        });
        // A fn nested in a body is a block item, named as the resolver names block items.
        let owner = match (&self.impl_owner, self.in_impl) {
            (Some(owner), true) => owner.clone(),
            _ if !self.fn_stack.is_empty() => {
                format!("{}::{{block}}", self.resolver.current_module)
            }
            _ => self.resolver.current_module.clone(),
        };
        // A method that returns the value it builds is a constructor (judged before the body
        // resets `in_impl` for the fns nested in it).
        let constructor = self.in_impl && constructs_self(&sig.output, self.impl_owner.as_deref());
        let item = self.facts.fn_items.len();
        self.facts.fn_items.push(FnItem {
            path: format!("{owner}::{}", sig.ident),
            self_ty: self.in_impl.then(|| self.impl_owner.clone()).flatten(),
            is_async: sig.asyncness.is_some(),
            loc: Loc::from_span(sig.ident.span()),
            body: Loc {
                start: Loc::from_span(block.brace_token.span.open()).start,
                end: Loc::from_span(block.brace_token.span.close()).end,
            },
            setup: sig.asyncness.is_some()
                && (self.entry_point
                    || constructor
                    || self.knowledge.is_setup_fn(&sig.ident.to_string())),
            main_apart: std::mem::take(&mut self.main_apart) && sig.asyncness.is_some(),
        });
        self.fn_stack.push(item);
        let saved_env = std::mem::take(&mut self.env);
        self.env.self_ty = saved_env.self_ty.clone();
        self.env.push();
        for input in &sig.inputs {
            if let syn::FnArg::Typed(t) = input {
                // `State(store): State<Arc<Store>>`: an extractor newtype's field is its type
                // argument.
                if let syn::Pat::TupleStruct(ts) = &*t.pat
                    && ts.elems.len() == 1
                    && let Some(inner) = single_type_argument(&t.ty)
                {
                    let ty = self.types.ty_of(inner, &self.resolver);
                    self.env
                        .bind_pat(&ts.elems[0], ty, &self.types, &self.resolver);
                    continue;
                }
                let ty = self.types.ty_of(&t.ty, &self.resolver);
                self.env.bind_pat(&t.pat, ty, &self.types, &self.resolver);
            }
        }
        self.in_impl = false;
        let ctx = if sig.asyncness.is_some() {
            Ctx::Async
        } else {
            Ctx::Sync
        };
        if ctx == Ctx::Async {
            self.analyse_guards_block(block);
            // `x: &mut T` parameters are lent by passing them to a call; they, `mut x` and
            // `&mut self` are mutable bindings of the body.
            let mut mut_params = Vec::new();
            let mut mut_bindings = Vec::new();
            for input in &sig.inputs {
                match input {
                    syn::FnArg::Receiver(r) if r.mutability.is_some() => {
                        mut_bindings.push("self".to_string());
                    }
                    syn::FnArg::Receiver(_) => {}
                    syn::FnArg::Typed(t) => {
                        let syn::Pat::Ident(name) = &*t.pat else {
                            continue;
                        };
                        let lent =
                            matches!(&*t.ty, syn::Type::Reference(r) if r.mutability.is_some());
                        if lent {
                            mut_params.push(name.ident.to_string());
                        }
                        if lent || name.mutability.is_some() {
                            mut_bindings.push(name.ident.to_string());
                        }
                    }
                }
            }
            self.facts.ir.lower_block(
                super::ir::BodyKind::AsyncFn,
                Some(item),
                block,
                mut_params,
                mut_bindings,
                &self.env,
                &self.types,
                &self.resolver,
            );
        }
        // `main` and set-up functions (`new`, `open`, `init`, ...) run once, before or while
        // the program starts: blocking directly in their bodies is the pedantic form.
        let entry = std::mem::take(&mut self.entry_point);
        let is_main = ctx == Ctx::Async
            && (entry || self.knowledge.is_setup_fn(&sig.ident.to_string()) || constructor);
        let saved_main = self.main_depth;
        self.main_depth = if is_main {
            Some(self.frames.len() + 1)
        } else {
            None
        };
        self.fn_names.push(if entry {
            "main".to_string()
        } else {
            sig.ident.to_string()
        });
        let saved_fn = self
            .current_fn
            .replace((self.fn_names.len() - 1, self.frames.len() + 1));
        self.with_frame(ctx, Vec::new(), |w| w.visit_block(block));
        if self.async_lock_scan
            && let Some(syn::Stmt::Expr(tail, None)) = block.stmts.last()
        {
            self.async_lock_lent(tail);
        }
        self.current_fn = saved_fn;
        self.main_depth = saved_main;
        self.fn_stack.pop();
        self.env = saved_env;
    }

    /// Is the walk in the current function's own frame, or only in sync closures run inline
    /// in it (not in an async block or closure, whose future may be spawned or joined)?
    fn in_own_frame(&self) -> bool {
        let Some((_, depth)) = self.current_fn else {
            return false;
        };
        let Some(inner) = self.frames.get(depth..) else {
            return false;
        };
        depth <= self.frames.len()
            && inner
                .iter()
                .all(|frame| frame.sync_closure && frame.ctx == Ctx::Async)
    }

    fn record_call(&mut self, callee: Callee, loc: Loc, awaited: bool) {
        let ctx = self.ctx();
        let direct = self.frame().loops.is_empty();
        let startup = self.main_depth == Some(self.frames.len()) && direct;
        let direct_in = self
            .current_fn
            .filter(|(_, depth)| direct && *depth == self.frames.len())
            .map(|(f, _)| f);
        self.direct_in.push(direct_in);
        // Only awaited calls (`run(cfg).await`, `block_on(run(cfg))`): a future handed to
        // `spawn` runs alongside everything else.
        if let (Some((f, depth)), Callee::Path(path)) = (self.current_fn, &callee)
            && awaited
            && self.fn_names[f] == "main"
            && depth == self.frames.len()
            && let Some(name) = path.rsplit("::").next()
        {
            self.main_callees.insert(name.to_string());
        }
        self.facts.calls.push(CallFact {
            callee,
            loc,
            ctx,
            awaited,
            startup,
            caller: self.fn_stack.last().copied(),
            callee_loc: None,
            await_allowed: ctx == Ctx::Async && !self.frame().sync_closure,
            top_level: direct_in.is_some(),
            in_arm: self.arm_depth > 0,
            own_frame: self.in_own_frame(),
        });
    }

    /// Visits call arguments, giving closures the context they run in.
    ///
    /// A sync closure handed to an offloader runs off the executor; one handed to a call whose
    /// result is awaited (`asyncify(move || std::fs::read(p)).await`) runs wherever that future
    /// sends it, so its context is unknown; otherwise it runs inline.
    fn visit_args<'a>(
        &mut self,
        args: impl IntoIterator<Item = &'a syn::Expr>,
        offloads: bool,
        awaited: bool,
        adapter_loop: Option<LoopScope>,
    ) {
        let mut adapter_loop = adapter_loop;
        for arg in args {
            if let syn::Expr::Closure(c) = arg
                && c.asyncness.is_none()
            {
                let ctx = if offloads {
                    Ctx::Offloaded
                } else if awaited {
                    Ctx::Unknown
                } else {
                    self.ctx()
                };
                self.closure_ctx = Some((ctx, adapter_loop.take()));
            }
            self.visit_expr(arg);
            self.closure_ctx = None;
        }
    }

    fn spawn_fact(
        &mut self,
        node_addr: usize,
        loc: Loc,
        via: String,
        future: Option<&syn::Expr>,
        owned: bool,
    ) {
        let in_poll_fn = self
            .current_fn
            .is_some_and(|(f, _)| self.fn_names[f].starts_with("poll_"))
            && self.ctx() == Ctx::Sync;
        let site = SpawnSite {
            loc,
            via: &via,
            loops: &self.frame().loops,
            awaited: self.awaited.contains(&node_addr),
            handle: self.bound_to.get(&node_addr).map(String::as_str),
            future,
            in_poll_fn,
            leaves_after: self.leaves_after_stmt,
        };
        let in_loop = bounds::spawn_loop(&site, &self.knowledge);
        // `let fut = async move { .. }; tokio::spawn(fut)`: what was learnt about the binding.
        let failure = match future {
            Some(syn::Expr::Path(p)) => p
                .path
                .get_ident()
                .and_then(|name| self.bound_futures.iter().rev().find(|(n, _)| name == n))
                .map_or_else(BodyFailure::default, |(_, f)| f.clone()),
            Some(f) => failure::of_future(f, &self.knowledge),
            None => BodyFailure::default(),
        };
        let discarded = self.discarded.contains(&node_addr);
        self.facts.spawns.push(SpawnFact {
            loc,
            via,
            ctx: self.ctx(),
            in_loop,
            discarded,
            owned,
            failure,
        });
    }

    fn loop_scope(
        &self,
        node: &impl quote::ToTokens,
        loc: Loc,
        kind: &'static str,
        iterations: Iterations,
        chunked: bool,
    ) -> LoopScope {
        LoopScope::new(node, loc, kind, iterations, chunked).joined_by(
            self.after_stmt.as_ref().map(|after| &after.facts),
            self.stmt_binding.as_deref(),
            &self.knowledge,
        )
    }

    /// `let (tx, rx) = <unbounded constructor>();`: records the channel as low-volume when its
    /// sender is visibly not fed without limit in the rest of the block.
    fn classify_channel(&mut self, c: &syn::ExprCall, pair: &syn::PatTuple) {
        let syn::Expr::Path(p) = &*c.func else { return };
        let path = self.resolver.resolve(&p.path);
        if self.knowledge.unbounded_constructor(&path).is_none() {
            return;
        }
        let Some(syn::Pat::Ident(sender)) = pair.elems.first() else {
            return;
        };
        let sender = sender.ident.to_string();
        let unit = p.path.segments.last().is_some_and(|s| {
            matches!(&s.arguments, syn::PathArguments::AngleBracketed(a)
                if matches!(a.args.first(), Some(syn::GenericArgument::Type(syn::Type::Tuple(t))) if t.elems.is_empty()))
        });
        // `unbounded::<oneshot::Sender<_>>()`, `unbounded_channel::<(Req, oneshot::Sender<Resp>)>()`:
        // every message carries the reply its sender awaits, so the queue holds at most one
        // message per waiting caller.
        let request_reply = p.path.segments.last().is_some_and(|s| {
            matches!(&s.arguments, syn::PathArguments::AngleBracketed(a)
                if a.args.iter().any(|g| quote::ToTokens::to_token_stream(g).to_string().replace(' ', "").contains("oneshot::Sender")))
        });
        let fed_in_loop = || {
            self.after_stmt.as_ref().is_some_and(|after| {
                sender_use(after.tokens.clone(), std::slice::from_ref(&sender)).in_loop
            })
        };
        let reason = if request_reply && !fed_in_loop() {
            Some("a request/response queue: each message carries a oneshot reply sender")
        } else if unit || self.knowledge.is_control_sender(&sender) {
            Some("a control or shutdown channel")
        } else {
            self.after_stmt.as_ref().and_then(|after| {
                let used = sender_use(after.tokens.clone(), std::slice::from_ref(&sender));
                (!used.in_loop && !used.escapes)
                    .then_some("its sender is not fed in a loop, a callback or a task per event")
            })
        };
        if let Some(reason) = reason {
            self.facts.low_volume_channels.push((Loc::call(c), reason));
        }
    }

    /// Binds the patterns of `let` conditions (`if let P = e`, `if let A = a && let B = b`).
    fn bind_lets(&mut self, cond: &syn::Expr) {
        match cond {
            syn::Expr::Let(l) => {
                let ty = self.infer(&l.expr);
                self.env.bind_pat(&l.pat, ty, &self.types, &self.resolver);
            }
            syn::Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_)) => {
                self.bind_lets(&b.left);
                self.bind_lets(&b.right);
            }
            syn::Expr::Paren(p) => self.bind_lets(&p.expr),
            _ => {}
        }
    }

    /// Records a read or write through `io` when its type is one that blocks.
    fn record_io(&mut self, via: &str, io: Option<&syn::Expr>, loc: Loc) {
        if let Some(ty) = io.map(|e| self.infer(e))
            && let Some(path) = ty.path()
            && self.knowledge.is_blocking_io_type(path)
        {
            let callee = Callee::ReadsWrites {
                via: via.to_string(),
                io: path.to_string(),
            };
            self.record_call(callee, loc, false);
        }
    }

    fn visit_macro_body(&mut self, mac: &syn::Macro) {
        match macros::body(mac) {
            MacroBody::Exprs(exprs) => {
                let name = macros::name(mac);
                if macro_kinds::WRITE_MACROS.contains(&name.as_str()) {
                    self.record_io(&format!("{name}!"), exprs.first(), Loc::mac(mac));
                }
                exprs.iter().for_each(|e| self.visit_expr(e));
            }
            MacroBody::Stmts(stmts) => {
                let block = syn::Block {
                    brace_token: Default::default(),
                    stmts,
                };
                self.visit_block(&block);
            }
            MacroBody::Opaque => {}
        }
    }
}

impl<'ast> Visit<'ast> for Walker {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if m.content.is_none() {
            self.facts.mod_decls.push(ModDecl {
                parent: self.resolver.current_module.clone(),
                name: m.ident.to_string(),
                path_attr: path_attr(&m.attrs),
            });
        }
        let saved = self.resolver.current_module.clone();
        self.resolver.current_module = format!("{saved}::{}", m.ident);
        visit::visit_item_mod(self, m);
        self.resolver.current_module = saved;
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        let saved = self.env.self_ty.take();
        self.env.self_ty = self
            .types
            .ty_of(&i.self_ty, &self.resolver)
            .path()
            .map(str::to_string);
        let saved_owner = std::mem::replace(&mut self.impl_owner, self.env.self_ty.clone());
        let saved_in_impl = std::mem::replace(&mut self.in_impl, true);
        visit::visit_item_impl(self, i);
        self.in_impl = saved_in_impl;
        self.impl_owner = saved_owner;
        self.env.self_ty = saved;
    }

    fn visit_item_trait(&mut self, t: &'ast syn::ItemTrait) {
        let owner = format!("{}::{}", self.resolver.current_module, t.ident);
        let saved_owner = self.impl_owner.replace(owner);
        let saved_in_impl = std::mem::replace(&mut self.in_impl, true);
        visit::visit_item_trait(self, t);
        self.in_impl = saved_in_impl;
        self.impl_owner = saved_owner;
    }

    fn visit_item_struct(&mut self, s: &'ast syn::ItemStruct) {
        if self.async_lock_scan {
            let public_struct = matches!(s.vis, syn::Visibility::Public(_));
            for f in &s.fields {
                let Some(ident) = &f.ident else { continue };
                let Some(ty) = self.async_lock_in(&f.ty, 3) else {
                    continue;
                };
                let shape: String = quote::ToTokens::to_token_stream(&f.ty)
                    .to_string()
                    .split_whitespace()
                    .collect();
                self.facts.async_lock_decls.push(super::AsyncLockDeclFact {
                    id: crate::summary::LockId::Field {
                        owner: s.ident.to_string(),
                        field: ident.to_string(),
                    },
                    ty,
                    shared: shape.contains("Arc<") || shape.contains("Rc<"),
                    shape,
                    public: public_struct && matches!(f.vis, syn::Visibility::Public(_)),
                    escapes: false,
                    aliases: Vec::new(),
                    loc: Loc::of(f),
                });
            }
        }
        visit::visit_item_struct(self, s);
    }

    fn visit_item_static(&mut self, s: &'ast syn::ItemStatic) {
        if self.async_lock_scan
            && let Some(ty) = self.async_lock_in(&s.ty, 3)
        {
            let shape: String = quote::ToTokens::to_token_stream(&s.ty)
                .to_string()
                .split_whitespace()
                .collect();
            self.facts.async_lock_decls.push(super::AsyncLockDeclFact {
                id: crate::summary::LockId::Static {
                    name: s.ident.to_string(),
                },
                ty,
                shape,
                shared: false,
                public: matches!(s.vis, syn::Visibility::Public(_)),
                escapes: false,
                aliases: Vec::new(),
                loc: Loc::of(&s.ident),
            });
        }
        visit::visit_item_static(self, s);
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        // `#[tokio::main] async fn run()` is a program's entry point whatever its name.
        self.entry_point = is_runtime_entry(&f.attrs, &self.knowledge);
        self.main_apart = main_attribute_apart(&f.attrs);
        self.visit_fn(&f.sig, &f.block);
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        // `#[tokio::main] async fn start(..)` in an `impl` builds its runtime too.
        self.entry_point = is_runtime_entry(&f.attrs, &self.knowledge);
        self.main_apart = main_attribute_apart(&f.attrs);
        self.visit_fn(&f.sig, &f.block);
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if let Some(block) = &f.default {
            self.visit_fn(&f.sig, block);
        }
    }

    fn visit_block(&mut self, b: &'ast syn::Block) {
        // Most blocks declare no item: no scope to build (and no strings to allocate for one).
        let has_items = b.stmts.iter().any(|s| matches!(s, syn::Stmt::Item(_)));
        let pushed = has_items && {
            let mut scope = Scope::default();
            let items = b.stmts.iter().filter_map(|s| match s {
                syn::Stmt::Item(i) => Some(i),
                _ => None,
            });
            let module = format!("{}::{{block}}", self.resolver.current_module);
            scope.add_items(&module, items);
            let declares = !scope.is_empty();
            if declares {
                self.resolver.push_block(scope);
            }
            declares
        };
        let binds_closure = b.stmts.iter().any(|s| {
            matches!(s, syn::Stmt::Local(l) if l.init.as_ref().is_some_and(|i| matches!(*i.expr, syn::Expr::Closure(_))))
        });
        if binds_closure {
            let mut finder = OffloadedNames(HashSet::new(), &self.knowledge);
            finder.visit_block(b);
            self.offloaded_names.push(finder.0);
        }
        self.env.push();
        let futures_in_scope = self.bound_futures.len();
        let constants_in_scope = self.constant_names.len();
        let saved_after = self.after_stmt.take();
        let saved_leaves = self.leaves_after_stmt;
        // Asked once per statement (it is read twice below).
        let holds_loop: Vec<bool> = b.stmts.iter().map(bounds::holds_loop).collect();
        let loops = holds_loop.iter().filter(|&&h| h).count();
        for (i, stmt) in b.stmts.iter().enumerate() {
            self.leaves_after_stmt = b.stmts[i + 1..].iter().any(|s| {
                matches!(
                    s,
                    syn::Stmt::Expr(syn::Expr::Return(_) | syn::Expr::Break(_), _)
                )
            });
            // Bounded work: only statements holding a loop, in blocks with few of them.
            let wanted = holds_loop[i] || binds_channel(stmt);
            self.after_stmt = (loops <= MAX_LOOPS_PER_BLOCK && wanted).then(|| {
                let mut tokens = proc_macro2::TokenStream::new();
                for s in &b.stmts[i + 1..] {
                    quote::ToTokens::to_tokens(s, &mut tokens);
                }
                if let Some(outer) = saved_after.as_ref().filter(|a| a.branches) {
                    tokens.extend(outer.tokens.clone());
                }
                let branches =
                    matches!(stmt, syn::Stmt::Expr(e, _) if bounds::branches_hold_loop(e));
                Rc::new(AfterStmt {
                    facts: TokenFacts::of(tokens.clone()),
                    tokens,
                    branches,
                })
            });
            self.visit_stmt(stmt);
        }
        self.after_stmt = saved_after;
        self.leaves_after_stmt = saved_leaves;
        self.constant_names.truncate(constants_in_scope);
        self.bound_futures.truncate(futures_in_scope);
        self.env.pop();
        if binds_closure {
            self.offloaded_names.pop();
        }
        if pushed {
            self.resolver.pop_block();
        }
    }

    fn visit_stmt(&mut self, s: &'ast syn::Stmt) {
        match s {
            syn::Stmt::Expr(e, Some(_)) => {
                if let Some(a) = call_addr(e) {
                    self.discarded.insert(a);
                }
            }
            syn::Stmt::Local(l) => {
                if let Some(init) = &l.init
                    && let Some(a) = call_addr(&init.expr)
                {
                    match &l.pat {
                        syn::Pat::Wild(_) => {
                            self.discarded.insert(a);
                        }
                        syn::Pat::Ident(i) => {
                            self.bound_to.insert(a, i.ident.to_string());
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        visit::visit_stmt(self, s);
    }

    fn visit_local(&mut self, l: &'ast syn::Local) {
        if let Some(init) = &l.init {
            // `let load = |p| std::fs::read(p);` runs where it is called: inline in this body,
            // unless the closure is handed to an offloader in the same block.
            if let (syn::Expr::Closure(c), syn::Pat::Ident(name)) = (&*init.expr, &l.pat)
                && c.asyncness.is_none()
            {
                let offloaded = self
                    .offloaded_names
                    .iter()
                    .any(|set| set.contains(&name.ident.to_string()));
                self.closure_ctx = Some((
                    if offloaded {
                        Ctx::Offloaded
                    } else {
                        self.ctx()
                    },
                    None,
                ));
            }
            let binding = match &l.pat {
                syn::Pat::Ident(name) => Some(name.ident.to_string()),
                syn::Pat::Type(t) => match &*t.pat {
                    syn::Pat::Ident(name) => Some(name.ident.to_string()),
                    _ => None,
                },
                _ => None,
            };
            let saved_binding = std::mem::replace(&mut self.stmt_binding, binding);
            self.visit_expr(&init.expr);
            self.stmt_binding = saved_binding;
            self.closure_ctx = None;
            if let Some((_, diverge)) = &init.diverge {
                self.visit_expr(diverge);
            }
        }
        if let Some(init) = &l.init
            && let syn::Expr::Call(c) = &*init.expr
            && let syn::Pat::Tuple(pair) = &l.pat
        {
            self.classify_channel(c, pair);
        }
        if let (Some(init), syn::Pat::Ident(name)) = (&l.init, &l.pat)
            && bounds::is_constant(&init.expr, &self.constant_names)
        {
            self.constant_names.push(name.ident.to_string());
        }
        if let (Some(init), syn::Pat::Ident(name)) = (&l.init, &l.pat)
            && matches!(&*init.expr, syn::Expr::Async(_) | syn::Expr::Call(_))
        {
            self.bound_futures.push((
                name.ident.to_string(),
                failure::of_future(&init.expr, &self.knowledge),
            ));
        }
        if self.async_lock_scan
            && let (Some(init), syn::Pat::Ident(name)) = (&l.init, &l.pat)
        {
            let name = name.ident.to_string();
            self.async_lock_local(&name, &init.expr);
            self.async_lock_alias(&name, &init.expr);
        }
        let ty = l.init.as_ref().map_or(Ty::Unknown, |i| self.infer(&i.expr));
        self.env.bind_pat(&l.pat, ty, &self.types, &self.resolver);
    }

    /// Binds each arm's pattern to the scrutinee's type for the arm's body: `match self {
    /// Self::Serve(args) => args.run() }` calls the variant's type's method.
    fn visit_expr_match(&mut self, m: &'ast syn::ExprMatch) {
        self.visit_expr(&m.expr);
        let ty = self.infer(&m.expr);
        for arm in &m.arms {
            self.env.push();
            self.env
                .bind_pat(&arm.pat, ty.clone(), &self.types, &self.resolver);
            self.arm_depth += 1;
            self.visit_arm(arm);
            self.arm_depth -= 1;
            self.env.pop();
        }
    }

    fn visit_expr_async(&mut self, a: &'ast syn::ExprAsync) {
        self.analyse_guards_block(&a.block);
        self.facts.ir.lower_block(
            super::ir::BodyKind::AsyncBlock,
            self.fn_stack.last().copied(),
            &a.block,
            Vec::new(),
            Vec::new(),
            &self.env,
            &self.types,
            &self.resolver,
        );
        self.with_frame(Ctx::Async, Vec::new(), |w| w.visit_block(&a.block));
    }

    fn visit_expr_closure(&mut self, c: &'ast syn::ExprClosure) {
        let given = self.closure_ctx.take();
        self.env.push();
        for input in &c.inputs {
            self.env
                .bind_pat(input, Ty::Unknown, &self.types, &self.resolver);
        }
        if c.asyncness.is_some() {
            self.analyse_guards_expr(&c.body);
            self.facts.ir.lower_expr(
                self.fn_stack.last().copied(),
                &c.body,
                &self.env,
                &self.types,
                &self.resolver,
            );
            self.with_frame(Ctx::Async, Vec::new(), |w| w.visit_expr(&c.body));
        } else {
            // A sync closure run inline belongs to its body's loops, plus its own iteration
            // when it is an iterator adapter's per-element closure.
            let (ctx, adapter_loop) = given.unwrap_or((Ctx::Unknown, None));
            let mut loops = if ctx == Ctx::Offloaded {
                Vec::new()
            } else {
                self.frame().loops.clone()
            };
            loops.extend(adapter_loop.map(Rc::new));
            self.with_frame(ctx, loops, |w| {
                if let Some(frame) = w.frames.last_mut() {
                    frame.sync_closure = true;
                }
                w.visit_expr(&c.body)
            });
        }
        self.env.pop();
    }

    fn visit_expr_await(&mut self, a: &'ast syn::ExprAwait) {
        if let Some(x) = call_addr(&a.base) {
            self.awaited.insert(x);
        }
        visit::visit_expr_await(self, a);
    }

    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        let loc = Loc::call(c);
        let me = addr(c);
        let path = match &*c.func {
            syn::Expr::Path(p) if p.qself.is_none() => Some(self.resolver.resolve(&p.path)),
            _ => None,
        };
        let Some(path) = path else {
            visit::visit_expr_call(self, c);
            return;
        };
        if self.knowledge.is_block_on_fn(&path) {
            // `block_on(tokio::spawn(..))` waits for the task like `.await` does.
            for arg in &c.args {
                if let Some(a) = call_addr(arg) {
                    self.awaited.insert(a);
                }
            }
        }
        if path == "std::mem::drop" {
            for arg in &c.args {
                if let Some(a) = call_addr(arg) {
                    self.discarded.insert(a);
                }
            }
        }
        self.record_call(Callee::Path(path.clone()), loc, self.awaited.contains(&me));
        if let Some(call) = self.facts.calls.last_mut() {
            call.callee_loc = Some(Loc::expr(&c.func));
        }
        if self.knowledge.is_reader_fn(&path) {
            self.record_io(&path, c.args.first(), loc);
        }
        if self.knowledge.is_spawn_fn(&path) {
            // A configured wrapper may take a name or options first (`spawn_named("conn", fut)`).
            let future = c
                .args
                .iter()
                .find(|a| !matches!(a, syn::Expr::Lit(_) | syn::Expr::Reference(_)))
                .or(c.args.first());
            self.spawn_fact(me, loc, path.clone(), future, false);
        }
        self.visit_expr(&c.func);
        let is_arc_clone = path.ends_with("Arc::clone") || path.ends_with("Rc::clone");
        if self.async_lock_scan && !is_arc_clone && path != "std::mem::drop" {
            for arg in &c.args {
                self.async_lock_lent(arg);
            }
        }
        // A closure stored for later (`Box::new(move || ..)`) runs who knows where, like one
        // handed to a call whose future is awaited.
        self.visit_args(
            &c.args,
            self.knowledge.offloads_closure(&path),
            self.awaited.contains(&me) || self.knowledge.stores_closure(&path),
            None,
        );
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        let loc = Loc::method_call(m);
        let me = addr(m);
        let name = m.method.to_string();
        if self.knowledge.is_block_on_method(&name) {
            for arg in &m.args {
                if let Some(a) = call_addr(arg) {
                    self.awaited.insert(a);
                }
            }
        }
        if name == "recv_timeout" && m.args.first().is_some_and(is_near_zero_duration) {
            self.facts.polling_receives.push(loc);
        }
        let receiver = self.infer(&m.receiver);
        if let Some(path) = receiver.path()
            && self.knowledge.is_spawn_method(path, &name)
        {
            let owned = self.knowledge.owns_spawned_tasks(path);
            let future = m.args.iter().nth(self.knowledge.spawn_future_arg(path));
            self.spawn_fact(me, loc, format!("{path}::{name}"), future, owned);
        }
        // Asked before the name moves into the call fact.
        let per_element = iterators::PER_ELEMENT_ADAPTERS.contains(&name.as_str());
        let offloads = self.knowledge.is_offload_method(&name);
        self.record_call(
            Callee::Method { name, receiver },
            loc,
            self.awaited.contains(&me),
        );
        if iterators::CONCURRENCY_LIMITED_CONSUMERS
            .iter()
            .any(|c| m.method == c)
            && !m
                .args
                .first()
                .is_some_and(|a| matches!(a, syn::Expr::Path(p) if p.path.is_ident("None")))
        {
            let mut chain = &*m.receiver;
            while let syn::Expr::MethodCall(inner) = chain {
                self.concurrency_limited.insert(addr(inner));
                chain = &inner.receiver;
            }
        }
        self.visit_expr(&m.receiver);
        let limited = self.concurrency_limited.contains(&me);
        let adapter_loop = (per_element && bounds::is_iteration(&m.receiver)).then(|| {
            let fixed = bounds::iterations(&m.receiver, &self.constant_names);
            let mut scope = self.loop_scope(
                m,
                loc,
                "iterator closure",
                fixed,
                bounds::is_chunked(&m.receiver),
            );
            scope.concurrency_limited = limited;
            scope
        });
        if self.async_lock_scan {
            self.async_lock_combinator(m);
            for arg in &m.args {
                self.async_lock_lent(arg);
            }
        }
        self.visit_args(&m.args, offloads, self.awaited.contains(&me), adapter_loop);
    }

    fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
        self.visit_expr(&f.expr);
        let iter_ty = self.infer(&f.expr);
        self.record_call(
            Callee::Iterate { receiver: iter_ty },
            Loc::expr(&f.expr),
            false,
        );
        let info = self.loop_scope(
            f,
            Loc::from_span(f.for_token.span),
            "`for` loop",
            bounds::iterations(&f.expr, &self.constant_names),
            bounds::is_chunked(&f.expr),
        );
        self.env.push();
        self.env
            .bind_pat(&f.pat, Ty::Unknown, &self.types, &self.resolver);
        self.with_loop(info, |w| w.visit_block(&f.body));
        self.env.pop();
    }

    fn visit_expr_while(&mut self, wl: &'ast syn::ExprWhile) {
        let info = self.loop_scope(
            wl,
            Loc::from_span(wl.while_token.span),
            "`while` loop",
            Iterations::Unknown,
            false,
        );
        self.with_loop(info, |w| visit::visit_expr_while(w, wl));
    }

    fn visit_expr_loop(&mut self, l: &'ast syn::ExprLoop) {
        let info = self.loop_scope(
            l,
            Loc::from_span(l.loop_token.span),
            "`loop`",
            Iterations::Unknown,
            false,
        );
        self.with_loop(info, |w| visit::visit_expr_loop(w, l));
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.visit_macro_body(mac);
    }

    fn visit_expr_if(&mut self, i: &'ast syn::ExprIf) {
        // `if let Ok(mut file) = File::open(p) { file.read_to_string(..) }`: the pattern's
        // bindings have the scrutinee's light type in the `then` branch.
        self.visit_expr(&i.cond);
        self.env.push();
        self.bind_lets(&i.cond);
        self.visit_block(&i.then_branch);
        self.env.pop();
        if let Some((_, els)) = &i.else_branch {
            self.visit_expr(els);
        }
    }

    fn visit_expr_struct(&mut self, e: &'ast syn::ExprStruct) {
        // A closure stored in a struct field (`Hooks { on_exit: move || .. }`) runs wherever the
        // struct's owner calls it, not here.
        for field in &e.fields {
            if self.async_lock_scan {
                // The struct by its name (`Self` is the impl's): the field is a copy.
                let owner = match e.path.segments.last() {
                    Some(s) if s.ident == "Self" => self
                        .impl_owner
                        .as_deref()
                        .map(|o| o.rsplit("::").next().unwrap_or(o).to_string()),
                    Some(s) => Some(s.ident.to_string()),
                    None => None,
                };
                let into = match (&field.member, owner) {
                    (syn::Member::Named(name), Some(owner)) => {
                        Some(crate::summary::LockId::Field {
                            owner,
                            field: name.to_string(),
                        })
                    }
                    _ => None,
                };
                self.async_lock_lent_into(&field.expr, into);
            }
            if let syn::Expr::Closure(c) = &field.expr
                && c.asyncness.is_none()
            {
                self.closure_ctx = Some((Ctx::Unknown, None));
            }
            self.visit_expr(&field.expr);
            self.closure_ctx = None;
        }
        if let Some(rest) = &e.rest {
            self.visit_expr(rest);
        }
    }
}

/// Names of local closures passed to an offloader (`spawn_blocking(load)`) in a block.
struct OffloadedNames<'k>(HashSet<String>, &'k Knowledge);

impl<'ast> Visit<'ast> for OffloadedNames<'_> {
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if let syn::Expr::Path(p) = &*c.func
            && let Some(last) = p.path.segments.last()
            && self.1.is_offload_fn_name(&last.ident.to_string())
        {
            self.0.extend(c.args.iter().filter_map(ident_of));
        }
        visit::visit_expr_call(self, c);
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        if self.1.is_offload_method(&m.method.to_string()) {
            self.0.extend(m.args.iter().filter_map(ident_of));
        }
        visit::visit_expr_method_call(self, m);
    }
}

fn ident_of(e: &syn::Expr) -> Option<String> {
    match e {
        syn::Expr::Path(p) => p.path.get_ident().map(ToString::to_string),
        _ => None,
    }
}

/// `T` in `Wrapper<T>`, when that is the type's only generic argument.
fn single_type_argument(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(p) = ty else { return None };
    let syn::PathArguments::AngleBracketed(args) = &p.path.segments.last()?.arguments else {
        return None;
    };
    match args.args.iter().collect::<Vec<_>>().as_slice() {
        [syn::GenericArgument::Type(inner)] => Some(inner),
        _ => None,
    }
}

/// The value of a `#[path = "…"]` attribute.
fn path_attr(attrs: &[syn::Attribute]) -> Option<String> {
    attrs.iter().find_map(|a| match &a.meta {
        syn::Meta::NameValue(nv) if nv.path.is_ident("path") => match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    })
}

fn returns_result(output: &syn::ReturnType) -> bool {
    let syn::ReturnType::Type(_, ty) = output else {
        return false;
    };
    let syn::Type::Path(p) = &**ty else {
        return false;
    };
    p.path
        .segments
        .last()
        .is_some_and(|s| s.ident.to_string().ends_with("Result"))
}

/// A constant duration of at most one microsecond (`Duration::ZERO`, `Duration::from_nanos(1)`,
/// `from_micros(0..=1)`, `from_millis(0)`, `from_secs(0)`): a receive with such a timeout
/// returns at once, like `try_recv`.
fn is_near_zero_duration(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Path(p) => p.path.segments.last().is_some_and(|s| s.ident == "ZERO"),
        syn::Expr::Reference(r) => is_near_zero_duration(&r.expr),
        syn::Expr::Paren(p) => is_near_zero_duration(&p.expr),
        syn::Expr::Call(c) => {
            let syn::Expr::Path(f) = &*c.func else {
                return false;
            };
            let Some(ctor) = f.path.segments.last().map(|s| s.ident.to_string()) else {
                return false;
            };
            let Some(syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Int(n),
                ..
            })) = c.args.first()
            else {
                return false;
            };
            let Ok(n) = n.base10_parse::<u64>() else {
                return false;
            };
            match ctor.as_str() {
                "from_nanos" => n <= 1_000,
                "from_micros" => n <= 1,
                "from_millis" | "from_secs" => n == 0,
                _ => false,
            }
        }
        _ => false,
    }
}

/// A runtime `main` attribute whose runtime polls the fn's body on the main thread, apart from
/// its worker threads (`#[tokio::main]`, `#[tokio::main(flavor = "multi_thread")]`), as the
/// knowledge's table says. Arguments that do not read as `name = value` pairs say nothing.
fn main_attribute_apart(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        let segments = &a.path().segments;
        if segments.len() != 2 || segments[1].ident != "main" {
            return false;
        }
        let krate = segments[0].ident.to_string();
        let flavor = match &a.meta {
            syn::Meta::Path(_) => None,
            syn::Meta::List(_) => {
                let parser = syn::punctuated::Punctuated::<syn::MetaNameValue, syn::Token![,]>::parse_terminated;
                let Ok(args) = a.parse_args_with(parser) else {
                    return false;
                };
                args.iter()
                    .find(|arg| arg.path.is_ident("flavor"))
                    .map(|arg| match &arg.value {
                        syn::Expr::Lit(syn::ExprLit {
                            lit: syn::Lit::Str(s),
                            ..
                        }) => s.value(),
                        _ => String::new(),
                    })
            }
            syn::Meta::NameValue(_) => return false,
        };
        crate::knowledge::runtimes::polls_main_apart(&krate, flavor.as_deref())
    })
}

/// `#[tokio::main]` (or another runtime's `main` attribute): the fn builds a runtime and blocks
/// on its body, whatever its name.
fn is_runtime_entry(attrs: &[syn::Attribute], knowledge: &crate::knowledge::Knowledge) -> bool {
    // Compares identifiers in place: no string per attribute of every function.
    attrs.iter().any(|a| {
        let segments = &a.path().segments;
        segments.len() == 2
            && segments[1].ident == "main"
            && knowledge.is_runtime_entry_crate(&segments[0].ident.to_string())
    })
}

/// Does a method return the value it builds: `Self`, the impl's own type, or either wrapped in
/// `Result`/`Option` (`io::Result<Self>`, `Result<Self, Error>`)? Such an async fn is a
/// constructor: it runs once per value it builds, and the values that need async set-up
/// (stores, servers, connectors) are built once.
fn constructs_self(output: &syn::ReturnType, owner: Option<&str>) -> bool {
    let syn::ReturnType::Type(_, ty) = output else {
        return false;
    };
    let owner_name = owner.and_then(|o| o.rsplit("::").next());
    returns_own_type(ty, owner_name)
}

/// `Self` or the type named `owner`, possibly inside `Result`/`Option` (nested too).
fn returns_own_type(ty: &syn::Type, owner: Option<&str>) -> bool {
    let syn::Type::Path(p) = ty else {
        return false;
    };
    let Some(last) = p.path.segments.last() else {
        return false;
    };
    if last.ident == "Self" || owner.is_some_and(|o| last.ident == o) {
        return true;
    }
    if last.ident != "Result" && last.ident != "Option" {
        return false;
    }
    match &last.arguments {
        syn::PathArguments::AngleBracketed(args) => matches!(
            args.args.first(),
            Some(syn::GenericArgument::Type(first)) if returns_own_type(first, owner)
        ),
        _ => false,
    }
}
