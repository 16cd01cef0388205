//! State-changing calls of an async body, in order (`c.fetch_add(..)`, `metrics::inc_open()`,
//! by the knowledge's cleanup methods, also behind `.unwrap()`/`.ok()`), and whether the `if`
//! around one reads the same state first (`if busy.load(..) == 0 { busy.fetch_add(..) }`).
//! The body scan collects them with the body's awaits and early exits into a
//! [`SequenceFact`](super::SequenceFact).

use syn::visit::{self, Visit};

use super::super::Loc;
use super::{BodyScan, StateCall, place};

impl BodyScan<'_> {
    /// `recv.method(args);`, `let _ = recv.method(args);`, also behind `.unwrap()`/`.ok()`.
    pub(super) fn state_call(&self, stmt: &syn::Stmt) -> Option<StateCall> {
        let expr = match stmt {
            syn::Stmt::Expr(e, _) => e,
            syn::Stmt::Local(l) if matches!(l.pat, syn::Pat::Wild(_)) => &l.init.as_ref()?.expr,
            _ => return None,
        };
        if let syn::Expr::Call(c) = expr
            && let syn::Expr::Path(p) = &*c.func
            && let Some(last) = p.path.segments.last()
        {
            let name = last.ident.to_string();
            if !self.knowledge.is_cleanup_method(&name) {
                return None;
            }
            // The helper's module as written (`metrics`, `crate::utils::vitals`).
            let segments = &p.path.segments;
            let receiver = segments
                .iter()
                .take(segments.len() - 1)
                .map(|s| s.ident.to_string())
                .collect::<Vec<_>>()
                .join("::");
            return Some(StateCall {
                method: name,
                checked: self.read_places.contains(&receiver),
                receiver,
                first_arg: c.args.first().map(place),
                loc: Loc::call(c),
                branches: self.branches.clone(),
                on_error: self.error_arms > 0,
                path_end: self.path_end,
            });
        }
        let mut e = expr;
        loop {
            let syn::Expr::MethodCall(m) = e else {
                return None;
            };
            let method = m.method.to_string();
            if self.knowledge.is_cleanup_method(&method) {
                let receiver = place(&m.receiver);
                return Some(StateCall {
                    method,
                    checked: self.read_places.contains(&receiver),
                    receiver,
                    first_arg: m.args.first().map(place),
                    loc: Loc::method_call(m),
                    branches: self.branches.clone(),
                    on_error: self.error_arms > 0,
                    path_end: self.path_end,
                });
            }
            if !(self.knowledge.is_unwrap_like(&method) || method == "ok") {
                return None;
            }
            e = &m.receiver;
        }
    }
}

/// Whether a pattern matches a failure: it names `Err` anywhere (`Err(e)`, `Ok(Err(e))`,
/// `Err(_) | Ok(None)`).
pub(super) fn matches_error(pat: &syn::Pat) -> bool {
    names_variant(pat, "Err")
}

/// Whether a pattern matches a success: it names `Ok` (`Ok(v)`, `Ok(())`).
pub(super) fn matches_ok(pat: &syn::Pat) -> bool {
    names_variant(pat, "Ok")
}

/// Whether a path anywhere in the pattern ends in `variant`.
fn names_variant(pat: &syn::Pat, variant: &str) -> bool {
    struct Names<'v>(&'v str, bool);
    impl<'ast> Visit<'ast> for Names<'_> {
        fn visit_path(&mut self, p: &'ast syn::Path) {
            if p.segments.last().is_some_and(|s| s.ident == self.0) {
                self.1 = true;
            }
        }
    }
    let mut n = Names(variant, false);
    n.visit_pat(pat);
    n.1
}

/// Which branch of an `if` runs on a failure: `Some(true)` for the `then` branch of
/// `if let Err(e) = ..` and `if r.is_err()`, `Some(false)` for the `else` branch of
/// `if let Ok(..) = ..` and `if r.is_ok()`.
pub(super) fn error_branch(cond: &syn::Expr) -> Option<bool> {
    match cond {
        syn::Expr::Let(l) if matches_error(&l.pat) => Some(true),
        syn::Expr::Let(l) => {
            let syn::Pat::TupleStruct(t) = &*l.pat else {
                return None;
            };
            t.path
                .segments
                .last()
                .is_some_and(|s| s.ident == "Ok")
                .then_some(false)
        }
        syn::Expr::MethodCall(m) if m.args.is_empty() && m.method == "is_err" => Some(true),
        syn::Expr::MethodCall(m) if m.args.is_empty() && m.method == "is_ok" => Some(false),
        _ => None,
    }
}

/// Methods that read a state's value without changing it: an atomic's `load`, a `Cell`'s or
/// a gauge's `get`.
const STATE_READS: &[&str] = &["load", "get"];

/// The receivers of [`STATE_READS`] calls in an expression (an `if` condition).
pub(super) struct ReadPlaces(pub(super) Vec<String>);

impl<'ast> Visit<'ast> for ReadPlaces {
    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        if STATE_READS.contains(&m.method.to_string().as_str()) {
            self.0.push(place(&m.receiver));
        }
        visit::visit_expr_method_call(self, m);
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::model;
    #[test]
    fn state_calls_and_awaits_of_one_body_in_order() {
        let (_, seqs) = model(
            "async fn f() { c.fetch_add(1, R); if x { metrics::inc_open(); } work().await; c.fetch_sub(1, R); let _g = guard(|| c.fetch_sub(1, R)); }",
        );
        let calls: Vec<_> = seqs[0]
            .calls
            .iter()
            .map(|c| (c.receiver.as_str(), c.method.as_str()))
            .collect();
        assert_eq!(
            calls,
            [
                ("c", "fetch_add"),
                ("metrics", "inc_open"),
                ("c", "fetch_sub")
            ]
        );
        assert_eq!(seqs[0].awaits.len(), 1);
    }

    #[test]
    fn a_state_call_under_an_if_that_reads_its_receiver_is_checked() {
        let (_, seqs) = model(
            "async fn f() { if B.load(R) == 0 { B.fetch_add(1, R); } menu().await; \
             if ready { B.fetch_sub(1, R); } if other.get() { B.fetch_sub(1, R); } \
             if B.load(R) == 1 { log(); } else { B.fetch_sub(1, R); } B.fetch_sub(1, R); }",
        );
        let checked: Vec<_> = seqs[0].calls.iter().map(|c| c.checked).collect();
        assert_eq!(checked, [true, false, false, true, false]);
    }
}
