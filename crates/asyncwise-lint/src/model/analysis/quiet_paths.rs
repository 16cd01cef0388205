//! Code that no served work waits on, as far as one file's syntax shows it: the statement run
//! right before the process exits, and the fallback taken only when an environment variable is
//! unset. Blocking there is the pedantic form of `blocking_in_async`, which reads the regions
//! from [`FileModel::quiet_paths`](crate::model::FileModel::quiet_paths) (directly, and over the
//! call graph through the summaries' call facts).
//!
//! * **Right before the process exits or the code panics**: `std::thread::sleep(..);
//!   std::process::exit(1)`. The statement directly before an unconditional
//!   `std::process::exit` or `std::process::abort` of the same block (logging macros between
//!   them are skipped) runs on a path that ends the process: the tasks it stalls are about to
//!   be torn down anyway. The same holds before an unconditional panic (`panic!`,
//!   `unreachable!`, `std::panic::resume_unwind` re-raising a joined thread's panic): a pause
//!   to let logs flush before a crash is on the crash path, which nobody serves. Only a call
//!   statement counts, not a block, loop or `let` holding more work. The whole body of a
//!   function declared `-> !` that has no `loop` or `while` and panics or exits somewhere is
//!   such a path too (a helper that waits for a dying worker thread and re-raises its panic);
//!   a `-> !` function with a loop is a server's endless loop and is not.
//! * **Only when an environment variable is unset**: the closure of `or_else`,
//!   `unwrap_or_else`, `map_or_else` (its first argument) or `ok_or_else` on a value read by
//!   `std::env::var`/`var_os` (through any chain of adapters), the `Err(..)`/`None` arm of a
//!   `match` on one, the `else` of `if let Ok(..)`/`Some(..) = env::var(..)` and of `let
//!   Ok(..) = env::var(..) else { .. }`. A deployment sets the variable; the fallback (asking
//!   `git config`, reading a dotfile) is what a developer's machine runs. Eager fallbacks
//!   (`or(..)`, `unwrap_or(..)`) run whether or not the variable is set and are not regions.
//! * **Once per process**: the closure handed to `get_or_init`, `get_or_try_init`,
//!   `call_once` or `call_once_force` of a `static` (a receiver named in `SCREAMING_CASE`, as
//!   rustc's `non_upper_case_globals` lint asks of statics): `KEYS.get_or_init(|| read_keys())`
//!   reads the files the first time any connection asks, then never again. A cell kept in a
//!   field or a local (`self.tls.get_or_init(..)`) is one per value, which may be one per
//!   connection, and is not a region.

use syn::visit::{self, Visit};

use crate::knowledge::macros::PANICKING_MACROS;
use crate::knowledge::quiet_paths as quiet;
use crate::model::Loc;

/// Why a region runs off the served paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Quiet {
    /// The statement right before `std::process::exit`/`abort` or an unconditional panic.
    BeforeExit,
    /// A fallback taken only when an environment variable is unset.
    EnvFallback,
    /// A `let` that opens a std `File` which the same block then hands to an async reader
    /// (`tokio::fs::File::from_std(file)`, actix's `NamedFile::from_file(file, ..)`): the one
    /// open syscall is all that runs on the executor, like a `stat`.
    HandedToAsync,
    /// The initialiser of a `static` once-cell, run once per process.
    OnceInit,
}

/// The quiet regions of one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuietPaths {
    /// Regions with why each is quiet.
    pub regions: Vec<(Loc, Quiet)>,
}

impl QuietPaths {
    /// Is `loc` inside a quiet region?
    ///
    /// ```
    /// use asyncwise_lint::model::analysis::quiet_paths::analyse;
    /// let f: syn::File = syn::parse_str(
    ///     "async fn stop() {\n    std::thread::sleep(D);\n    std::process::exit(1);\n}",
    /// )
    /// .unwrap();
    /// let quiet = analyse(&f);
    /// let sleep = asyncwise_lint::model::Loc { start: (2, 4), end: (2, 25) };
    /// assert!(quiet.covers(sleep));
    /// ```
    pub fn covers(&self, loc: Loc) -> bool {
        self.regions.iter().any(|(r, _)| r.encloses(loc))
    }
}

