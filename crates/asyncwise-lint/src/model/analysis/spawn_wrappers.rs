//! Spawn wrappers: functions of the file that hand a future they are given to a known spawner
//! (`pub fn spawn<F: Future>(future: F) -> JoinHandle<..> { tokio::spawn(async move { let r =
//! future.await; .. }) .. }`), directly or through a `macro_rules!` of the file whose
//! transcriber calls one (`spawn_impl!(async { future.await })` with `spawn_impl!` expanding to
//! `tokio::spawn($f)`). A call of such a function spawns a task, whatever it returns: the
//! crate index settles, from the call's path, whether a call names one (see
//! `Requirement::SpawnWrapper`). Read by `detached_task` and `unbounded_spawn`.
//!
//! A wrapper whose body logs (a logging macro) or inspects an error (`inspect_err`,
//! `map_err`, ..) handles what the task returns itself (`tokio::spawn(fut.inspect_err(or))`,
//! `if let Err(e) = fut.await { error!(..) }`): its tasks lose no error, though they are
//! still tasks.

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::{self, Visit};

use crate::model::Loc;
use crate::model::resolve::Resolver;

/// A spawn wrapper of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SpawnWrapper {
    /// Its name in the signature.
    pub(crate) name: Loc,
    /// Its body logs or inspects an error: the task's error does not go unheard.
    pub(crate) handles_errors: bool,
}

/// The file's spawn wrappers.
///
/// A wrapper takes a parameter whose type is a generic parameter bounded by `Future` (in its
/// generics or `where` clause) or `impl Future<..>`, and its body passes that parameter (or an
/// async block that uses it) to a spawner of the run's knowledge, or to a `macro_rules!` of the
/// file whose transcriber names one.
pub(crate) fn spawn_wrappers(file: &syn::File, resolver: &Resolver) -> Vec<SpawnWrapper> {
    let mut macros = SpawningMacros {
        resolver,
        names: Vec::new(),
    };
    macros.visit_file(file);
    let mut finder = WrapperFinder {
        resolver,
        macros: macros.names,
        out: Vec::new(),
    };
    finder.visit_file(file);
    finder.out
}

/// `macro_rules!` definitions whose transcriber calls a known spawner.
struct SpawningMacros<'r> {
    resolver: &'r Resolver,
    names: Vec<String>,
}

impl<'ast> Visit<'ast> for SpawningMacros<'_> {
    fn visit_item_macro(&mut self, item: &'ast syn::ItemMacro) {
        if item.mac.path.is_ident("macro_rules")
            && let Some(name) = &item.ident
            && names_spawner(&item.mac.tokens, self.resolver)
        {
            self.names.push(name.to_string());
        }
    }
}

/// Whether a token stream contains a path to a spawner of the knowledge followed by its
/// arguments (`tokio::spawn($fn)`, `::tokio::task::spawn(..)`).
fn names_spawner(tokens: &TokenStream, resolver: &Resolver) -> bool {
    let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
    let mut path: Vec<String> = Vec::new();
    let mut i = 0;
    while i < trees.len() {
        match &trees[i] {
            TokenTree::Group(g) => {
                if !path.is_empty() && g.delimiter() == proc_macro2::Delimiter::Parenthesis {
                    let segments = std::mem::take(&mut path);
                    if is_spawner(&segments, resolver) {
                        return true;
                    }
                }
                if names_spawner(&g.stream(), resolver) {
                    return true;
                }
                path.clear();
            }
            TokenTree::Ident(id) => path.push(id.to_string()),
            TokenTree::Punct(p) if p.as_char() == ':' => {}
            _ => path.clear(),
        }
        i += 1;
    }
    false
}

fn is_spawner(segments: &[String], resolver: &Resolver) -> bool {
    let written = segments.join("::");
    let knowledge = resolver.knowledge();
    knowledge.is_spawn_fn(&written)
        || knowledge.is_spawn_fn(&resolver.resolve_segments(segments, false))
}

/// Finds the file's wrapper functions.
struct WrapperFinder<'r> {
    resolver: &'r Resolver,
    macros: Vec<String>,
    out: Vec<SpawnWrapper>,
}

impl WrapperFinder<'_> {
    fn function(&mut self, sig: &syn::Signature, block: &syn::Block) {
        let params = future_params(sig);
        if params.is_empty() {
            return;
        }
        let mut spawns = SpawnsParam {
            finder: self,
            params: &params,
            found: false,
        };
        spawns.visit_block(block);
        if spawns.found {
            self.out.push(SpawnWrapper {
                name: Loc::from_span(sig.ident.span()),
                handles_errors: handles_errors(quote::ToTokens::to_token_stream(block)),
            });
        }
    }
}

impl<'ast> Visit<'ast> for WrapperFinder<'_> {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.function(&f.sig, &f.block);
        visit::visit_item_fn(self, f);
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.function(&f.sig, &f.block);
        visit::visit_impl_item_fn(self, f);
    }
}

/// Whether tokens run a logging macro (`error!(..)`) or an error inspector method
/// (`.inspect_err(..)`, `.map_err(..)`).
fn handles_errors(tokens: TokenStream) -> bool {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    trees.iter().enumerate().any(|(i, tt)| match tt {
        TokenTree::Ident(id) => {
            let name = id.to_string();
            let bang = matches!(trees.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == '!');
            let method =
                i > 0 && matches!(&trees[i - 1], TokenTree::Punct(p) if p.as_char() == '.');
            bang && crate::knowledge::macros::is_logging_macro(&name)
                || method && crate::knowledge::spawn::ERROR_INSPECTORS.contains(&name.as_str())
        }
        TokenTree::Group(g) => handles_errors(g.stream()),
        _ => false,
    })
}

