//! The one traversal that builds a [`FileModel`](super::FileModel)'s facts.
//!
//! It keeps a stack of *frames* (one per body: fn, closure, async block) carrying the body's
//! [`Ctx`] and its enclosing loops, a block-scoped [`Resolver`] and a [`TypeEnv`]. Macro bodies
//! are parsed from their tokens (`tokio::select!` branches, comma-separated expressions, or
//! statements) and walked like ordinary code; macros that parse as neither are skipped.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::Arc;

use syn::visit::{self, Visit};

use super::guards;
use super::macros::{self, MacroBody};
use super::resolve::{Resolver, Scope};
use super::tokens::TokenFacts;
use super::types::{TypeEnv, TypeTable, infer};
use super::{
    CallFact, Callee, Ctx, Edition, Failure, FileContext, FnItem, HeldGuard, Loc, LoopBound,
    ModDecl, SpawnFact, Ty,
};
use crate::facts::{FieldFact, FnKind, FnRef, FnSignature};
use crate::knowledge::macros as macro_kinds;
use crate::knowledge::{Knowledge, iterators, spawn};

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
    /// Every function with a body, with its crate path (callers of [`CallFact`]s index this).
    pub fn_items: Vec<FnItem>,
    /// Out-of-line module declarations (`mod db;`).
    pub mod_decls: Vec<ModDecl>,
    /// Module-level imports of crate items: (alias path, target path).
    pub crate_aliases: Vec<(String, String)>,
    /// Module-level glob imports of crate modules: (importing module, glob module).
    pub crate_globs: Vec<(String, String)>,
}