/// Reads a file's quiet regions. Files that name none of `process::`, `env::`, `::from_std(`,
/// `::from_file(`, `.get_or_` and `.call_once` have none; callers may skip them.
pub fn analyse(file: &syn::File) -> QuietPaths {
    let mut v = Visitor::default();
    v.visit_file(file);
    QuietPaths { regions: v.regions }
}

#[derive(Default)]
struct Visitor {
    regions: Vec<(Loc, Quiet)>,
}

impl<'ast> Visit<'ast> for Visitor {
    fn visit_block(&mut self, b: &'ast syn::Block) {
        if let Some(stmt) = statement_before_exit(&b.stmts) {
            self.regions.push((Loc::of(stmt), Quiet::BeforeExit));
        }
        for (i, stmt) in b.stmts.iter().enumerate() {
            if let syn::Stmt::Local(local) = stmt
                && local.init.is_some()
                && let Some(name) = bound_name(&local.pat)
                && b.stmts[i + 1..]
                    .iter()
                    .any(|later| hands_to_async(later, &name))
            {
                self.regions.push((Loc::of(stmt), Quiet::HandedToAsync));
            }
        }
        visit::visit_block(self, b);
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        if is_crash_path(&f.sig, &f.block) {
            self.regions.push((Loc::of(&*f.block), Quiet::BeforeExit));
        }
        visit::visit_item_fn(self, f);
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        if is_crash_path(&f.sig, &f.block) {
            self.regions.push((Loc::of(&f.block), Quiet::BeforeExit));
        }
        visit::visit_impl_item_fn(self, f);
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        let method = m.method.to_string();
        let fallback_arg = quiet::FALLBACK_METHODS
            .contains(&method.as_str())
            .then(|| m.args.first())
            .flatten();
        if let Some(arg @ syn::Expr::Closure(_)) = fallback_arg
            && reads_env_var(&m.receiver)
        {
            self.regions.push((Loc::of(arg), Quiet::EnvFallback));
        }
        if quiet::ONCE_INIT_METHODS.contains(&method.as_str())
            && names_a_static(&m.receiver)
            && let Some(arg @ syn::Expr::Closure(_)) = m.args.first()
        {
            self.regions.push((Loc::of(arg), Quiet::OnceInit));
        }
        visit::visit_expr_method_call(self, m);
    }

    fn visit_expr_match(&mut self, m: &'ast syn::ExprMatch) {
        if reads_env_var(&m.expr) {
            for arm in &m.arms {
                if is_missing_pattern(&arm.pat) {
                    self.regions.push((Loc::of(&*arm.body), Quiet::EnvFallback));
                }
            }
        }
        visit::visit_expr_match(self, m);
    }

    fn visit_expr_if(&mut self, i: &'ast syn::ExprIf) {
        if let syn::Expr::Let(l) = &*i.cond
            && is_present_pattern(&l.pat)
            && reads_env_var(&l.expr)
            && let Some((_, els)) = &i.else_branch
        {
            self.regions.push((Loc::of(&**els), Quiet::EnvFallback));
        }
        visit::visit_expr_if(self, i);
    }

    fn visit_local(&mut self, l: &'ast syn::Local) {
        if let Some(init) = &l.init
            && let Some((_, els)) = &init.diverge
            && is_present_pattern(&l.pat)
            && reads_env_var(&init.expr)
        {
            self.regions.push((Loc::of(&**els), Quiet::EnvFallback));
        }
        visit::visit_local(self, l);
    }
}

/// Is `e` a path naming a `static` by the naming convention rustc's `non_upper_case_globals`
/// lint enforces (`KEYS`, `config::TLS_CONFIG`): uppercase letters, digits and underscores, at
/// least one letter?
fn names_a_static(e: &syn::Expr) -> bool {
    let syn::Expr::Path(p) = e else { return false };
    p.qself.is_none()
        && p.path.segments.last().is_some_and(|s| {
            let name = s.ident.to_string();
            name.chars().any(|c| c.is_ascii_uppercase())
                && name
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        })
}

/// The name a `let` binds, through a type ascription (`let file: File = ..`, `let mut file`).
fn bound_name(pat: &syn::Pat) -> Option<String> {
    match pat {
        syn::Pat::Ident(i) => Some(i.ident.to_string()),
        syn::Pat::Type(t) => bound_name(&t.pat),
        _ => None,
    }
}

