//! One loop iteration's awaited calls (name, resolved path, receiver place, the names they
//! bind and use, whether in the loop's header or a nested loop, and their [`Outcome`]s from
//! [`outcomes`](super::super::analysis::outcomes)), its `let`s, and where it leaves the loop. Other bodies
//! (closures, async blocks, items) are left out.

use syn::visit::{self, Visit};

use super::super::Loc;
use super::super::analysis::outcomes::Annotated;
use super::super::resolve::Resolver;
use super::{
    AwaitedCall, LetFact, LoopAwait, Outcome, names_used, pat_names, place, visit_macro_code,
};
use crate::knowledge::{Knowledge, cancel_safety, pacing};

/// Collects the awaited calls and `let`s of one loop's iteration.
pub(super) struct IterationScan<'a> {
    pub(super) resolver: &'a Resolver,
    pub(super) knowledge: &'a Knowledge,
    /// Spawn calls made by the iteration (a spawn function, or a spawn-like method such as
    /// `handle.spawn(..)`, `set.spawn(..)`), outside closures and async blocks.
    pub(super) spawns: Vec<Loc>,
    /// The scanned loop's label.
    pub(super) label: Option<&'a str>,
    pub(super) leaves: Vec<Loc>,
    /// Names bound by the `let`s whose initialisers are being visited, innermost last.
    pub(super) let_binds: Vec<Vec<String>>,
    pub(super) outcomes: &'a [Annotated],
    pub(super) awaits: Vec<LoopAwait>,
    pub(super) lets: Vec<LetFact>,
    /// Loops entered inside the scanned one.
    pub(super) depth: usize,
    pub(super) in_header: bool,
}

impl IterationScan<'_> {
    fn awaited(&mut self, base: &syn::Expr) {
        let (name, path, receiver, arg_count, loc, uses, raced) = match base {
            syn::Expr::Call(c) => {
                let syn::Expr::Path(p) = &*c.func else { return };
                let Some(last) = p.path.segments.last() else {
                    return;
                };
                let mut uses = Vec::new();
                for a in &c.args {
                    uses.extend(names_used(a));
                }
                let path = self.resolver.resolve(&p.path);
                let raced = cancel_safety::timeout_future_argument(&path)
                    .and_then(|arg| c.args.iter().nth(arg))
                    .and_then(called_name);
                (
                    last.ident.to_string(),
                    Some(path),
                    None,
                    c.args.len(),
                    Loc::call(c),
                    uses,
                    raced,
                )
            }
            syn::Expr::MethodCall(m) => {
                let mut uses = names_used(&m.receiver);
                for a in &m.args {
                    uses.extend(names_used(a));
                }
                let raced = cancel_safety::TIMEOUT_METHODS
                    .iter()
                    .any(|t| m.method == t)
                    .then(|| called_name(&m.receiver))
                    .flatten();
                (
                    m.method.to_string(),
                    None,
                    Some(place(&m.receiver)),
                    m.args.len(),
                    Loc::method_call(m),
                    uses,
                    raced,
                )
            }
            syn::Expr::Paren(p) => return self.awaited(&p.expr),
            _ => return,
        };
        let annotated = self.outcomes.iter().find(|a| a.call == loc);
        // `let conn = match listener.accept().await { Ok((s, _)) => s, .. }`: the result
        // reaches the `let`'s names too.
        let mut binds = annotated.map(|a| a.binds.clone()).unwrap_or_default();
        for name in self.let_binds.last().into_iter().flatten() {
            if !binds.contains(name) {
                binds.push(name.clone());
            }
        }
        self.awaits.push(LoopAwait {
            call: AwaitedCall {
                name,
                path,
                receiver,
                arg_count,
                raced,
                loc,
            },
            in_header: self.in_header,
            nested: self.depth > 0,
            binds,
            uses,
            on_success: annotated.map_or(Outcome::Unknown, |a| a.on_success),
            on_error: annotated.map_or(Outcome::Unknown, |a| a.on_error),
        });
    }

    fn nested(&mut self, f: impl FnOnce(&mut Self)) {
        self.depth += 1;
        f(self);
        self.depth -= 1;
    }
}

/// The method's name or the function's last path segment of a call expression (through
/// parentheses): `tx.send(conn)` → `send`.
fn called_name(e: &syn::Expr) -> Option<String> {
    match e {
        syn::Expr::MethodCall(m) => Some(m.method.to_string()),
        syn::Expr::Call(c) => match &*c.func {
            syn::Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        },
        syn::Expr::Paren(p) => called_name(&p.expr),
        _ => None,
    }
}

impl<'ast> Visit<'ast> for IterationScan<'_> {
    fn visit_expr_await(&mut self, a: &'ast syn::ExprAwait) {
        self.awaited(&a.base);
        visit::visit_expr_await(self, a);
    }

    fn visit_expr_break(&mut self, b: &'ast syn::ExprBreak) {
        let ours = b.label.as_ref().map(|l| l.ident.to_string());
        if self.depth == 0 && b.label.is_none()
            || ours.as_deref().is_some_and(|l| Some(l) == self.label)
        {
            self.leaves.push(Loc::from_span(b.break_token.span));
        }
        visit::visit_expr_break(self, b);
    }

    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if let syn::Expr::Path(p) = &*c.func
            && self.knowledge.is_spawn_fn(&self.resolver.resolve(&p.path))
        {
            self.spawns.push(Loc::call(c));
        }
        visit::visit_expr_call(self, c);
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        if pacing::SPAWN_LIKE_METHODS.contains(&m.method.to_string().as_str()) {
            self.spawns.push(Loc::method_call(m));
        }
        visit::visit_expr_method_call(self, m);
    }

    fn visit_expr_return(&mut self, r: &'ast syn::ExprReturn) {
        self.leaves.push(Loc::from_span(r.return_token.span));
        visit::visit_expr_return(self, r);
    }

    fn visit_local(&mut self, l: &'ast syn::Local) {
        if let Some(init) = &l.init {
            self.lets.push(LetFact {
                binds: pat_names(&l.pat),
                uses: names_used(&init.expr),
                loc: Loc::of(&l.let_token),
            });
            self.let_binds.push(pat_names(&l.pat));
            visit::visit_local(self, l);
            self.let_binds.pop();
            return;
        }
        visit::visit_local(self, l);
    }

    fn visit_expr_loop(&mut self, l: &'ast syn::ExprLoop) {
        self.nested(|s| visit::visit_expr_loop(s, l));
    }

    fn visit_expr_while(&mut self, w: &'ast syn::ExprWhile) {
        self.nested(|s| visit::visit_expr_while(s, w));
    }

    fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
        self.nested(|s| visit::visit_expr_for_loop(s, f));
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        visit_macro_code(self, mac);
    }

    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

#[cfg(test)]
mod tests {
    use super::super::tests::model;
    #[test]
    fn closures_and_async_blocks_are_other_bodies() {
        let (loops, _) = model(
            "async fn f() { loop { let (s, _) = l.accept().await?; tokio::spawn(async move { serve(s).await }); } }",
        );
        let names: Vec<_> = loops[0]
            .awaits
            .iter()
            .map(|a| a.call.name.as_str())
            .collect();
        assert_eq!(names, ["accept"]);
        assert_eq!(loops[0].awaits[0].binds, ["s"]);
    }
}