/// Walks a file whose top module is `root` (`crate`, or `crate::db` for `src/db.rs`).
pub fn walk_file(file: &syn::File, file_module: &str, cx: &FileContext) -> WalkFacts {
    let mut resolver = Resolver::with_root(file, &cx.module, Arc::clone(&cx.knowledge));
    let types = TypeTable::new(file, &mut resolver);
    let mut w = Walker {
        resolver,
        types,
        env: TypeEnv::default(),
        frames: vec![Frame {
            ctx: Ctx::Sync,
            loops: Vec::new(),
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
        facts: WalkFacts::default(),
    };
    w.visit_file(file);
    w.facts.crate_aliases = w.resolver.crate_aliases();
    w.facts.crate_globs = w.resolver.crate_globs();
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

struct LoopInfo {
    loc: Loc,
    kind: &'static str,
    /// Iterates over a literal or constant range, or an array literal: a fixed worker pool.
    fixed: bool,
    facts: TokenFacts,
}

struct Frame {
    ctx: Ctx,
    loops: Vec<Rc<LoopInfo>>,
}

struct Walker {
    resolver: Resolver,
    types: TypeTable,
    env: TypeEnv,
    frames: Vec<Frame>,
    /// The context the next closure visited gets, set by the call it is an argument of.
    closure_ctx: Option<(Ctx, Option<LoopInfo>)>,
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
    bound_futures: Vec<(String, Failure)>,
    facts: WalkFacts,
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

    fn with_frame(&mut self, ctx: Ctx, loops: Vec<Rc<LoopInfo>>, f: impl FnOnce(&mut Self)) {
        self.frames.push(Frame { ctx, loops });
        f(self);
        self.frames.pop();
    }

    fn with_loop(&mut self, info: LoopInfo, f: impl FnOnce(&mut Self)) {
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
    }

    fn analyse_guards_expr(&mut self, expr: &syn::Expr) {
        let held = guards::scan_expr(expr, &self.env, &self.types, &self.resolver, self.edition);
        self.facts.held_guards.extend(held);
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
        let item = self.facts.fn_items.len();
        self.facts.fn_items.push(FnItem {
            path: format!("{owner}::{}", sig.ident),
            self_ty: self.in_impl.then(|| self.impl_owner.clone()).flatten(),
            is_async: sig.asyncness.is_some(),
            loc: Loc::from_span(sig.ident.span()),
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
        }
        self.with_frame(ctx, Vec::new(), |w| w.visit_block(block));
        self.fn_stack.pop();
        self.env = saved_env;
    }

    fn record_call(&mut self, callee: Callee, loc: Loc, awaited: bool) {
        let ctx = self.ctx();
        self.facts.calls.push(CallFact {
            callee,
            loc,
            ctx,
            awaited,
            caller: self.fn_stack.last().copied(),
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
        adapter_loop: Option<LoopInfo>,
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
        let bound = self.loop_bound(node_addr, loc, future);
        // `let fut = async move { .. }; tokio::spawn(fut)`: what was learnt about the binding.
        let failure = match future {
            Some(syn::Expr::Path(p)) => p
                .path
                .get_ident()
                .and_then(|name| self.bound_futures.iter().rev().find(|(n, _)| name == n))
                .map_or(Failure::Cannot, |(_, f)| f.clone()),
            Some(f) => failure_of(f, &self.knowledge),
            None => Failure::Cannot,
        };
        let discarded = self.discarded.contains(&node_addr);
        self.facts.spawns.push(SpawnFact {
            loc,
            via,
            ctx: self.ctx(),
            bound,
            discarded,
            owned,
            failure,
        });
    }

    fn loop_bound(&self, node_addr: usize, loc: Loc, future: Option<&syn::Expr>) -> LoopBound {
        let Some(innermost) = self.frame().loops.last() else {
            return LoopBound::NotInLoop;
        };
        if self.awaited.contains(&node_addr) || innermost.fixed {
            return LoopBound::Bounded;
        }
        let f = &innermost.facts;
        let accept_loop = f.methods.iter().any(|m| {
            spawn::ACCEPT_METHODS.contains(&m.method.as_str())
                || m.method == "next"
                    && m.receiver
                        .as_deref()
                        .is_some_and(|r| spawn::ACCEPT_STREAM_NAMES.contains(&r))
        });
        let permit_before = f
            .methods
            .iter()
            .any(|m| spawn::PERMIT_METHODS.contains(&m.method.as_str()) && m.pos < loc.start);
        let permit_inside = future.is_some_and(|fut| {
            TokenFacts::of(quote::ToTokens::to_token_stream(fut)).calls_any(spawn::PERMIT_METHODS)
        });
        let drained = f.calls_any(spawn::DRAIN_METHODS) || {
            // A collection the tasks go into (`set.spawn(..)`, `futs.push(..)`) whose size is
            // checked or which is polled (`futs.next().await`) inside the same loop.
            let fills: HashSet<&str> = f
                .methods
                .iter()
                .filter(|m| matches!(m.method.as_str(), "spawn" | "push" | "push_back" | "insert"))
                .filter_map(|m| m.receiver.as_deref())
                .collect();
            f.methods.iter().any(|m| {
                matches!(m.method.as_str(), "len" | "next" | "is_empty")
                    && m.receiver.as_deref().is_some_and(|r| fills.contains(r))
            })
        };
        let handle_awaited = self
            .bound_to
            .get(&node_addr)
            .is_some_and(|name| f.awaited_idents.iter().any(|a| a == name));
        if accept_loop || permit_before || permit_inside || drained || handle_awaited {
            LoopBound::Bounded
        } else {
            LoopBound::Unbounded {
                loop_loc: innermost.loc,
                kind: innermost.kind,
            }
        }
    }

    fn loop_info(
        &self,
        node: &impl quote::ToTokens,
        loc: Loc,
        kind: &'static str,
        fixed: bool,
    ) -> LoopInfo {
        LoopInfo {
            loc,
            kind,
            fixed,
            facts: TokenFacts::of(node.to_token_stream()),
        }
    }

    fn visit_macro_body(&mut self, mac: &syn::Macro) {
        match macros::body(mac) {
            MacroBody::Exprs(exprs) => exprs.iter().for_each(|e| self.visit_expr(e)),
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

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.visit_fn(&f.sig, &f.block);
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.visit_fn(&f.sig, &f.block);
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if let Some(block) = &f.default {
            self.visit_fn(&f.sig, block);
        }
    }

    fn visit_block(&mut self, b: &'ast syn::Block) {
        let mut scope = Scope::default();
        let items: Vec<&syn::Item> = b
            .stmts
            .iter()
            .filter_map(|s| match s {
                syn::Stmt::Item(i) => Some(i),
                _ => None,
            })
            .collect();
        let module = self.resolver.current_module.clone();
        scope.add_items(&format!("{module}::{{block}}"), items);
        let pushed = !scope.is_empty();
        if pushed {
            self.resolver.push_block(scope);
        }
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
        for stmt in &b.stmts {
            self.visit_stmt(stmt);
        }
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
            self.visit_expr(&init.expr);
            self.closure_ctx = None;
            if let Some((_, diverge)) = &init.diverge {
                self.visit_expr(diverge);
            }
        }
        if let (Some(init), syn::Pat::Ident(name)) = (&l.init, &l.pat)
            && matches!(&*init.expr, syn::Expr::Async(_) | syn::Expr::Call(_))
        {
            self.bound_futures.push((
                name.ident.to_string(),
                failure_of(&init.expr, &self.knowledge),
            ));
        }
        let ty = l.init.as_ref().map_or(Ty::Unknown, |i| self.infer(&i.expr));
        let pat = l.pat.clone();
        self.env.bind_pat(&pat, ty, &self.types, &self.resolver);
    }

    fn visit_expr_async(&mut self, a: &'ast syn::ExprAsync) {
        self.analyse_guards_block(&a.block);
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
            self.with_frame(ctx, loops, |w| w.visit_expr(&c.body));
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
        if path == "std::mem::drop" {
            for arg in &c.args {
                if let Some(a) = call_addr(arg) {
                    self.discarded.insert(a);
                }
            }
        }
        self.record_call(Callee::Path(path.clone()), loc, self.awaited.contains(&me));
        if self.knowledge.is_spawn_fn(&path) {
            self.spawn_fact(me, loc, path.clone(), c.args.first(), false);
        }
        self.visit_expr(&c.func);
        self.visit_args(
            &c.args,
            self.knowledge.offloads_closure(&path),
            self.awaited.contains(&me),
            None,
        );
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        let loc = Loc::method_call(m);
        let me = addr(m);
        let name = m.method.to_string();
        let receiver = self.infer(&m.receiver);
        if let Some(path) = receiver.path()
            && self.knowledge.is_spawn_method(path, &name)
        {
            let owned = self.knowledge.owns_spawned_tasks(path);
            self.spawn_fact(me, loc, format!("{path}::{name}"), m.args.first(), owned);
        }
        self.record_call(
            Callee::Method {
                name: name.clone(),
                receiver,
            },
            loc,
            self.awaited.contains(&me),
        );
        self.visit_expr(&m.receiver);
        let adapter_loop = (iterators::PER_ELEMENT_ADAPTERS.contains(&name.as_str())
            && is_iteration(&m.receiver))
        .then(|| {
            let fixed = is_fixed_iteration(&m.receiver);
            self.loop_info(m, loc, "iterator closure", fixed)
        });
        let offloads = self.knowledge.is_offload_method(&name);
        self.visit_args(&m.args, offloads, self.awaited.contains(&me), adapter_loop);
    }

    fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
        self.visit_expr(&f.expr);
        let iter_ty = self.infer(&f.expr);
        self.record_call(
            Callee::Iterate { receiver: iter_ty },
            Loc::of(&f.expr),
            false,
        );
        let info = self.loop_info(
            f,
            Loc::from_span(f.for_token.span),
            "`for` loop",
            is_fixed_iteration(&f.expr),
        );
        self.env.push();
        self.env
            .bind_pat(&f.pat, Ty::Unknown, &self.types, &self.resolver);
        self.with_loop(info, |w| w.visit_block(&f.body));
        self.env.pop();
    }

    fn visit_expr_while(&mut self, wl: &'ast syn::ExprWhile) {
        let info = self.loop_info(
            wl,
            Loc::from_span(wl.while_token.span),
            "`while` loop",
            false,
        );
        self.with_loop(info, |w| visit::visit_expr_while(w, wl));
    }

    fn visit_expr_loop(&mut self, l: &'ast syn::ExprLoop) {
        let info = self.loop_info(l, Loc::from_span(l.loop_token.span), "`loop`", false);
        self.with_loop(info, |w| visit::visit_expr_loop(w, l));
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.visit_macro_body(mac);
    }
}

fn is_iteration(receiver: &syn::Expr) -> bool {
    match receiver {
        syn::Expr::MethodCall(m) => {
            iterators::ITERATOR_SOURCES.contains(&m.method.to_string().as_str())
        }
        syn::Expr::Range(_) | syn::Expr::Array(_) => true,
        syn::Expr::Paren(p) => is_iteration(&p.expr),
        syn::Expr::Call(c) => {
            matches!(&*c.func, syn::Expr::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "iter"))
        }
        _ => false,
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

/// `0..4`, `0..WORKERS`, `1..=N_SHARDS`, `[a, b, c]`: a fixed number of iterations.
fn is_fixed_iteration(e: &syn::Expr) -> bool {
    fn constant(e: &syn::Expr) -> bool {
        match e {
            syn::Expr::Lit(_) => true,
            syn::Expr::Path(p) => p.path.segments.last().is_some_and(|s| {
                s.ident
                    .to_string()
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            }),
            syn::Expr::Binary(b) => constant(&b.left) && constant(&b.right),
            syn::Expr::Paren(p) => constant(&p.expr),
            syn::Expr::Cast(c) => constant(&c.expr),
            _ => false,
        }
    }
    match e {
        syn::Expr::Range(r) => {
            r.start.as_deref().is_none_or(constant) && r.end.as_deref().is_some_and(constant)
        }
        syn::Expr::Paren(p) => is_fixed_iteration(&p.expr),
        syn::Expr::Reference(r) => is_fixed_iteration(&r.expr),
        syn::Expr::Array(_) => true,
        syn::Expr::MethodCall(m)
            if matches!(
                m.method.to_string().as_str(),
                "into_iter" | "iter" | "enumerate" | "rev"
            ) =>
        {
            is_fixed_iteration(&m.receiver)
        }
        _ => false,
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

/// The segment before the last in a call path (`worker` in `worker::run`).
fn qualifier(path: &syn::Path) -> Option<String> {
    let n = path.segments.len();
    (n >= 2).then(|| path.segments[n - 2].ident.to_string())
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

/// Can the spawned future fail unseen?
fn failure_of(future: &syn::Expr, knowledge: &Knowledge) -> Failure {
    match future {
        syn::Expr::Async(a) => {
            let mut scan = FailScan {
                knowledge,
                found: None,
            };
            scan.visit_block(&a.block);
            if let Some((reason, loc)) = scan.found {
                return Failure::Can { reason, loc };
            }
            match a.block.stmts.last() {
                Some(syn::Stmt::Expr(tail, None)) => tail_failure(tail),
                _ => Failure::Cannot,
            }
        }
        syn::Expr::Call(c) => {
            if let syn::Expr::Path(p) = &*c.func
                && let Some(last) = p.path.segments.last()
            {
                let name = last.ident.to_string();
                // `Box::pin(fut)`, `wrapper(fut)`: look through single-argument wrappers.
                if spawn::FUTURE_WRAPPER_FNS.contains(&name.as_str()) {
                    return c
                        .args
                        .first()
                        .map_or(Failure::Cannot, |a| failure_of(a, knowledge));
                }
                return Failure::IfAsyncFnReturnsResult(FnRef {
                    name,
                    qualifier: qualifier(&p.path),
                    method_call: false,
                });
            }
            Failure::Cannot
        }
        syn::Expr::MethodCall(m) => match m.method.to_string().as_str() {
            name if spawn::FUTURE_WRAPPERS.contains(&name) => failure_of(&m.receiver, knowledge),
            name => Failure::IfAsyncFnReturnsResult(FnRef {
                name: name.to_string(),
                qualifier: None,
                method_call: true,
            }),
        },
        syn::Expr::Paren(p) => failure_of(&p.expr, knowledge),
        _ => Failure::Cannot,
    }
}

fn tail_failure(tail: &syn::Expr) -> Failure {
    match tail {
        syn::Expr::Call(c) => match &*c.func {
            syn::Expr::Path(p)
                if p.path
                    .segments
                    .last()
                    .is_some_and(|s| s.ident == "Ok" || s.ident == "Err") =>
            {
                Failure::Can {
                    reason: "ends in a `Result`".into(),
                    loc: Loc::of(tail),
                }
            }
            _ => Failure::Cannot,
        },
        syn::Expr::Await(a) => match &*a.base {
            syn::Expr::Call(c) => match &*c.func {
                syn::Expr::Path(p) => p.path.segments.last().map_or(Failure::Cannot, |s| {
                    Failure::IfAsyncFnReturnsResult(FnRef {
                        name: s.ident.to_string(),
                        qualifier: qualifier(&p.path),
                        method_call: false,
                    })
                }),
                _ => Failure::Cannot,
            },
            syn::Expr::MethodCall(m) => Failure::IfAsyncFnReturnsResult(FnRef {
                name: m.method.to_string(),
                qualifier: None,
                method_call: true,
            }),
            _ => Failure::Cannot,
        },
        _ => Failure::Cannot,
    }
}

/// Finds `?`, `unwrap`/`expect` and panicking macros in a task body (not in nested closures,
/// async blocks or items, whose failures are not the task's).
struct FailScan<'k> {
    knowledge: &'k Knowledge,
    found: Option<(String, Loc)>,
}

impl<'ast> Visit<'ast> for FailScan<'_> {
    fn visit_expr_try(&mut self, t: &'ast syn::ExprTry) {
        if self.found.is_none() {
            self.found = Some((
                "uses `?`, so it can end in an error".into(),
                Loc::from_span(t.question_token.span),
            ));
        }
        visit::visit_expr_try(self, t);
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        if self.found.is_none() && self.knowledge.is_unwrap_like(&m.method.to_string()) {
            self.found = Some((
                format!("calls `{}`, so it can panic", m.method),
                Loc::from_span(m.method.span()),
            ));
        }
        visit::visit_expr_method_call(self, m);
    }

    fn visit_expr_return(&mut self, r: &'ast syn::ExprReturn) {
        if self.found.is_none()
            && let Some(e) = &r.expr
            && let Failure::Can { .. } = tail_failure(e)
        {
            self.found = Some((
                "returns a `Result`".into(),
                Loc::from_span(r.return_token.span),
            ));
        }
        visit::visit_expr_return(self, r);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if self.found.is_some() {
            return;
        }
        let name = macros::name(mac);
        if macro_kinds::PANICKING_MACROS.contains(&name.as_str()) {
            self.found = Some((format!("calls `{name}!`, so it can panic"), Loc::mac(mac)));
            return;
        }
        match macros::body(mac) {
            MacroBody::Exprs(exprs) => exprs.iter().for_each(|e| self.visit_expr(e)),
            MacroBody::Stmts(stmts) => stmts.iter().for_each(|s| self.visit_stmt(s)),
            MacroBody::Opaque => {}
        }
    }

    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}