/// Does `stmt` call an async file adopter ([`quiet::ASYNC_FILE_ADOPTERS`]) with `name` (or
/// `name.into()`) as its first argument?
fn hands_to_async(stmt: &syn::Stmt, name: &str) -> bool {
    struct Find<'n> {
        name: &'n str,
        found: bool,
    }
    impl<'ast> Visit<'ast> for Find<'_> {
        fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
            if let syn::Expr::Path(p) = &*c.func {
                let segments = crate::model::resolve::segments(&p.path);
                let last_two = match segments.as_slice() {
                    [.., a, b] => Some((a.as_str(), b.as_str())),
                    _ => None,
                };
                if last_two.is_some_and(|pair| quiet::ASYNC_FILE_ADOPTERS.contains(&pair))
                    && c.args.first().is_some_and(|a| names(a, self.name))
                {
                    self.found = true;
                }
            }
            visit::visit_expr_call(self, c);
        }
    }
    fn names(e: &syn::Expr, name: &str) -> bool {
        match e {
            syn::Expr::Path(p) => p.path.is_ident(name),
            syn::Expr::MethodCall(m) if m.method == "into" && m.args.is_empty() => {
                names(&m.receiver, name)
            }
            syn::Expr::Paren(p) => names(&p.expr, name),
            _ => false,
        }
    }
    let mut find = Find { name, found: false };
    find.visit_stmt(stmt);
    find.found
}

/// The statement directly before an unconditional process exit or panic in `stmts` (other
/// macros between them, such as logging, skipped), if it is a call statement.
fn statement_before_exit(stmts: &[syn::Stmt]) -> Option<&syn::Stmt> {
    let exit = stmts.iter().position(|s| match s {
        syn::Stmt::Expr(e, _) => ends_process(e) || panics(e),
        syn::Stmt::Macro(m) => panic_macro(&m.mac),
        _ => false,
    })?;
    let before = stmts[..exit]
        .iter()
        .rev()
        .find(|s| !matches!(s, syn::Stmt::Macro(_)))?;
    match before {
        syn::Stmt::Expr(syn::Expr::Call(_) | syn::Expr::MethodCall(_), Some(_)) => Some(before),
        _ => None,
    }
}

/// `std::process::exit(..)`, `process::exit(..)`, `std::process::abort()`.
fn ends_process(e: &syn::Expr) -> bool {
    let syn::Expr::Call(c) = e else {
        return false;
    };
    let syn::Expr::Path(p) = &*c.func else {
        return false;
    };
    path_ends_in(&p.path, quiet::PROCESS_ENDS)
}

/// A function declared `-> !` with no `loop` or `while` in its body, which panics or ends the
/// process somewhere in it: every run of it ends in that crash (a helper that waits for a
/// dying worker thread, joins it and re-raises its panic). A `-> !` function with a loop is
/// usually a server's endless loop, and is not one.
fn is_crash_path(sig: &syn::Signature, body: &syn::Block) -> bool {
    struct Scan {
        endless: bool,
        crashes: bool,
    }
    impl<'ast> Visit<'ast> for Scan {
        fn visit_expr_loop(&mut self, _: &'ast syn::ExprLoop) {
            self.endless = true;
        }
        fn visit_expr_while(&mut self, _: &'ast syn::ExprWhile) {
            self.endless = true;
        }
        fn visit_expr(&mut self, e: &'ast syn::Expr) {
            if ends_process(e) || panics(e) {
                self.crashes = true;
            }
            visit::visit_expr(self, e);
        }
        fn visit_stmt_macro(&mut self, m: &'ast syn::StmtMacro) {
            if panic_macro(&m.mac) {
                self.crashes = true;
            }
        }
        // Closures and nested items run elsewhere.
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    if !matches!(&sig.output, syn::ReturnType::Type(_, ty) if matches!(**ty, syn::Type::Never(_))) {
        return false;
    }
    let mut scan = Scan {
        endless: false,
        crashes: false,
    };
    scan.visit_block(body);
    scan.crashes && !scan.endless
}

/// `std::panic::resume_unwind(..)`, `panic::panic_any(..)`, or a panicking macro in
/// expression position (`panic!(..)` as a block's tail).
fn panics(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Call(c) => {
            matches!(&*c.func, syn::Expr::Path(p) if path_ends_in(&p.path, quiet::PANICS))
        }
        syn::Expr::Macro(m) => panic_macro(&m.mac),
        _ => false,
    }
}

