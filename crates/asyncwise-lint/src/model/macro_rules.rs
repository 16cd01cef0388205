//! Lock calls written inside `macro_rules!` bodies.
//!
//! A macro body is a token pattern, not code: its lock sites cannot be followed the way the
//! walker follows a guard (the expansion decides what comes after them). Rules that conclude
//! from the absence of a held guard (`async_mutex_unneeded`) must therefore know which locks a
//! macro may lock, and stay quiet about those. This is a token scan, run only on files that
//! name an async lock type and define a macro.

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use serde::{Deserialize, Serialize};
use syn::visit::Visit;

use crate::knowledge::locks;

/// The locks that `macro_rules!` bodies of one file lock.
///
/// The cache stores it with postcard, so every field is always serialized.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MacroLocks {
    /// Names written right before a lock call (`.lock(`, `.read(`, `.write(`, the `_owned`
    /// forms: [`locks::ASYNC_GUARD_METHODS`]):
    /// a field (`$self.db.lock()` gives `db`), a static or a local.
    pub names: Vec<String>,
    /// A lock call on a metavariable (`$self.$field.lock()`): any lock of the file may be it.
    pub any: bool,
}

impl MacroLocks {
    /// Whether no macro body of the file locks anything.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty() && !self.any
    }
}

/// Scans every `macro_rules!` definition of the file (in modules, impls and function bodies).
///
/// ```
/// let ast = syn::parse_file(
///     "macro_rules! get { ($s:ident, $f:ident) => { $s.db.lock().await; $s.$f.lock().await } }",
/// )
/// .unwrap();
/// let locks = asyncwise_lint::model::macro_rules::lock_uses(&ast);
/// assert_eq!(locks.names, ["db"]);
/// assert!(locks.any);
/// ```
pub fn lock_uses(file: &syn::File) -> MacroLocks {
    let mut scan = Scan::default();
    scan.visit_file(file);
    scan.out.names.sort();
    scan.out.names.dedup();
    scan.out
}

#[derive(Default)]
struct Scan {
    out: MacroLocks,
}

impl<'ast> Visit<'ast> for Scan {
    fn visit_item_macro(&mut self, item: &'ast syn::ItemMacro) {
        if item.mac.path.is_ident("macro_rules") {
            scan_tokens(&item.mac.tokens, &mut self.out);
        }
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        // `macro_rules!` inside a block is a statement macro with the same path.
        if mac.path.is_ident("macro_rules") {
            scan_tokens(&mac.tokens, &mut self.out);
        }
    }
}

fn scan_tokens(tokens: &TokenStream, out: &mut MacroLocks) {
    let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
    for (i, tt) in trees.iter().enumerate() {
        if let TokenTree::Group(g) = tt {
            scan_tokens(&g.stream(), out);
            continue;
        }
        // `<receiver> . lock ( .. )`
        let TokenTree::Ident(method) = tt else {
            continue;
        };
        let called = matches!(trees.get(i + 1), Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis);
        let after_dot =
            i >= 1 && matches!(&trees[i - 1], TokenTree::Punct(p) if p.as_char() == '.');
        if !called || !after_dot || !locks::ASYNC_GUARD_METHODS.iter().any(|m| method == m) {
            continue;
        }
        match i.checked_sub(2).map(|j| (j, &trees[j])) {
            Some((j, TokenTree::Ident(name))) => {
                let metavariable =
                    j >= 1 && matches!(&trees[j - 1], TokenTree::Punct(p) if p.as_char() == '$');
                if metavariable {
                    out.any = true;
                } else {
                    out.names.push(name.to_string());
                }
            }
            // `(expr).lock()`, `x[0].lock()`, `f().lock()`: not a name we can match.
            _ => out.any = true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::lock_uses;

    fn locks(src: &str) -> (Vec<String>, bool) {
        let l = lock_uses(&syn::parse_file(src).expect("parses"));
        (l.names, l.any)
    }

    #[test]
    fn field_static_and_metavariable_receivers() {
        assert_eq!(
            locks(
                "macro_rules! m { ($s:ident) => { $s.cache.lock().await; STATE.write().await; } }"
            ),
            (vec!["STATE".to_string(), "cache".to_string()], false)
        );
        assert_eq!(
            locks("macro_rules! m { ($s:ident, $f:ident) => { $s.$f.read().await } }"),
            (vec![], true)
        );
    }

    #[test]
    fn macros_in_bodies_and_modules_count_and_other_macros_do_not() {
        assert_eq!(
            locks("mod a { fn f() { macro_rules! m { () => { self.db.lock() } } } }"),
            (vec!["db".to_string()], false)
        );
        assert_eq!(
            locks("fn f() { println!(\"{}\", x.lock()); }"),
            (vec![], false)
        );
        assert_eq!(
            locks("macro_rules! m { () => { x.len(); lock(); } }"),
            (vec![], false)
        );
    }
}
