//! Bodies that are not items: closures and async blocks, each walked in a frame with the
//! context it runs in (async; inline sync code; offloaded; unknown when a callee may run it
//! elsewhere), and the hand-off of every async body, whole, to the passes that read a body at
//! once: the guard scans ([`guards`]), loops and state-changing sequences
//! ([`loops`](crate::model::loops)) and the statement-level [`ir`](crate::model::ir).

use std::collections::HashSet;
use std::rc::Rc;

use syn::visit::{self, Visit};

use super::super::analysis::bounds::LoopScope;
use super::super::analysis::contexts::{ClosureSite, closure_context};
use super::super::analysis::guards;
use super::super::{Ctx, Ty};
use super::{Walker, addr};
use crate::knowledge::Knowledge;

/// An async body as the walker meets it: an fn's or closure's block, or an async block's
/// expression.
#[derive(Clone, Copy)]
enum AsyncBody<'a> {
    Block(&'a syn::Block),
    Expr(&'a syn::Expr),
}

impl Walker {
    pub(super) fn analyse_guards_block(&mut self, block: &syn::Block) {
        self.analyse_async_body(AsyncBody::Block(block));
    }

    pub(super) fn analyse_guards_expr(&mut self, expr: &syn::Expr) {
        self.analyse_async_body(AsyncBody::Expr(expr));
    }

    /// An async body read for its guards (sync ones always, async locks' when the file has
    /// any), then for its loops and state calls.
    fn analyse_async_body(&mut self, body: AsyncBody<'_>) {
        let (env, types, resolver, edition) =
            (&self.env, &self.types, &self.resolver, self.edition);
        let held = match body {
            AsyncBody::Block(b) => guards::scan_block(b, env, types, resolver, edition),
            AsyncBody::Expr(e) => guards::scan_expr(e, env, types, resolver, edition),
        };
        // A guard on a field of `self` is out of everyone else's reach only while the method
        // holds `self` exclusively.
        let mut_self = self.mut_self.last() == Some(&true);
        self.facts.held_guards.extend(held.into_iter().map(|mut g| {
            g.exclusive_self &= mut_self;
            g
        }));
        if self.async_lock_scan {
            let function = self.current_fn_path();
            let function = function.as_deref();
            let (env, types, resolver) = (&self.env, &self.types, &self.resolver);
            let sites = match body {
                AsyncBody::Block(b) => {
                    guards::scan_async_locks_block(b, env, types, resolver, edition, function)
                }
                AsyncBody::Expr(e) => {
                    guards::scan_async_locks_expr(e, env, types, resolver, edition, function)
                }
            };
            self.facts.async_lock_sites.extend(sites);
        }
        let facts = match body {
            AsyncBody::Block(b) => {
                crate::model::loops::scan_block(b, &self.resolver, &self.knowledge)
            }
            AsyncBody::Expr(e) => {
                crate::model::loops::scan_expr(e, &self.resolver, &self.knowledge)
            }
        };
        self.facts.loops.extend(facts.loops);
        self.facts.sequences.extend(facts.sequences);
        self.facts.paced_bodies.extend(facts.paced_bodies);
    }

    /// An async fn's body, with its `&mut` parameters and mutable bindings, lowered to the IR
    /// (`item` indexes `facts.fn_items`).
    pub(super) fn hand_off_async_fn(
        &mut self,
        sig: &syn::Signature,
        block: &syn::Block,
        item: usize,
    ) {
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
                    let lent = matches!(&*t.ty, syn::Type::Reference(r) if r.mutability.is_some());
                    if lent {
                        mut_params.push(name.ident.to_string());
                    }
                    if lent || name.mutability.is_some() {
                        mut_bindings.push(name.ident.to_string());
                    }
                }
            }
        }
        // Parameters taken by value with no borrow in their type: the body owns them.
        let owned_params: Vec<String> = sig
            .inputs
            .iter()
            .filter_map(|input| match input {
                syn::FnArg::Typed(t) => match &*t.pat {
                    syn::Pat::Ident(name) if !borrows(&t.ty) => Some(name.ident.to_string()),
                    _ => None,
                },
                syn::FnArg::Receiver(_) => None,
            })
            .collect();
        let body = self.facts.ir.bodies.len();
        self.facts.ir.lower_block(
            crate::model::ir::BodyKind::AsyncFn,
            Some(item),
            block,
            mut_params,
            mut_bindings,
            &self.env,
            &self.types,
            &self.resolver,
        );
        if let Some(b) = self.facts.ir.bodies.get_mut(body) {
            b.owned_params = owned_params;
        }
        // A body that mentions none of its inputs is a placeholder (`async fn load(&self, _id:
        // &str) -> Doc { Doc::default() }` in a sketch or a test double): it stands for work it
        // does not show, which may well suspend, so it is not taken as never suspending.
        let inputs: Vec<String> = sig
            .inputs
            .iter()
            .filter_map(|input| match input {
                syn::FnArg::Receiver(_) => Some("self".to_string()),
                syn::FnArg::Typed(t) => match &*t.pat {
                    syn::Pat::Ident(name) => Some(name.ident.to_string()),
                    _ => None,
                },
            })
            .filter(|name| !name.starts_with('_'))
            .collect();
        let ir = &self.facts.ir;
        let uses_an_input = ir
            .blocks
            .iter()
            .filter(|b| b.body == body)
            .flat_map(|b| &b.stmts)
            .filter_map(|&s| ir.stmts.get(s))
            .flat_map(|s| &s.uses)
            .any(|place| {
                let root = place.split(['.', '[']).next().unwrap_or(place);
                inputs.iter().any(|input| input == root)
            });
        // `functions` and `fn_items` are pushed together: `item` indexes both.
        let never_suspends = uses_an_input && self.facts.ir.bodies[body].never_suspends();
        if let Some(f) = self.facts.functions.get_mut(item) {
            f.never_suspends = never_suspends;
        }
    }

    /// Visits call arguments, telling each sync closure where it is written (see
    /// [`closure_context`]): handed to an offloader (`offloads`), or to a call that may run it
    /// elsewhere (`deferred`: its future is awaited, or it stores the closure).
    ///
    /// `combinator`: the callee is a method known to run its closure at once on the caller's
    /// thread (`map`, `and_then`, `for_each`, `get_or_init`, ...). A closure handed to any
    /// other callee is taken to run elsewhere (the `deferred` context) when it is a `move`
    /// closure — it takes ownership because it outlives the call: a file watcher's handler, a
    /// task for a worker pool, a callback kept by a library — or when it calls one of tokio's
    /// `blocking_*` methods, which panic in async code and exist only for sync code. On the
    /// twelve labelled field sets this removed three wrong findings (a notify handler, a
    /// closure sent to a rayon pool, one run by a blocking-task helper) and one noise finding,
    /// and no finding worth acting on.
    pub(super) fn visit_args<'a>(
        &mut self,
        args: impl IntoIterator<Item = &'a syn::Expr>,
        offloads: bool,
        deferred: bool,
        combinator: bool,
        adapter_loop: Option<LoopScope>,
    ) {
        let mut adapter_loop = adapter_loop;
        for arg in args {
            if let syn::Expr::Closure(c) = arg
                && c.asyncness.is_none()
            {
                let deferred = deferred
                    || !combinator && (c.capture.is_some() || calls_sync_only_tokio(&c.body));
                let site = ClosureSite::Argument { offloads, deferred };
                self.closure_site = Some((site, adapter_loop.take()));
            }
            self.visit_expr(arg);
            self.closure_site = None;
        }
    }

    pub(super) fn walk_expr_async(&mut self, a: &syn::ExprAsync) {
        let first_guard = self.facts.held_guards.len();
        self.analyse_guards_block(&a.block);
        if self.polled_apart.on_caller_thread.remove(&addr(a)) {
            for g in &mut self.facts.held_guards[first_guard..] {
                g.on_caller_thread = true;
            }
        }
        let body = self.facts.ir.bodies.len();
        self.facts.ir.lower_block(
            crate::model::ir::BodyKind::AsyncBlock,
            self.fn_stack.last().copied(),
            &a.block,
            Vec::new(),
            Vec::new(),
            &self.env,
            &self.types,
            &self.resolver,
        );
        if let Some(b) = self.facts.ir.bodies.get_mut(body) {
            b.moves = a.capture.is_some();
        }
        let apart = self.polled_apart.blocks.remove(&addr(a));
        self.with_frame(Ctx::Async, Vec::new(), |w| {
            if let Some(frame) = w.frames.last_mut() {
                frame.polled_apart = apart;
            }
            w.visit_block(&a.block)
        });
    }

    pub(super) fn walk_expr_closure(&mut self, c: &syn::ExprClosure) {
        let given = self.closure_site.take();
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
            let (site, adapter_loop) = given.unwrap_or((ClosureSite::Elsewhere, None));
            let ctx = closure_context(site, self.ctx());
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

    pub(super) fn walk_expr_struct(&mut self, e: &syn::ExprStruct) {
        // A closure stored in a struct field (`Hooks { on_exit: move || .. }`) runs wherever the
        // struct's owner calls it, not here.
        for field in &e.fields {
            if self.async_lock_scan {
                self.async_lock_struct_field(e, field);
            }
            if let syn::Expr::Closure(c) = &field.expr
                && c.asyncness.is_none()
            {
                self.closure_site = Some((ClosureSite::StructField, None));
            }
            self.visit_expr(&field.expr);
            self.closure_site = None;
        }
        if let Some(rest) = &e.rest {
            self.visit_expr(rest);
        }
    }
}

