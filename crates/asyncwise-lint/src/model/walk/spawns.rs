//! Spawns and the loops they sit in: each spawn call becomes a [`SpawnFact`] whose loop bound
//! ([`bounds`]) and failure ([`failure`]) are asked of the analyses, from the enclosing loops
//! ([`LoopScope`]s of `for`, `while`, `loop` and per-element iterator closures) and the
//! statements after the loop (are its tasks joined?), which the block walk keeps as
//! [`AfterStmt`].

use std::rc::Rc;

use syn::visit::{self, Visit};

use super::super::analysis::bounds::{self, Iterations, LoopScope, SpawnSite};
use super::super::analysis::failure::{self, BodyFailure, Ending};
use super::super::tokens::TokenFacts;
use super::super::{Callee, Ctx, Loc, SpawnFact, Ty};
use super::Walker;

/// The statements after the one being visited, as tokens and as facts.
pub(super) struct AfterStmt {
    pub(super) tokens: proc_macro2::TokenStream,
    pub(super) facts: TokenFacts,
    /// The statement is an `if`, `match` or block: what follows it also follows the
    /// statements of its branches.
    pub(super) branches: bool,
}

/// Blocks with more loop statements than this are not searched for joins after each loop (the
/// search re-reads the rest of the block per loop).
pub(super) const MAX_LOOPS_PER_BLOCK: usize = 16;

/// The statements after `stmts[i]`; when `stmts[i]`'s block is a branch of a statement that
/// holds a loop (`outer` says so), the statements after that one follow too.
pub(super) fn after_stmt(
    stmts: &[syn::Stmt],
    i: usize,
    outer: Option<&Rc<AfterStmt>>,
) -> Rc<AfterStmt> {
    let stmt = &stmts[i];
    let mut tokens = proc_macro2::TokenStream::new();
    for s in &stmts[i + 1..] {
        quote::ToTokens::to_tokens(s, &mut tokens);
    }
    if let Some(outer) = outer.filter(|a| a.branches) {
        tokens.extend(outer.tokens.clone());
    }
    let branches = matches!(stmt, syn::Stmt::Expr(e, _) if bounds::branches_hold_loop(e));
    Rc::new(AfterStmt {
        facts: TokenFacts::of(tokens.clone()),
        tokens,
        branches,
    })
}

impl Walker {
    pub(super) fn spawn_fact(
        &mut self,
        node_addr: usize,
        loc: Loc,
        via: String,
        future: Option<&syn::Expr>,
        owned: bool,
    ) {
        // `tokio::spawn({ let tx = tx.clone(); async move { .. } })`: the block runs at the
        // spawn, and the task is its value.
        let future = future.map(crate::model::analysis::failure::spawned_value);
        // A sync `poll_*` method's own body, also when it is a polled trait's and so async
        // context (not an async block inside it).
        let sync_fn_frame = self
            .fn_stack
            .last()
            .is_some_and(|&f| !self.facts.fn_items[f].is_async)
            && self.startup.body_depth() == Some(self.frames.len());
        let in_poll_fn = self
            .startup
            .current_name()
            .is_some_and(|name| name.starts_with("poll_"))
            && (self.ctx() == Ctx::Sync || sync_fn_frame);
        let site = SpawnSite {
            loc,
            via: &via,
            loops: &self.frame().loops,
            awaited: self.uses.is_awaited(node_addr),
            handle: self.uses.bound_name(node_addr),
            future,
            in_poll_fn,
            leaves_after: self.scope.leaves_after_stmt,
        };
        let in_loop = bounds::spawn_loop(&site, &self.knowledge);
        // `let fut = async move { .. }; tokio::spawn(fut)`: what was learnt about the binding.
        let failure = match future {
            Some(syn::Expr::Path(p)) => p
                .path
                .get_ident()
                .and_then(|name| {
                    self.scope
                        .bound_futures
                        .iter()
                        .rev()
                        .find(|(n, _)| name == n)
                })
                .map_or_else(BodyFailure::default, |(_, f)| f.clone()),
            Some(f) => {
                let mut failure = failure::of_future_in(f, &self.knowledge, Some(&self.resolver));
                self.qualify_method_ending(f, &mut failure);
                failure
            }
            None => BodyFailure::default(),
        };
        let discarded = self.uses.is_discarded(node_addr);
        let in_drop = self.items.in_drop_impl
            && self
                .current_fn_path()
                .is_some_and(|path| path.ends_with("::drop"));
        self.facts.spawns.push(SpawnFact {
            loc,
            via,
            ctx: self.ctx(),
            in_loop,
            discarded,
            owned,
            failure,
            in_drop,
            ends_in_other_crate: future
                .and_then(|f| failure::other_crate_ending(f, &self.knowledge, &self.resolver)),
        });
    }

