//! Lock calls and discarded spawns written inside `macro_rules!` bodies.
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

/// Spawns written in `macro_rules!` transcribers whose `JoinHandle` is discarded
/// (`tokio::spawn(task.run());` as a statement, `let _ = tokio::spawn(..)`), as spawn facts.
///
/// A transcriber is a token pattern, but one that expands to items or statements is code once
/// its metavariables are filled in: each `$name` is read as an identifier, each repetition
/// `$( .. ) sep *` as one copy of its body and `$crate` as `crate`, and the result is parsed
/// as items, else as statements. What does not parse is skipped. Only discarded spawns are
/// kept, with how their future can fail; the spawned future is read as written, so a task
/// that ends in a method of this file (`task.run()` with `RunTask::run` an async fn returning a
/// `Result`) is judged by that function as anywhere else. Loops in the transcriber are not
/// followed (no loop facts), so `unbounded_spawn` does not see these spawns.
pub(crate) fn discarded_spawns(
    file: &syn::File,
    resolver: &crate::model::resolve::Resolver,
) -> Vec<crate::model::SpawnFact> {
    let mut bodies = Transcribers::default();
    bodies.visit_file(file);
    let mut out = Vec::new();
    for stream in bodies.streams {
        let filled = fill_metavariables(stream);
        let mut finder = SpawnFinder {
            resolver,
            out: &mut out,
        };
        if let Ok(items) = syn::parse2::<syn::File>(filled.clone()) {
            finder.visit_file(&items);
        } else if let Ok(stmts) = syn::parse::Parser::parse2(syn::Block::parse_within, filled) {
            for s in &stmts {
                finder.visit_stmt(s);
            }
        }
    }
    out
}

/// The transcriber of every rule of every `macro_rules!` of the file.
#[derive(Default)]
struct Transcribers {
    streams: Vec<TokenStream>,
}

impl Transcribers {
    fn rules(&mut self, tokens: &TokenStream) {
        // `(matcher) => { transcriber } ;` repeated: the group after each `=>`.
        let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
        for (i, tt) in trees.iter().enumerate() {
            let arrow = i >= 2
                && matches!(&trees[i - 1], TokenTree::Punct(p) if p.as_char() == '>')
                && matches!(&trees[i - 2], TokenTree::Punct(p) if p.as_char() == '=');
            if let (true, TokenTree::Group(g)) = (arrow, tt) {
                self.streams.push(g.stream());
            }
        }
    }
}

impl<'ast> Visit<'ast> for Transcribers {
    fn visit_item_macro(&mut self, item: &'ast syn::ItemMacro) {
        if item.mac.path.is_ident("macro_rules") {
            self.rules(&item.mac.tokens);
        }
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if mac.path.is_ident("macro_rules") {
            self.rules(&mac.tokens);
        }
    }
}

/// A transcriber with its metavariables read as code: `$name` as the identifier `__name`
/// (spans kept, so findings point into the macro), `$( .. ) sep? op` as its body once,
/// `$crate` as `crate`.
fn fill_metavariables(stream: TokenStream) -> TokenStream {
    let trees: Vec<TokenTree> = stream.into_iter().collect();
    let mut out = Vec::with_capacity(trees.len());
    let mut i = 0;
    while i < trees.len() {
        match (&trees[i], trees.get(i + 1)) {
            (TokenTree::Punct(dollar), Some(TokenTree::Ident(name))) if dollar.as_char() == '$' => {
                let text = name.to_string();
                let ident = if text == "crate" {
                    proc_macro2::Ident::new("crate", name.span())
                } else {
                    proc_macro2::Ident::new(&format!("__{text}"), name.span())
                };
                out.push(TokenTree::Ident(ident));
                i += 2;
            }
            (TokenTree::Punct(dollar), Some(TokenTree::Group(body)))
                if dollar.as_char() == '$' && body.delimiter() == Delimiter::Parenthesis =>
            {
                out.extend(fill_metavariables(body.stream()));
                i += 2;
                // An optional separator, then `*`, `+` or `?`.
                let is_op = |t: Option<&TokenTree>| matches!(t, Some(TokenTree::Punct(p)) if matches!(p.as_char(), '*' | '+' | '?'));
                if is_op(trees.get(i)) {
                    i += 1;
                } else if is_op(trees.get(i + 1)) {
                    i += 2;
                }
            }
            (TokenTree::Group(g), _) => {
                let mut group =
                    proc_macro2::Group::new(g.delimiter(), fill_metavariables(g.stream()));
                group.set_span(g.span());
                out.push(TokenTree::Group(group));
                i += 1;
            }
            (other, _) => {
                out.push(other.clone());
                i += 1;
            }
        }
    }
    out.into_iter().collect()
}

struct SpawnFinder<'a, 'r> {
    resolver: &'r crate::model::resolve::Resolver,
    out: &'a mut Vec<crate::model::SpawnFact>,
}

impl SpawnFinder<'_, '_> {
    /// A discarded call, if it is a spawn: recorded with how its future can fail.
    fn discarded(&mut self, e: &syn::Expr) {
        let syn::Expr::Call(c) = e else { return };
        let syn::Expr::Path(p) = &*c.func else { return };
        if p.qself.is_some() {
            return;
        }
        let path = self.resolver.resolve(&p.path);
        let knowledge = self.resolver.knowledge();
        if !knowledge.is_spawn_fn(&path) {
            return;
        }
        let failure = c.args.first().map_or_else(Default::default, |future| {
            let future = crate::model::analysis::failure::spawned_value(future);
            crate::model::analysis::failure::of_future(future, knowledge)
        });
        self.out.push(crate::model::SpawnFact {
            loc: crate::model::Loc::call(c),
            via: path,
            ctx: crate::model::Ctx::Async,
            in_loop: None,
            discarded: true,
            owned: false,
            failure,
            in_drop: false,
            ends_in_other_crate: None,
        });
    }
}

impl<'ast> Visit<'ast> for SpawnFinder<'_, '_> {
    fn visit_stmt(&mut self, s: &'ast syn::Stmt) {
        match s {
            syn::Stmt::Expr(e, Some(_)) => self.discarded(e),
            syn::Stmt::Local(l) if matches!(l.pat, syn::Pat::Wild(_)) => {
                if let Some(init) = &l.init {
                    self.discarded(&init.expr);
                }
            }
            _ => {}
        }
        syn::visit::visit_stmt(self, s);
    }
}