/// Whether an expression calls one of tokio's `blocking_*` methods
/// ([`PANICS_IN_ASYNC`](crate::knowledge::blocking::PANICS_IN_ASYNC)) outside nested closures
/// and async blocks.
fn calls_sync_only_tokio(body: &syn::Expr) -> bool {
    struct Finds(bool);
    impl<'ast> Visit<'ast> for Finds {
        fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
            self.0 |= crate::knowledge::blocking::PANICS_IN_ASYNC
                .contains(&m.method.to_string().as_str());
            visit::visit_expr_method_call(self, m);
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut finds = Finds(false);
    finds.visit_expr(body);
    finds.0
}

/// Names of local closures passed to an offloader in a block (`spawn_blocking(load)`), or
/// called only inside a closure passed to one (`spawn_blocking(move || load(path))`): such a
/// closure runs where the offloader runs it. A name also called outside the offloaders'
/// closures (`load(p)` in the async body itself) runs there too, and is left out.
pub(super) struct OffloadedNames<'k>(pub(super) HashSet<String>, pub(super) &'k Knowledge);

impl OffloadedNames<'_> {
    /// Collects the names offloaded in `block`.
    pub(super) fn of_block(block: &syn::Block, knowledge: &Knowledge) -> HashSet<String> {
        let mut finder = OffloadedNames(HashSet::new(), knowledge);
        finder.visit_block(block);
        let mut inline = CalledNames::default();
        inline.visit_block(block);
        let mut names = finder.0;
        names.retain(|n| !inline.0.contains(n));
        names
    }

    /// An offloader's arguments: a closure's name, or the names the closure's body calls.
    fn offloaded_args<'a>(&mut self, args: impl Iterator<Item = &'a syn::Expr>) {
        for arg in args {
            match arg {
                syn::Expr::Closure(c) => {
                    let mut called = CalledNames::default();
                    called.visit_expr(&c.body);
                    self.0.extend(called.0);
                }
                other => self.0.extend(ident_of(other)),
            }
        }
    }
}