/// The names of a signature's parameters whose type is a future it is generic over.
fn future_params(sig: &syn::Signature) -> Vec<String> {
    let bounded_future =
        |bounds: &syn::punctuated::Punctuated<syn::TypeParamBound, syn::Token![+]>| {
            bounds.iter().any(|b| {
                matches!(b, syn::TypeParamBound::Trait(t)
                if t.path.segments.last().is_some_and(|s| s.ident == "Future"))
            })
        };
    let mut generic: Vec<String> = sig
        .generics
        .type_params()
        .filter(|p| bounded_future(&p.bounds))
        .map(|p| p.ident.to_string())
        .collect();
    if let Some(clause) = &sig.generics.where_clause {
        for predicate in &clause.predicates {
            if let syn::WherePredicate::Type(t) = predicate
                && let syn::Type::Path(p) = &t.bounded_ty
                && let Some(ident) = p.path.get_ident()
                && bounded_future(&t.bounds)
            {
                generic.push(ident.to_string());
            }
        }
    }
    sig.inputs
        .iter()
        .filter_map(|input| {
            let syn::FnArg::Typed(t) = input else {
                return None;
            };
            let syn::Pat::Ident(name) = &*t.pat else {
                return None;
            };
            let is_future = match &*t.ty {
                syn::Type::ImplTrait(i) => bounded_future(&i.bounds),
                syn::Type::Path(p) => p
                    .path
                    .get_ident()
                    .is_some_and(|id| generic.iter().any(|g| id == g)),
                _ => false,
            };
            is_future.then(|| name.ident.to_string())
        })
        .collect()
}

/// Looks for a spawner call (or a spawning macro) whose arguments use one of `params`.
struct SpawnsParam<'f, 'r, 'p> {
    finder: &'f WrapperFinder<'r>,
    params: &'p [String],
    found: bool,
}

impl SpawnsParam<'_, '_, '_> {
    fn uses_param(&self, tokens: TokenStream) -> bool {
        tokens.into_iter().any(|tt| match tt {
            TokenTree::Ident(id) => self.params.iter().any(|p| id == p),
            TokenTree::Group(g) => self.uses_param(g.stream()),
            _ => false,
        })
    }
}

impl<'ast> Visit<'ast> for SpawnsParam<'_, '_, '_> {
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if let syn::Expr::Path(p) = &*c.func {
            let segments = crate::model::resolve::segments(&p.path);
            if is_spawner(&segments, self.finder.resolver)
                && c.args
                    .iter()
                    .any(|a| self.uses_param(quote::ToTokens::to_token_stream(a)))
            {
                self.found = true;
                return;
            }
        }
        visit::visit_expr_call(self, c);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let name = crate::model::macros::name(mac);
        if self.finder.macros.contains(&name) && self.uses_param(mac.tokens.clone()) {
            self.found = true;
        }
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrappers(src: &str) -> Vec<String> {
        let file = syn::parse_file(src).expect("test source parses");
        let resolver = Resolver::with_root(&file, "crate", crate::knowledge::Knowledge::builtin());
        let found = spawn_wrappers(&file, &resolver);
        let mut names = Vec::new();
        for item in &file.items {
            if let syn::Item::Fn(f) = item
                && let Some(w) = found
                    .iter()
                    .find(|w| w.name == Loc::from_span(f.sig.ident.span()))
            {
                let handles = if w.handles_errors {
                    " (handles errors)"
                } else {
                    ""
                };
                names.push(format!("{}{handles}", f.sig.ident));
            }
        }
        names
    }

    #[test]
    fn a_function_that_spawns_the_future_it_is_given_is_a_spawner() {
        let src = r#"
            use tokio::task;
            macro_rules! spawn_impl { ($f:expr) => { tokio::spawn($f) }; }
            pub fn spawn<F, T>(future: F) -> Handle<T> where F: Future<Output = T> + Send {
                let (tx, rx) = oneshot::channel();
                spawn_impl!(async { let r = future.await; let _ = tx.send(r); });
                Handle(rx)
            }
            pub fn spawn_named<F: Future<Output = ()>>(name: &str, fut: F) {
                task::spawn(async move { fut.await });
            }
            pub fn go(fut: impl Future<Output = ()> + Send + 'static) { tokio::spawn(fut); }
            pub fn not_a_spawner<F: Future>(fut: F) { block_on(fut); }
            pub fn spawns_something_else<F: Future>(fut: F) { tokio::spawn(other()); }
            pub fn untyped(fut: Fut) { tokio::spawn(fut); }
            pub fn spawn_logged<F: Future<Output = Result<(), E>>>(fut: F) {
                tokio::spawn(async move { if let Err(e) = fut.await { error!(%e, "task failed") } });
            }
            pub fn spawn_inspect<F, O>(or: O, fut: F) where F: Future<Output = Result<(), E>> {
                tokio::spawn(fut.inspect_err(or));
            }
        "#;
        assert_eq!(
            wrappers(src),
            [
                "spawn",
                "spawn_named",
                "go",
                "spawn_logged (handles errors)",
                "spawn_inspect (handles errors)"
            ]
        );
    }
}
