//! `connect` calls whose caller handles `EINPROGRESS` on the spot: that error is how connect(2)
//! on a *non-blocking* socket says the connection is under way, so the socket was made
//! non-blocking, perhaps in a helper the call site does not show
//! (`let socket = self.config.create_socket(addr)?` whose body calls `set_nonblocking(true)`).
//! Read by `blocking_in_async` through [`FileModel::non_waiting_calls`](crate::model::FileModel::non_waiting_calls).
//!
//! Handled on the spot: the call is the scrutinee of a `match` (alone or in a tuple) one of
//! whose arms names `EINPROGRESS`, or of an `if let Err(e) = sock.connect(..)` whose body
//! does. A file that handles it for one socket says nothing about another.

use syn::visit::{self, Visit};

use crate::knowledge::blocking::{CONNECT_METHOD, IN_PROGRESS_ERRNO};
use crate::model::Loc;

/// The locations of `connect` calls handled as in progress (as [`Loc::method_call`]).
///
/// ```
/// use asyncwise_lint::model::analysis::in_progress::handled_connects;
/// let f: syn::File = syn::parse_str(
///     "fn f(s: S) { match s.connect(a) { Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {} _ => {} } }",
/// )
/// .unwrap();
/// assert_eq!(handled_connects(&f).len(), 1);
/// ```
pub fn handled_connects(file: &syn::File) -> Vec<Loc> {
    let mut v = Visitor { found: Vec::new() };
    v.visit_file(file);
    v.found
}

struct Visitor {
    found: Vec<Loc>,
}

impl<'ast> Visit<'ast> for Visitor {
    fn visit_expr_match(&mut self, m: &'ast syn::ExprMatch) {
        if m.arms
            .iter()
            .any(|arm| names_in_progress(quote::quote!(#arm)))
        {
            self.note_connects(&m.expr);
        }
        visit::visit_expr_match(self, m);
    }

    fn visit_expr_if(&mut self, i: &'ast syn::ExprIf) {
        if let syn::Expr::Let(l) = &*i.cond {
            let then = &i.then_branch;
            if names_in_progress(quote::quote!(#then)) {
                self.note_connects(&l.expr);
            }
        }
        visit::visit_expr_if(self, i);
    }
}

impl Visitor {
    /// A `connect` call as the scrutinee, alone or an element of a tuple.
    fn note_connects(&mut self, scrutinee: &syn::Expr) {
        match scrutinee {
            syn::Expr::MethodCall(m) if m.method == CONNECT_METHOD => {
                self.found.push(Loc::method_call(m));
            }
            syn::Expr::Tuple(t) => t.elems.iter().for_each(|e| self.note_connects(e)),
            syn::Expr::Paren(p) => self.note_connects(&p.expr),
            _ => {}
        }
    }
}

/// Do the tokens name `EINPROGRESS` (libc's, nix's `Errno::EINPROGRESS`)?
fn names_in_progress(tokens: proc_macro2::TokenStream) -> bool {
    crate::model::tokens::names_ident(tokens, IN_PROGRESS_ERRNO)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(src: &str) -> Vec<usize> {
        handled_connects(&syn::parse_str(src).expect("test source parses"))
            .into_iter()
            .map(|l| l.start.0)
            .collect()
    }

    #[test]
    fn a_connect_whose_in_progress_result_is_handled_on_the_spot() {
        let src = "fn f() {\n    let s = mk()?;\n    match (s.connect(&a), b) {\n        (Err(e), _) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}\n        _ => {}\n    }\n    if let Err(e) = t.connect(&a) {\n        if e.raw_os_error() != Some(libc::EINPROGRESS) { return; }\n    }\n}";
        assert_eq!(lines(src), vec![3, 7]);
    }

    #[test]
    fn a_connect_handled_otherwise_or_elsewhere_is_not() {
        let src = "fn f() {\n    s.connect(&a)?;\n    match u.connect(&a) { Ok(()) => {}, Err(e) => return }\n    match v.read() { Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {} _ => {} }\n}";
        assert!(lines(src).is_empty());
    }
}