/// `panic!`, `unreachable!`, `todo!`, `unimplemented!` (also as `std::panic!`).
fn panic_macro(mac: &syn::Macro) -> bool {
    mac.path
        .segments
        .last()
        .is_some_and(|s| PANICKING_MACROS.iter().any(|m| s.ident == m))
}

/// Does a path end in one of `table`'s `(parent, name)` pairs?
fn path_ends_in(path: &syn::Path, table: &[(&str, &str)]) -> bool {
    let segments = &path.segments;
    let n = segments.len();
    n >= 2
        && table
            .iter()
            .any(|(parent, name)| segments[n - 2].ident == parent && segments[n - 1].ident == name)
}

/// Is `e` a value read by `env::var`/`env::var_os`, possibly through adapters
/// (`env::var("A").or_else(..).map(..)`, `env::var("A").ok()`)?
fn reads_env_var(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::MethodCall(m) => reads_env_var(&m.receiver),
        syn::Expr::Paren(p) => reads_env_var(&p.expr),
        syn::Expr::Reference(r) => reads_env_var(&r.expr),
        syn::Expr::Call(c) => {
            let syn::Expr::Path(p) = &*c.func else {
                return false;
            };
            path_ends_in(&p.path, quiet::ENV_READS)
        }
        _ => false,
    }
}

/// `Err(..)`, `None`, `Err(_) | ..` with nothing else: the arm taken when the variable is
/// unset (or not valid Unicode).
fn is_missing_pattern(p: &syn::Pat) -> bool {
    match p {
        syn::Pat::TupleStruct(t) => t.path.is_ident("Err"),
        syn::Pat::Ident(i) => i.ident == "None" && i.subpat.is_none(),
        syn::Pat::Path(pp) => pp.path.is_ident("None"),
        syn::Pat::Or(o) => o.cases.iter().all(is_missing_pattern),
        _ => false,
    }
}

