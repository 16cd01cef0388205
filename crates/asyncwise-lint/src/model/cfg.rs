//! `#[cfg(..)]` predicates as the model records them (as written, whitespace removed), and
//! when two sets of them can never hold together. Used to keep a call compiled under one
//! predicate from reaching a helper's blocking call compiled only under its negation.

/// Whether code compiled under the `#[cfg(..)]` predicates `a` and code compiled under `b`
/// are never compiled together: one holds a predicate whose `not(..)` the other holds
/// (predicates as written, whitespace removed).
///
/// ```
/// use asyncwise_lint::model::cfg::excludes;
/// let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
/// assert!(excludes(&s(&["not(unix)"]), &s(&["unix"])));
/// assert!(excludes(&s(&["windows"]), &s(&["feature=\"x\"", "not(windows)"])));
/// assert!(!excludes(&s(&["unix"]), &s(&["unix"])));
/// assert!(!excludes(&s(&["windows"]), &s(&["unix"])));
/// assert!(!excludes(&[], &s(&["unix"])));
/// ```
pub fn excludes(a: &[String], b: &[String]) -> bool {
    let negates = |x: &str, y: &str| {
        x.strip_prefix("not(")
            .and_then(|rest| rest.strip_suffix(')'))
            .is_some_and(|inner| inner == y)
    };
    a.iter()
        .any(|x| b.iter().any(|y| negates(x, y) || negates(y, x)))
}

/// The `#[cfg(..)]` predicates written on a statement, whitespace removed.
pub(crate) fn of_stmt(s: &syn::Stmt) -> Vec<String> {
    let attrs: &[syn::Attribute] = match s {
        syn::Stmt::Local(l) => &l.attrs,
        syn::Stmt::Macro(m) => &m.attrs,
        syn::Stmt::Expr(e, _) => match e {
            syn::Expr::Block(b) => &b.attrs,
            syn::Expr::Call(c) => &c.attrs,
            syn::Expr::MethodCall(m) => &m.attrs,
            syn::Expr::If(i) => &i.attrs,
            syn::Expr::Match(m) => &m.attrs,
            syn::Expr::Try(t) => &t.attrs,
            syn::Expr::Unsafe(u) => &u.attrs,
            _ => &[],
        },
        syn::Stmt::Item(_) => &[],
    };
    attrs
        .iter()
        .filter(|a| a.path().is_ident("cfg"))
        .filter_map(|a| a.meta.require_list().ok())
        .map(|l| l.tokens.to_string().split_whitespace().collect())
        .collect()
}