impl<'ast> Visit<'ast> for OffloadedNames<'_> {
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if let syn::Expr::Path(p) = &*c.func
            && let Some(last) = p.path.segments.last()
            && self.1.is_offload_fn_name(&last.ident.to_string())
        {
            self.offloaded_args(c.args.iter());
        }
        visit::visit_expr_call(self, c);
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        if self.1.is_offload_method(&m.method.to_string()) {
            self.offloaded_args(m.args.iter());
        }
        visit::visit_expr_method_call(self, m);
    }
}

/// Names called as functions (`load(p)`), outside closures (and async blocks and items).
#[derive(Default)]
struct CalledNames(HashSet<String>);

impl<'ast> Visit<'ast> for CalledNames {
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        self.0.extend(ident_of(&c.func));
        visit::visit_expr_call(self, c);
    }
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

fn ident_of(e: &syn::Expr) -> Option<String> {
    match e {
        syn::Expr::Path(p) => p.path.get_ident().map(ToString::to_string),
        _ => None,
    }
}

/// Whether a parameter's type holds a borrow anywhere (`&mut R`, `Pin<&mut S>`, `Reader<'a>`):
/// the value it reaches outlives the call.
fn borrows(ty: &syn::Type) -> bool {
    use quote::ToTokens;
    let text = ty.to_token_stream().to_string();
    text.contains('&') || text.contains('\'')
}