/// `Ok(..)` or `Some(..)`: the pattern that matches when the variable is set.
fn is_present_pattern(p: &syn::Pat) -> bool {
    matches!(p, syn::Pat::TupleStruct(t) if t.path.is_ident("Ok") || t.path.is_ident("Some"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regions(src: &str) -> Vec<(usize, Quiet)> {
        let f: syn::File = syn::parse_str(src).expect("test source parses");
        analyse(&f)
            .regions
            .into_iter()
            .map(|(l, q)| (l.start.0, q))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect()
    }

    #[test]
    fn the_call_statement_right_before_an_exit_is_quiet() {
        let src = "fn f() {\n    std::thread::sleep(d);\n    log::error!(\"bye\");\n    std::process::exit(1);\n}";
        assert_eq!(regions(src), vec![(2, Quiet::BeforeExit)]);
        let src = "fn f() {\n    std::thread::sleep(d);\n    process::abort()\n}";
        assert_eq!(regions(src), vec![(2, Quiet::BeforeExit)]);
    }

    #[test]
    fn the_call_statement_right_before_an_unconditional_panic_is_quiet() {
        // (a `-> !` function without a loop is a crash path as a whole, too: line 1)
        let src = "fn f(e: Box<dyn Any + Send>) -> ! {\n    std::thread::sleep(d);\n    std::panic::resume_unwind(e)\n}";
        assert_eq!(
            regions(src),
            vec![(1, Quiet::BeforeExit), (2, Quiet::BeforeExit)]
        );
        let src = "fn f() {\n    flush_logs();\n    tracing::error!(\"giving up\");\n    panic!(\"worker died\");\n}";
        assert_eq!(regions(src), vec![(2, Quiet::BeforeExit)]);
        // a panic under a condition does not follow every run of the statement
        let src = "fn f() {\n    std::thread::sleep(d);\n    if bad { panic!(\"x\") }\n}";
        assert!(regions(src).is_empty());
        // `assert!` panics only when its condition fails
        let src = "fn f() {\n    std::thread::sleep(d);\n    assert!(ok);\n}";
        assert!(regions(src).is_empty());
    }

    #[test]
    fn a_diverging_function_without_a_loop_that_panics_is_a_crash_path() {
        let src = "impl P {\n    fn propagate(&self) -> ! {\n        std::thread::sleep(d);\n        for t in ts { if t.done() { match t.join() { Ok(()) => panic!(\"x\"), Err(e) => std::panic::resume_unwind(e) } } }\n        unreachable!()\n    }\n}";
        assert_eq!(regions(src).first().map(|r| r.0), Some(2));
        // an endless server loop declared `-> !` is not one
        let src = "fn serve() -> ! {\n    loop { accept(); }\n}";
        assert!(regions(src).is_empty());
        // nor is a function that may return
        let src = "fn f() {\n    std::thread::sleep(d);\n    if bad { panic!() }\n}";
        assert!(regions(src).is_empty());
    }

    #[test]
    fn work_that_is_not_a_call_statement_or_not_right_before_the_exit_is_not() {
        // a `let` may hold more than one call; an exit in another block does not follow
        let src = "fn f() {\n    let v = std::fs::read(p);\n    std::process::exit(1);\n}";
        assert!(regions(src).is_empty());
        let src = "fn f() {\n    std::thread::sleep(d);\n    if bad { std::process::exit(1); }\n}";
        assert!(regions(src).is_empty());
        let src = "fn f() {\n    std::thread::sleep(d);\n    my::exit(1);\n}";
        assert!(regions(src).is_empty());
        let src =
            "fn f() {\n    std::thread::sleep(d);\n    serve();\n    std::process::exit(0);\n}";
        assert_eq!(regions(src), vec![(3, Quiet::BeforeExit)]);
    }

    #[test]
    fn fallbacks_for_an_unset_environment_variable_are_quiet() {
        let src = "fn t() -> String {\n    std::env::var(\"A\")\n        .or_else(|_| env::var(\"B\"))\n        .or_else(|_| git_config())\n        .unwrap()\n}";
        assert_eq!(
            regions(src),
            vec![(3, Quiet::EnvFallback), (4, Quiet::EnvFallback)]
        );
        let src = "fn t() -> String {\n    match env::var(\"A\") {\n        Ok(v) => v,\n        Err(_) => git_config(),\n    }\n}";
        assert_eq!(regions(src), vec![(4, Quiet::EnvFallback)]);
        let src = "fn t() -> String {\n    if let Ok(v) = env::var(\"A\") { v } else {\n        git_config()\n    }\n}";
        assert_eq!(regions(src), vec![(2, Quiet::EnvFallback)]);
        let src = "fn t() -> String {\n    let Some(v) = env::var_os(\"A\") else {\n        return git_config();\n    };\n    v\n}";
        assert_eq!(regions(src), vec![(2, Quiet::EnvFallback)]);
    }

    #[test]
    fn eager_fallbacks_and_the_present_branch_are_not() {
        // `unwrap_or(..)` evaluates its argument whether or not the variable is set
        assert!(regions("fn t() { env::var(\"A\").unwrap_or(git_config()); }").is_empty());
        // `map` runs with the value: the served path
        assert!(regions("fn t() { env::var(\"A\").map(|v| load(v)); }").is_empty());
        // the fallback of something else
        assert!(regions("fn t() { read_config().unwrap_or_else(|_| git_config()); }").is_empty());
        let src = "fn t() {\n    match env::var(\"A\") {\n        Ok(v) => load(v),\n        _ => {}\n    }\n}";
        assert!(regions(src).is_empty());
    }

    #[test]
    fn the_initialiser_of_a_static_once_cell_is_quiet() {
        let src = "fn keys() -> &'static [Key] {\n    KEYS.get_or_init(|| {\n        load(std::fs::read(p))\n    })\n}";
        assert_eq!(regions(src), vec![(2, Quiet::OnceInit)]);
        let src = "fn init() {\n    crate::log::INIT.call_once(|| open_log());\n}";
        assert_eq!(regions(src), vec![(2, Quiet::OnceInit)]);
        let src =
            "async fn cfg() {\n    CONFIG.get_or_try_init(|| async { read().await }).await;\n}";
        assert_eq!(regions(src), vec![(2, Quiet::OnceInit)]);
    }

    #[test]
    fn a_once_cell_per_value_or_another_method_is_not() {
        // a field or a local cell may be one per connection
        assert!(regions("fn f(&self) { self.tls.get_or_init(|| load()); }").is_empty());
        assert!(regions("fn f() { cell.get_or_init(|| load()); }").is_empty());
        // `get_or_insert_with` on a static map runs once per key
        assert!(regions("fn f() { CACHE.get_or_insert_with(k, || load()); }").is_empty());
        // a function value, not a closure written here
        assert!(regions("fn f() { KEYS.get_or_init(load); }").is_empty());
    }
}