    /// `tokio::spawn(doorkeeper.run())`, `async move { worker.run().await }`: when the spawned
    /// body ends in a method call on a receiver of a known type, only that type's methods (or
    /// a trait's default ones) can be the call, not every method of the crate with that name.
    /// A bare function name is qualified by the module its import names.
    pub(super) fn qualify_method_ending(&self, future: &syn::Expr, failure: &mut BodyFailure) {
        // `self.peer().await?`, `Self::peer(..).await?`: the impl's own type; outside an impl,
        // no function of the crate, so the `?` is silent.
        for (point, call) in std::mem::take(&mut failure.logged_if) {
            match self.qualify_self(call) {
                Some(call) => failure.logged_if.push((point, call)),
                None => {
                    failure.error.get_or_insert(point);
                }
            }
        }
        if failure.error.is_some() {
            // An unconditionally silent exit decides; earlier conditional ones add nothing.
            failure.logged_if.clear();
        }
        let Ending::InCall(call) = &mut failure.ends else {
            return;
        };
        if call.qualifier.as_deref() == Some("Self") {
            // `Self::handle(conn)`: the impl's own type.
            call.qualifier = self
                .items
                .impl_owner
                .as_deref()
                .map(|owner| owner.rsplit("::").next().unwrap_or(owner).to_string());
            return;
        }
        if call.qualifier.is_some() {
            return;
        }
        let tail = match future {
            syn::Expr::Async(a) => match a.block.stmts.last() {
                Some(syn::Stmt::Expr(syn::Expr::Await(aw), None)) => &*aw.base,
                _ => return,
            },
            other => other,
        };
        if !call.method_call {
            // `handle(conn)` names the function the file's `use`s bring in from another module
            // of the crate (`use crate::conn::handle;`), not every free fn of the crate with
            // that name. A function of another crate of the workspace keeps its name only: its
            // package's modules may re-export it under other paths.
            if let syn::Expr::Call(c) = tail
                && let syn::Expr::Path(p) = &*c.func
                && p.path.segments.len() == 1
                && let Some(own) = failure::crate_fn(&p.path, Some(&self.resolver))
            {
                // The crate root's own module says no more than no qualifier at all.
                call.qualifier = own.qualifier.filter(|q| q != "crate");
                call.name = own.name;
            }
            return;
        }
        let syn::Expr::MethodCall(m) = tail else {
            return;
        };
        if m.method != call.name.as_str() {
            return;
        }
        let receiver = self.infer(&m.receiver);
        if let Some(path) = receiver.path().filter(|p| p.starts_with("crate::")) {
            call.qualifier = path.rsplit("::").next().map(str::to_string);
        } else if let Some(name) = receiver.path().filter(|p| is_bare_type_name(p)) {
            // A type this file names but does not resolve (brought in by a glob import such as
            // `pub use session::*;`, or a generic parameter): its name, held loosely.
            call.qualifier = Some(name.to_string());
            call.qualifier_by_name = true;
        }
    }

    pub(super) fn loop_scope(
        &self,
        node: &impl quote::ToTokens,
        loc: Loc,
        kind: &'static str,
        iterations: Iterations,
        chunked: bool,
    ) -> LoopScope {
        LoopScope::new(node, loc, kind, iterations, chunked).joined_by(
            self.scope.after_stmt.as_ref().map(|after| &after.facts),
            self.scope.stmt_binding.as_deref(),
            &self.knowledge,
        )
    }

    pub(super) fn walk_expr_for_loop(&mut self, f: &syn::ExprForLoop) {
        self.visit_expr(&f.expr);
        let iter_ty = self.infer(&f.expr);
        // `for entry in dir.read_dir()? { entry?.path() }`: the items of a known iterator.
        let item_ty = match &iter_ty {
            // Iterating what only the crate pass types (`for d in cache_dir()?.read_dir()?`).
            Ty::Field { .. } | Ty::Chain(_) => {
                crate::model::TyChain::then(&iter_ty, crate::model::ChainStep::Item)
            }
            _ => iter_ty
                .path()
                .and_then(crate::knowledge::types::iterated_item)
                .map_or(Ty::Unknown, |item| Ty::Named(item.to_string())),
        };
        self.record_call(
            Callee::Iterate { receiver: iter_ty },
            Loc::expr(&f.expr),
            false,
        );
        let info = self.loop_scope(
            f,
            Loc::from_span(f.for_token.span),
            bounds::FOR_LOOP,
            bounds::iterations(&f.expr, &self.scope.constant_names),
            bounds::is_chunked(&f.expr),
        );
        self.env.push();
        self.env
            .bind_pat(&f.pat, item_ty, &self.types, &self.resolver);
        self.with_loop(info, |w| w.visit_block(&f.body));
        self.env.pop();
    }

    pub(super) fn walk_expr_while(&mut self, wl: &syn::ExprWhile) {
        let info = self.loop_scope(
            wl,
            Loc::from_span(wl.while_token.span),
            "`while` loop",
            Iterations::Unknown,
            false,
        );
        self.with_loop(info, |w| visit::visit_expr_while(w, wl));
    }

    pub(super) fn walk_expr_loop(&mut self, l: &syn::ExprLoop) {
        let info = self.loop_scope(
            l,
            Loc::from_span(l.loop_token.span),
            "`loop`",
            Iterations::Unknown,
            false,
        );
        self.with_loop(info, |w| visit::visit_expr_loop(w, l));
    }
}

impl Walker {
    /// A call named with the qualifier `Self` (`Self::peer(..)`, `self.peer()`) names the
    /// function of the enclosing `impl`'s type; outside an `impl`, none (`None`).
    pub(super) fn qualify_self(
        &self,
        mut call: crate::facts::FnRef,
    ) -> Option<crate::facts::FnRef> {
        if call.qualifier.as_deref() == Some("Self") {
            let owner = self.items.impl_owner.as_deref()?;
            call.qualifier = Some(owner.rsplit("::").next().unwrap_or(owner).to_string());
        }
        Some(call)
    }
}

/// A type written as one capitalised name that no import resolved (`Session`), as opposed to a
/// library path (`tokio::net::TcpStream`) or a prelude type.
fn is_bare_type_name(path: &str) -> bool {
    !path.contains("::") && path.starts_with(char::is_uppercase)
}
