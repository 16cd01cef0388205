//! Whether a loop's failure path skips the loop's delays: a periodic loop (`loop { let x =
//! match poll().await { Ok(x) => x, Err(e) => { warn!(..); continue } }; ..; sleep(d).await;
//! }`) whose `Err` arm goes back to the head with `continue`, past the sleep at the end of the
//! body. Read by `retry_without_backoff` through
//! [`LoopFact::fails_past_delays`](super::LoopFact::fails_past_delays).

use syn::visit::{self, Visit};

use super::super::Loc;
use super::super::resolve::Resolver;
use super::pacing::paces;
use super::visit_macro_code;
use crate::knowledge::Knowledge;
use crate::knowledge::macros as macro_kinds;

/// The iteration's first awaited call, when its failure path is a `continue` of this loop that
/// nothing before it paces: no delay or attempt bound in the header, in the statements before
/// it, or in its `Err` arm, and no other await before it (an earlier await, a `recv` or a
/// `pop`, may be what paces the loop). Statements after it are skipped by the `continue`, so
/// a delay there runs only on the success path.
pub(super) fn fails_past_delays(
    resolver: &Resolver,
    knowledge: &Knowledge,
    label: Option<&str>,
    header: Option<&syn::Expr>,
    body: &syn::Block,
) -> Option<Loc> {
    if header.is_some_and(|h| awaits(|v| v.visit_expr(h))) {
        return None;
    }
    let i = body
        .stmts
        .iter()
        .position(|s| awaits(|v| v.visit_stmt(s)))?;
    let (call, arm) = error_arm(&body.stmts[i])?;
    if !arm.continues(label) {
        return None;
    }
    let paced = paces(resolver, knowledge, |p| {
        if let Some(h) = header {
            p.visit_expr(h);
        }
        body.stmts[..i].iter().for_each(|s| p.visit_stmt(s));
        match arm {
            Arm::Expr(e) => p.visit_expr(e),
            Arm::Block(b) => p.visit_block(b),
        }
    });
    (!paced).then_some(call)
}

/// The code a failure runs.
#[derive(Clone, Copy)]
enum Arm<'a> {
    Expr(&'a syn::Expr),
    Block(&'a syn::Block),
}

impl Arm<'_> {
    /// Whether it ends by going back to this loop's head (`continue`, or `continue 'label`
    /// naming this loop).
    fn continues(self, label: Option<&str>) -> bool {
        let last = match self {
            Arm::Expr(syn::Expr::Block(b)) => return Arm::Block(&b.block).continues(label),
            Arm::Expr(e) => e,
            Arm::Block(b) => match b.stmts.last() {
                Some(syn::Stmt::Expr(e, _)) => e,
                _ => return false,
            },
        };
        match last {
            syn::Expr::Continue(c) => match &c.label {
                None => true,
                Some(l) => Some(l.ident.to_string().as_str()) == label,
            },
            syn::Expr::Block(b) => Arm::Block(&b.block).continues(label),
            _ => false,
        }
    }
}

/// The awaited call a statement examines and the code its failure runs: the `Err` arm of a
/// `match` on it (as a statement or a `let`'s value), the `else` of `let Ok(..) = .. else`,
/// or the block of `if let Err(..) = ..`.
fn error_arm(s: &syn::Stmt) -> Option<(Loc, Arm<'_>)> {
    let e = match s {
        syn::Stmt::Local(l) => {
            let init = l.init.as_ref()?;
            if let Some((_, els)) = &init.diverge {
                return Some((awaited_call(&init.expr)?, Arm::Expr(els)));
            }
            &*init.expr
        }
        syn::Stmt::Expr(e, _) => e,
        _ => return None,
    };
    match e {
        syn::Expr::Match(m) => {
            let call = awaited_call(&m.expr)?;
            let arm = m.arms.iter().find(|a| is_err_pat(&a.pat))?;
            Some((call, Arm::Expr(&arm.body)))
        }
        syn::Expr::If(i) => match &*i.cond {
            syn::Expr::Let(l) if is_err_pat(&l.pat) => {
                Some((awaited_call(&l.expr)?, Arm::Block(&i.then_branch)))
            }
            _ => None,
        },
        _ => None,
    }
}

/// `Err(..)`, also `Ok(Err(..))` of a nested result.
fn is_err_pat(p: &syn::Pat) -> bool {
    let syn::Pat::TupleStruct(t) = p else {
        return false;
    };
    match t
        .path
        .segments
        .last()
        .map(|s| s.ident.to_string())
        .as_deref()
    {
        Some("Err") => true,
        Some("Ok") => t.elems.len() == 1 && t.elems.first().is_some_and(is_err_pat),
        _ => false,
    }
}

/// `call(..).await` (through parentheses): the call's location.
fn awaited_call(e: &syn::Expr) -> Option<Loc> {
    match e {
        syn::Expr::Await(a) => match &*a.base {
            syn::Expr::Call(c) => Some(Loc::call(c)),
            syn::Expr::MethodCall(m) => Some(Loc::method_call(m)),
            _ => None,
        },
        syn::Expr::Paren(p) => awaited_call(&p.expr),
        _ => None,
    }
}

/// Whether the code `visit` shows awaits (an `.await`, or an awaiting macro such as
/// `select!`), outside closures, async blocks and items.
fn awaits(visit: impl FnOnce(&mut AwaitFinder)) -> bool {
    let mut f = AwaitFinder(false);
    visit(&mut f);
    f.0
}

struct AwaitFinder(bool);

impl<'ast> Visit<'ast> for AwaitFinder {
    fn visit_expr_await(&mut self, a: &'ast syn::ExprAwait) {
        self.0 = true;
        visit::visit_expr_await(self, a);
    }
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if macro_kinds::AWAITING_MACROS.contains(&super::super::macros::name(mac).as_str()) {
            self.0 = true;
        }
        visit_macro_code(self, mac);
    }
    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

#[cfg(test)]
mod tests {
    use super::super::tests::model;

    fn skips(src: &str) -> bool {
        model(src).0[0].fails_past_delays.is_some()
    }

    #[test]
    fn a_continue_past_the_closing_sleep_skips_it() {
        assert!(skips(
            "async fn f() { loop { let x = match poll().await { Ok(x) => x, Err(e) => { warn(e); continue; } }; use_it(x); tokio::time::sleep(D).await; } }"
        ));
        assert!(skips(
            "async fn f() { loop { if let Err(e) = poll().await { continue } tokio::time::sleep(D).await; } }"
        ));
        assert!(skips(
            "async fn f() { loop { let Ok(x) = poll().await else { continue }; tokio::time::sleep(D).await; } }"
        ));
    }

    #[test]
    fn a_delay_before_the_call_or_in_the_err_arm_paces_the_failure_path() {
        assert!(!skips(
            "async fn f() { loop { tokio::time::sleep(D).await; let x = match poll().await { Ok(x) => x, Err(_) => continue }; use_it(x); } }"
        ));
        assert!(!skips(
            "async fn f() { loop { let x = match poll().await { Ok(x) => x, Err(_) => { tokio::time::sleep(D).await; continue } }; use_it(x); } }"
        ));
        assert!(!skips(
            "async fn f() { loop { let x = match poll().await { Ok(x) => x, Err(_) => break }; tokio::time::sleep(D).await; } }"
        ));
        // An earlier await (a receive) may be what paces the loop.
        assert!(!skips(
            "async fn f() { loop { let job = rx.recv().await; if let Err(_) = run(job).await { continue } tokio::time::sleep(D).await; } }"
        ));
    }
}
