//! Can a spawned body fail, and how? The ways a future handed to a spawner can end in an error
//! or a panic, as facts: its first error path (`?`, `return Err(..)`), its first panic (an
//! unwrap-like method, a panicking macro), and how it ends (in an `Err`, or in an awaited call
//! of a function whose result it returns). [`BodyFailure::mode`] sums them up as the way the
//! body fails: by an error value, which only its `JoinHandle` receives, or only by a panic,
//! which the panic hook prints where it happens.
//!
//! An error path that logs before it leaves (`.inspect_err(|e| error!(..))?`, `error!(..);
//! return Err(e)` in one block) is kept apart: the error is not silent, whoever drops the
//! handle. Only a logging macro in the closure of the `?`'s own `inspect_err`/`map_err` or in an
//! earlier statement of the innermost block counts: a log elsewhere may be about something else.
//!
//! This is Rust semantics, not a rule: `detached_task` turns these facts into its verdict
//! (which of them make a finding, which only its pedantic form). The scan includes the closures
//! and async blocks the body runs (`for_each_concurrent(.., |x| async move { .. })`), whose
//! panics are the task's, but not their own `?` and `return` (which end the closure), nor the
//! tasks the body spawns itself, nor nested items.

use syn::visit::{self, Visit};

use crate::facts::FnRef;
use crate::knowledge::Knowledge;
use crate::knowledge::macros as macro_kinds;
use crate::model::Loc;
use crate::model::macros::{self, MacroBody};
use crate::model::resolve::Resolver;

/// How a body can fail, as far as its own code shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BodyFailure {
    /// The first error path in source order that does not log first: the body can end in an
    /// error there, and nothing but its `JoinHandle` hears of it.
    pub error: Option<FailurePoint>,
    /// The first error path that logs before it leaves (a `?` on `.inspect_err(|e|
    /// error!(..))`, a `return Err(..)` after an `error!` in the same block): the error is not
    /// silent, so it is no failure to report (see [`every_error_logged`]).
    pub logged: Option<FailurePoint>,
    /// Error paths that pass on the error of a call of a function (`helper(..).await?`), in
    /// source order: silent unless that function logs every error it returns, which only the
    /// crate's function table can tell.
    pub logged_if: Vec<(FailurePoint, FnRef)>,
    /// The first panic in source order.
    pub panic: Option<FailurePoint>,
    /// How the body ends.
    pub ends: Ending,
}

/// How a body fails, which decides what is lost when nobody joins it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureMode<'a> {
    /// It can end in an error value (`?`, `return Err(..)`, an `Err(..)` tail), here: the value
    /// goes to the `JoinHandle` only, and nothing prints it.
    ErrorValue(FailurePoint),
    /// It ends in a call of a function: in an error value if that function is an async fn
    /// returning a `Result`, which only the crate's function table can tell.
    ErrorValueIfResult(&'a FnRef),
    /// Its only error paths that do not log pass on the errors of calls of functions (`tries`,
    /// the first at `point`), and it may end in a call (`ends`): it fails by an error value
    /// unless each of those functions logs every error it returns and the one it ends in does
    /// not return a `Result`, which only the crate's function table can tell.
    ErrorValueUnlessLogged {
        /// The first such error path.
        point: &'a FailurePoint,
        /// The calls whose errors the body passes on.
        tries: Vec<&'a FnRef>,
        /// The call the body ends in, if it does.
        ends: Option<&'a FnRef>,
    },
    /// It can fail only by panicking, here (the first panic): the panic hook prints the
    /// message where the panic happens, whether anyone joins the task or not.
    PanicOnly(&'a FailurePoint),
}

impl BodyFailure {
    /// How the body fails, if it can: an error value outranks how the body ends, which
    /// outranks a panic.
    ///
    /// ```
    /// use asyncwise_lint::knowledge::Knowledge;
    /// use asyncwise_lint::model::analysis::failure::{of_future, FailureMode};
    /// let k = Knowledge::builtin();
    /// let send: syn::Expr = syn::parse_str("async move { tx.send(1).await.unwrap() }").unwrap();
    /// assert!(matches!(of_future(&send, &k).mode(), Some(FailureMode::PanicOnly(_))));
    /// let read: syn::Expr = syn::parse_str("async move { let n = file.read().await?; Ok(n) }").unwrap();
    /// assert!(matches!(of_future(&read, &k).mode(), Some(FailureMode::ErrorValue(_))));
    /// ```
    pub fn mode(&self) -> Option<FailureMode<'_>> {
        if let Some(error) = &self.error {
            return Some(FailureMode::ErrorValue(error.clone()));
        }
        match &self.ends {
            Ending::InErr(loc) => Some(FailureMode::ErrorValue(FailurePoint {
                how: FailureKind::EndsInErr,
                loc: *loc,
            })),
            ends if !self.logged_if.is_empty() => Some(FailureMode::ErrorValueUnlessLogged {
                point: &self.logged_if[0].0,
                tries: self.logged_if.iter().map(|(_, call)| call).collect(),
                ends: match ends {
                    Ending::InCall(call) => Some(call),
                    _ => None,
                },
            }),
            Ending::InCall(call) => Some(FailureMode::ErrorValueIfResult(call)),
            Ending::Other => self.panic.as_ref().map(FailureMode::PanicOnly),
        }
    }
}

/// One place where a body can fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailurePoint {
    /// What fails there.
    pub how: FailureKind,
    /// The `?`, the `return`, the method name or the macro.
    pub loc: Loc,
}

/// What makes a body fail at a [`FailurePoint`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureKind {
    /// `expr?`.
    Try,
    /// `return Err(..)`.
    ReturnsErr,
    /// An `Err(..)` tail.
    EndsInErr,
    /// An unwrap-like method (`unwrap`, `expect`), by name.
    Unwraps(String),
    /// A panicking macro (`panic!`, `todo!`, `unreachable!`), by name.
    PanicMacro(String),
}

/// How a body ends (its tail expression, or the future itself when it is a call).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Ending {
    /// Anything else: a value, `()`, `Ok(..)`, nothing known.
    #[default]
    Other,
    /// In `Err(..)`, here.
    InErr(Loc),
    /// In a call of a function (awaited, or the spawned future itself): the body fails when
    /// that function is an async fn returning a `Result`, which only the crate's function
    /// table can tell.
    InCall(FnRef),
}

impl FailureKind {
    /// The reason, as a finding's note says it after "the task".
    ///
    /// ```
    /// use asyncwise_lint::model::analysis::failure::FailureKind;
    /// assert_eq!(FailureKind::Try.describe(), "uses `?`, so it can end in an error");
    /// ```
    pub fn describe(&self) -> String {
        match self {
            FailureKind::Try => "uses `?`, so it can end in an error".into(),
            FailureKind::ReturnsErr => "returns an `Err`".into(),
            FailureKind::EndsInErr => "ends in an `Err`".into(),
            FailureKind::Unwraps(method) => format!("calls `{method}`, so it can panic"),
            FailureKind::PanicMacro(name) => format!("calls `{name}!`, so it can panic"),
        }
    }
}

/// How the future `future` (the argument of a spawn, or the initialiser of a `let` bound to
/// one) can fail: an `async` block is scanned; a call is looked through single-argument
/// wrappers (`Box::pin(fut)`, `fut.instrument(span)`) to the function it runs.
///
/// ```
/// use asyncwise_lint::knowledge::Knowledge;
/// use asyncwise_lint::model::analysis::failure::{of_future, FailureKind};
/// let fut: syn::Expr = syn::parse_str("async move { let n = file.read().await?; Ok(n) }").unwrap();
/// let f = of_future(&fut, &Knowledge::builtin());
/// assert_eq!(f.error.unwrap().how, FailureKind::Try);
/// ```
pub fn of_future(future: &syn::Expr, knowledge: &Knowledge) -> BodyFailure {
    of_future_in(future, knowledge, None)
}

/// [`of_future`] in a file whose names `resolver` knows: a `?` on a call of a function of
/// another crate (`serde_json::from_str(..)?`, or a bare name imported from one) is silent
/// outright, and a call of the crate's own is named by the module or type its path resolves
/// to (`use crate::tcp::peer;` then `peer(..)` names `tcp::peer`).
pub(crate) fn of_future_in(
    future: &syn::Expr,
    knowledge: &Knowledge,
    resolver: Option<&Resolver>,
) -> BodyFailure {
    match future {
        syn::Expr::Async(a) => {
            let mut scan = FailScan::new(knowledge);
            scan.resolver = resolver;
            scan.visit_block(&a.block);
            let mut ends = match a.block.stmts.last() {
                Some(syn::Stmt::Expr(tail, None)) => ending(tail),
                _ => Ending::Other,
            };
            if let Ending::InErr(loc) = ends
                && logs_before_tail(&a.block)
            {
                scan.logged.get_or_insert(FailurePoint {
                    how: FailureKind::EndsInErr,
                    loc,
                });
                ends = Ending::Other;
            }
            BodyFailure {
                error: scan.error,
                logged: scan.logged,
                logged_if: scan.logged_if,
                panic: scan.panic,
                ends,
            }
        }
        syn::Expr::Call(c) => {
            let syn::Expr::Path(p) = &*c.func else {
                return BodyFailure::default();
            };
            let Some(last) = p.path.segments.last() else {
                return BodyFailure::default();
            };
            let name = last.ident.to_string();
            if knowledge.is_future_wrapper_fn(&name) {
                return c.args.first().map_or_else(BodyFailure::default, |a| {
                    of_future_in(a, knowledge, resolver)
                });
            }
            ends_in(Ending::InCall(FnRef {
                name,
                qualifier: qualifier(&p.path),
                method_call: false,
                qualifier_by_name: false,
            }))
        }
        syn::Expr::MethodCall(m) => {
            let name = m.method.to_string();
            if knowledge.is_future_wrapper(&name) {
                return of_future_in(&m.receiver, knowledge, resolver);
            }
            ends_in(Ending::InCall(FnRef {
                name,
                qualifier: None,
                method_call: true,
                qualifier_by_name: false,
            }))
        }
        syn::Expr::Paren(p) => of_future_in(&p.expr, knowledge, resolver),
        _ => BodyFailure::default(),
    }
}

fn ends_in(ends: Ending) -> BodyFailure {
    BodyFailure {
        ends,
        ..BodyFailure::default()
    }
}

/// The segment before the last in a call path (`worker` in `worker::run`).
fn qualifier(path: &syn::Path) -> Option<String> {
    let n = path.segments.len();
    (n >= 2).then(|| path.segments[n - 2].ident.to_string())
}

/// How a tail expression (or a returned value) ends the body: `Err(..)`, an awaited call, or
/// anything else (`Ok(..)` included: errors handled before it are found by the scan).
fn ending(tail: &syn::Expr) -> Ending {
    match tail {
        syn::Expr::Call(c) => match &*c.func {
            syn::Expr::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Err") => {
                Ending::InErr(Loc::of(tail))
            }
            _ => Ending::Other,
        },
        syn::Expr::Await(a) => match &*a.base {
            syn::Expr::Call(c) => match &*c.func {
                syn::Expr::Path(p) => p.path.segments.last().map_or(Ending::Other, |s| {
                    Ending::InCall(FnRef {
                        name: s.ident.to_string(),
                        qualifier: qualifier(&p.path),
                        method_call: false,
                        qualifier_by_name: false,
                    })
                }),
                _ => Ending::Other,
            },
            syn::Expr::MethodCall(m) => Ending::InCall(FnRef {
                name: m.method.to_string(),
                qualifier: None,
                method_call: true,
                qualifier_by_name: false,
            }),
            _ => Ending::Other,
        },
        _ => Ending::Other,
    }
}

/// Whether a function body declared to return a `Result` can never end in its error: it has no
/// `?` and no `return Err(..)` of its own (closures and async blocks inside end themselves), no
/// error-returning macro (`bail!`, `ensure!`), and every `return`, every `break` with a value and
/// the tail are `Ok(..)` (through `if`, `match`, blocks and a tail `loop`). A task that runs such
/// a function cannot fail by an error value, whatever its signature says.
///
/// ```
/// use asyncwise_lint::knowledge::Knowledge;
/// use asyncwise_lint::model::analysis::failure::never_errs;
/// let k = Knowledge::builtin();
/// let handled: syn::Block = syn::parse_str(
///     "{ if let Err(e) = work().await { log(e); } Ok(()) }").unwrap();
/// assert!(never_errs(&handled, &k));
/// let tried: syn::Block = syn::parse_str("{ work().await?; Ok(()) }").unwrap();
/// assert!(!never_errs(&tried, &k));
/// ```
pub fn never_errs(block: &syn::Block, knowledge: &Knowledge) -> bool {
    let mut scan = FailScan::new(knowledge);
    scan.visit_block(block);
    if scan.error.is_some() || scan.logged.is_some() || !scan.logged_if.is_empty() {
        return false;
    }
    let mut exits = OkExits {
        all_ok: true,
        errors_judged: false,
        calls: None,
        resolver: None,
    };
    exits.visit_block(block);
    exits.all_ok && block_ends_ok(block, false, &mut None, None)
}

/// Whether every way a function body declared to return a `Result` can end in its error logs
/// first: each `?` passes through an `inspect_err`/`map_err`/`or_else` whose closure logs, each
/// `return Err(..)`, error-returning macro and `Err(..)` tail follows a logging statement of its
/// own block, and every other exit is `Ok(..)` (true, too, of a body that [`never_errs`]). A
/// task that runs such a function tells someone why it failed whoever drops its handle: the
/// fix `detached_task` asks for is already made. Exits that pass on a callee's error are not
/// logged here; [`error_exits`] lists them.
///
/// ```
/// use asyncwise_lint::knowledge::Knowledge;
/// use asyncwise_lint::model::analysis::failure::every_error_logged;
/// let k = Knowledge::builtin();
/// let logged: syn::Block = syn::parse_str(
///     "{ let s = accept().await.inspect_err(|e| error!(%e, \"accept\"))?; \
///        if s.bad() { warn!(\"bad peer\"); return Err(Error::Peer); } Ok(()) }").unwrap();
/// assert!(every_error_logged(&logged, &k));
/// let silent: syn::Block = syn::parse_str("{ let s = accept().await?; Ok(()) }").unwrap();
/// assert!(!every_error_logged(&silent, &k));
/// ```
pub fn every_error_logged(block: &syn::Block, knowledge: &Knowledge) -> bool {
    error_exits(block, knowledge).is_some_and(|calls| calls.is_empty())
}

/// The calls whose errors a function body declared to return a `Result` passes on without
/// logging them (`helper(..).await?`, a tail or `return helper(..).await`), when every other
/// way it can end in its error logs first (see [`every_error_logged`]); `None` when some
/// other exit is silent. With an empty list, every error is logged; otherwise every error is
/// logged exactly when each of these calls' functions logs its own, which only the crate's
/// function table can tell. `self.method()` is named with the qualifier `Self`.
///
/// ```
/// use asyncwise_lint::knowledge::Knowledge;
/// use asyncwise_lint::model::analysis::failure::error_exits;
/// let k = Knowledge::builtin();
/// let body: syn::Block = syn::parse_str(
///     "{ let a = tcp::peer(s).await?; if a.bad() { error!(\"bad\"); return Err(E); } serve(a).await }").unwrap();
/// let calls = error_exits(&body, &k).unwrap();
/// assert_eq!(calls.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["peer", "serve"]);
/// let silent: syn::Block = syn::parse_str("{ let s = accept().await.ok_or(E)?; Ok(()) }").unwrap();
/// assert!(error_exits(&silent, &k).is_none());
/// ```
pub fn error_exits(block: &syn::Block, knowledge: &Knowledge) -> Option<Vec<FnRef>> {
    error_exits_in(block, knowledge, None)
}

/// [`error_exits`] in a file whose names `resolver` knows (see [`of_future_in`]).
pub(crate) fn error_exits_in(
    block: &syn::Block,
    knowledge: &Knowledge,
    resolver: Option<&Resolver>,
) -> Option<Vec<FnRef>> {
    let mut scan = FailScan::new(knowledge);
    scan.resolver = resolver;
    scan.visit_block(block);
    if scan.error.is_some() {
        return None;
    }
    let mut exits = OkExits {
        all_ok: true,
        errors_judged: true,
        calls: Some(scan.logged_if.into_iter().map(|(_, call)| call).collect()),
        resolver,
    };
    exits.visit_block(block);
    let mut calls = exits.calls;
    if !(exits.all_ok && block_ends_ok(block, true, &mut calls, resolver)) {
        return None;
    }
    let mut calls = calls.unwrap_or_default();
    calls.dedup();
    Some(calls)
}

/// The block's value is `Ok(..)` on every path that reaches its end (or, with `logged_err`, an
/// `Err(..)` after a logging statement of its own block, an error passed through a logging
/// `map_err`, or an awaited call, which `calls` collects when it is `Some`).
fn block_ends_ok(
    block: &syn::Block,
    logged_err: bool,
    calls: &mut Option<Vec<FnRef>>,
    resolver: Option<&Resolver>,
) -> bool {
    match block.stmts.last() {
        Some(syn::Stmt::Expr(tail, None)) => {
            ends_ok(tail, logged_err, calls, resolver)
                || logged_err && matches!(ending(tail), Ending::InErr(_)) && logs_before_tail(block)
        }
        _ => false,
    }
}

fn ends_ok(
    e: &syn::Expr,
    logged_err: bool,
    calls: &mut Option<Vec<FnRef>>,
    resolver: Option<&Resolver>,
) -> bool {
    match e {
        syn::Expr::Call(c) => matches!(&*c.func, syn::Expr::Path(p)
            if p.path.segments.last().is_some_and(|s| s.ident == "Ok")),
        // A tail `loop` ends only by `break value` (checked by `OkExits`) or `return`.
        syn::Expr::Loop(_) => true,
        syn::Expr::Block(b) => block_ends_ok(&b.block, logged_err, calls, resolver),
        syn::Expr::Paren(p) => ends_ok(&p.expr, logged_err, calls, resolver),
        syn::Expr::If(i) => {
            block_ends_ok(&i.then_branch, logged_err, calls, resolver)
                && i.else_branch
                    .as_ref()
                    .is_some_and(|(_, e)| ends_ok(e, logged_err, calls, resolver))
        }
        syn::Expr::Match(m) => m
            .arms
            .iter()
            .all(|a| ends_ok(&a.body, logged_err, calls, resolver)),
        // `return ..` as an arm's value: `OkExits` checks it, the scan judges an `Err`.
        syn::Expr::Return(_) => logged_err,
        // `serve(conn).await.map_err(|e| { debug!(..); e.into() })`
        syn::Expr::MethodCall(_) if logged_err && logs_its_error(e) => true,
        _ => logged_err && passes_on_call(e, calls, resolver),
    }
}

/// Whether `e` is an awaited call whose value is the function's (a tail or a `return`):
/// recorded in `calls`, whose functions must log their errors for this exit to be logged.
fn passes_on_call(
    e: &syn::Expr,
    calls: &mut Option<Vec<FnRef>>,
    resolver: Option<&Resolver>,
) -> bool {
    let Some(calls) = calls else {
        return false;
    };
    let syn::Expr::Await(a) = e else {
        return false;
    };
    match callee(&a.base, resolver) {
        Some(call) => {
            calls.push(call);
            true
        }
        None => false,
    }
}

/// The function of the crate a call expression names, as [`FnRef`]: a path call (`helper(..)`,
/// `tcp::peer(..)`, `Self::handle(..)`), or a method called on `self` (qualified `Self`). A
/// method on another receiver is left out: its type is not known here, and a method of a
/// library type may share the name of one of the crate. With a `resolver`, a path that
/// resolves into another crate is left out too, and one that resolves into this crate is named
/// by its module or type.
fn callee(e: &syn::Expr, resolver: Option<&Resolver>) -> Option<FnRef> {
    match e {
        syn::Expr::Call(c) => {
            let syn::Expr::Path(p) = &*c.func else {
                return None;
            };
            crate_fn(&p.path, resolver)
        }
        syn::Expr::MethodCall(m) => {
            let syn::Expr::Path(r) = &*m.receiver else {
                return None;
            };
            r.path.is_ident("self").then(|| FnRef {
                name: m.method.to_string(),
                qualifier: Some("Self".into()),
                method_call: true,
                qualifier_by_name: false,
            })
        }
        syn::Expr::Paren(p) => callee(&p.expr, resolver),
        _ => None,
    }
}

/// A called path as a function of the crate (see [`callee`]): named by the module or type its
/// path resolves to, as written when it does not resolve, `None` when it resolves into another
/// crate.
pub(crate) fn crate_fn(path: &syn::Path, resolver: Option<&Resolver>) -> Option<FnRef> {
    let written = FnRef {
        name: path.segments.last()?.ident.to_string(),
        qualifier: qualifier(path),
        method_call: false,
        qualifier_by_name: false,
    };
    let Some(resolver) = resolver else {
        return Some(written);
    };
    if written.qualifier.as_deref() == Some("Self") {
        return Some(written);
    }
    let resolved = resolver.resolve(path);
    if let Some(rest) = resolved.strip_prefix("crate::") {
        // `use crate::tcp::peer as p;`: the function is `peer` of `tcp`.
        let mut segments = rest.rsplit("::");
        let name = segments.next()?.to_string();
        return Some(FnRef {
            name,
            qualifier: Some(segments.next().unwrap_or("crate").to_string()),
            ..written
        });
    }
    // Not resolved: a name of this module, or a type a glob import brings in, may be the
    // crate's; a module path that resolves elsewhere is another crate's.
    let unresolved = resolved
        .split("::")
        .eq(path.segments.iter().map(|s| s.ident.to_string()));
    let may_be_own = path.leading_colon.is_none()
        && (path.segments.len() == 1
            || written
                .qualifier
                .as_deref()
                .is_some_and(|q| q.starts_with(char::is_uppercase)));
    (unresolved && may_be_own).then_some(written)
}

/// The call whose error a `?` passes on, through error adapters (`map_err`, `context`) and an
/// `.await`: `helper(x).await.context("helper")?` passes on `helper`'s error.
fn tried_call(
    operand: &syn::Expr,
    knowledge: &Knowledge,
    resolver: Option<&Resolver>,
) -> Option<FnRef> {
    let mut e = operand;
    // Each step goes one call down the chain; the bound guards against pathological chains.
    for _ in 0..32 {
        e = match e {
            syn::Expr::MethodCall(m) if knowledge.is_error_adapter(&m.method.to_string()) => {
                &m.receiver
            }
            syn::Expr::Await(a) => &a.base,
            syn::Expr::Paren(p) => &p.expr,
            other => return callee(other, resolver),
        };
    }
    None
}

/// Whether a statement before the block's last one is a logging macro.
fn logs_before_tail(block: &syn::Block) -> bool {
    let n = block.stmts.len();
    block.stmts[..n.saturating_sub(1)].iter().any(stmt_logs)
}

/// Whether a statement is a logging macro (`error!(..);`, `tracing::warn!(..)`).
fn stmt_logs(stmt: &syn::Stmt) -> bool {
    match stmt {
        syn::Stmt::Macro(m) => macro_kinds::is_logging_macro(&macros::name(&m.mac)),
        syn::Stmt::Expr(syn::Expr::Macro(m), _) => {
            macro_kinds::is_logging_macro(&macros::name(&m.mac))
        }
        _ => false,
    }
}

/// Whether the operand of a `?` logs its error on the way: a method of
/// [`ERROR_INSPECTORS`](crate::knowledge::spawn::ERROR_INSPECTORS) in its chain whose closure runs a
/// logging macro (`read().await.inspect_err(|e| error!(%e)).context("read")`).
fn logs_its_error(operand: &syn::Expr) -> bool {
    let mut e = operand;
    // Each step goes one call down the chain; the bound guards against pathological chains.
    for _ in 0..32 {
        e = match e {
            syn::Expr::MethodCall(m) => {
                if crate::knowledge::spawn::ERROR_INSPECTORS
                    .contains(&m.method.to_string().as_str())
                    && m.args.first().is_some_and(closure_logs)
                {
                    return true;
                }
                &m.receiver
            }
            syn::Expr::Await(a) => &a.base,
            syn::Expr::Paren(p) => &p.expr,
            _ => return false,
        };
    }
    false
}

/// Whether an argument is a closure whose body runs a logging macro.
fn closure_logs(arg: &syn::Expr) -> bool {
    struct FindsLog(bool);
    impl<'ast> Visit<'ast> for FindsLog {
        fn visit_macro(&mut self, mac: &'ast syn::Macro) {
            self.0 |= macro_kinds::is_logging_macro(&macros::name(mac));
        }
    }
    let syn::Expr::Closure(c) = arg else {
        return false;
    };
    let mut finds = FindsLog(false);
    finds.visit_expr(&c.body);
    finds.0
}

/// Checks every `return` and `break value` of a body (not of its closures, async blocks or
/// items) for `Ok(..)`, and looks for error-returning macros.
struct OkExits<'r> {
    all_ok: bool,
    /// `return Err(..)` and error-returning macros were judged by a [`FailScan`] (all logged):
    /// they are accepted here.
    errors_judged: bool,
    /// When `Some`, a `return` of an awaited call is accepted and the call recorded (see
    /// [`error_exits`]).
    calls: Option<Vec<FnRef>>,
    resolver: Option<&'r Resolver>,
}

impl<'ast> Visit<'ast> for OkExits<'_> {
    fn visit_expr_return(&mut self, r: &'ast syn::ExprReturn) {
        let errors_judged = self.errors_judged;
        let judged = |e: &syn::Expr| {
            errors_judged && (matches!(ending(e), Ending::InErr(_)) || logs_its_error(e))
        };
        let (calls, resolver) = (&mut self.calls, self.resolver);
        if !r.expr.as_deref().is_some_and(|e| {
            ends_ok(e, false, &mut None, None) || judged(e) || passes_on_call(e, calls, resolver)
        }) {
            self.all_ok = false;
        }
        visit::visit_expr_return(self, r);
    }

    fn visit_expr_break(&mut self, b: &'ast syn::ExprBreak) {
        if b.expr
            .as_deref()
            .is_some_and(|e| !ends_ok(e, false, &mut None, None))
        {
            self.all_ok = false;
        }
        visit::visit_expr_break(self, b);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let name = macros::name(mac);
        if macro_kinds::ERROR_RETURNING_MACROS.contains(&name.as_str()) {
            self.all_ok &= self.errors_judged;
            return;
        }
        match macros::body(mac) {
            MacroBody::Exprs(exprs) => exprs.iter().for_each(|e| self.visit_expr(e)),
            MacroBody::Stmts(stmts) => stmts.iter().for_each(|s| self.visit_stmt(s)),
            MacroBody::Opaque => {}
        }
    }

    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}

    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// Finds `?`, `return Err(..)`, error-returning macros, unwrap-like methods and panicking
/// macros in a body, each error path sorted by whether it logs first.
struct FailScan<'k> {
    knowledge: &'k Knowledge,
    /// Names of the file, when known: see [`of_future_in`].
    resolver: Option<&'k Resolver>,
    error: Option<FailurePoint>,
    logged: Option<FailurePoint>,
    logged_if: Vec<(FailurePoint, FnRef)>,
    panic: Option<FailurePoint>,
    /// An earlier statement of the innermost block is a logging macro.
    logged_before: bool,
}

impl<'k> FailScan<'k> {
    fn new(knowledge: &'k Knowledge) -> Self {
        FailScan {
            knowledge,
            resolver: None,
            error: None,
            logged: None,
            logged_if: Vec::new(),
            panic: None,
            logged_before: false,
        }
    }

    fn error_path(&mut self, point: FailurePoint, logs: bool) {
        let first = if logs {
            &mut self.logged
        } else {
            &mut self.error
        };
        first.get_or_insert(point);
    }

    /// Scans a closure or async block, whose own `?` and `return` end it, not the task.
    fn scan_inner(&mut self, scan: impl FnOnce(&mut Self)) {
        let saved = (
            self.error.take(),
            self.logged.take(),
            std::mem::take(&mut self.logged_if),
            self.logged_before,
        );
        scan(self);
        (self.error, self.logged, self.logged_if, self.logged_before) = saved;
    }
}

impl<'ast> Visit<'ast> for FailScan<'_> {
    fn visit_block(&mut self, b: &'ast syn::Block) {
        let saved = std::mem::take(&mut self.logged_before);
        for stmt in &b.stmts {
            self.visit_stmt(stmt);
            self.logged_before |= stmt_logs(stmt);
        }
        self.logged_before = saved;
    }

    fn visit_expr_try(&mut self, t: &'ast syn::ExprTry) {
        let point = FailurePoint {
            how: FailureKind::Try,
            loc: Loc::from_span(t.question_token.span),
        };
        if logs_its_error(&t.expr) {
            self.error_path(point, true);
        } else if let Some(call) = tried_call(&t.expr, self.knowledge, self.resolver) {
            // Silent unless the callee logs every error it returns.
            self.logged_if.push((point, call));
        } else {
            self.error_path(point, false);
        }
        visit::visit_expr_try(self, t);
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        let method = m.method.to_string();
        if self.knowledge.is_unwrap_like(&method) && self.panic.is_none() {
            self.panic = Some(FailurePoint {
                how: FailureKind::Unwraps(method.clone()),
                loc: Loc::from_span(m.method.span()),
            });
        }
        if self.knowledge.is_spawn_name(&method) {
            // A task spawned from the task: its failures are its own.
            self.visit_expr(&m.receiver);
            return;
        }
        visit::visit_expr_method_call(self, m);
    }

    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if let syn::Expr::Path(p) = &*c.func
            && p.path
                .segments
                .last()
                .is_some_and(|s| self.knowledge.is_spawn_name(&s.ident.to_string()))
        {
            return;
        }
        visit::visit_expr_call(self, c);
    }

    fn visit_expr_return(&mut self, r: &'ast syn::ExprReturn) {
        if let Some(e) = &r.expr
            && let Ending::InErr(_) = ending(e)
        {
            let point = FailurePoint {
                how: FailureKind::ReturnsErr,
                loc: Loc::from_span(r.return_token.span),
            };
            self.error_path(point, self.logged_before);
        }
        visit::visit_expr_return(self, r);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        // Once an unlogged error path is known, nothing later changes how the body fails.
        if self.error.is_some() {
            return;
        }
        let name = macros::name(mac);
        if macro_kinds::ERROR_RETURNING_MACROS.contains(&name.as_str()) {
            let point = FailurePoint {
                how: FailureKind::ReturnsErr,
                loc: Loc::mac(mac),
            };
            self.error_path(point, self.logged_before);
            return;
        }
        if macro_kinds::PANICKING_MACROS.contains(&name.as_str()) {
            if self.panic.is_none() {
                self.panic = Some(FailurePoint {
                    how: FailureKind::PanicMacro(name),
                    loc: Loc::mac(mac),
                });
            }
            return;
        }
        match macros::body(mac) {
            MacroBody::Exprs(exprs) => exprs.iter().for_each(|e| self.visit_expr(e)),
            MacroBody::Stmts(stmts) => stmts.iter().for_each(|s| self.visit_stmt(s)),
            MacroBody::Opaque => {}
        }
    }

    fn visit_expr_closure(&mut self, c: &'ast syn::ExprClosure) {
        // A closure's own `?` and `return` end the closure, not the task; its panics are the
        // task's when it runs.
        self.scan_inner(|scan| visit::visit_expr_closure(scan, c));
    }

    fn visit_expr_async(&mut self, a: &'ast syn::ExprAsync) {
        self.scan_inner(|scan| scan.visit_block(&a.block));
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// The path of the function a spawned future ends in when that path resolves into another
/// crate: the future is the call itself (`shared::health::serve(addr)`, through future
/// wrappers such as `.instrument(span)`), or an async block whose tail awaits it. `None` for
/// a method call, a call of this crate and anything else: only a path says whose function it
/// is before the crate index looks.
pub(crate) fn other_crate_ending(
    future: &syn::Expr,
    knowledge: &Knowledge,
    resolver: &Resolver,
) -> Option<String> {
    let mut e = future;
    // Each step peels one wrapper; the bound guards against deep nesting.
    for _ in 0..16 {
        e = match e {
            syn::Expr::Async(a) => match a.block.stmts.last() {
                Some(syn::Stmt::Expr(syn::Expr::Await(aw), None)) => &aw.base,
                _ => return None,
            },
            syn::Expr::Paren(p) => &p.expr,
            syn::Expr::MethodCall(m) if knowledge.is_future_wrapper(&m.method.to_string()) => {
                &m.receiver
            }
            syn::Expr::Call(c) => {
                let syn::Expr::Path(p) = &*c.func else {
                    return None;
                };
                let name = p.path.segments.last()?.ident.to_string();
                if knowledge.is_future_wrapper_fn(&name) {
                    c.args.first()?
                } else {
                    if p.qself.is_some() || crate_fn(&p.path, Some(resolver)).is_some() {
                        return None;
                    }
                    let resolved = resolver.resolve(&p.path);
                    return (!resolved.starts_with("crate::") && resolved.contains("::"))
                        .then_some(resolved);
                }
            }
            _ => return None,
        };
    }
    None
}

/// The future a spawn argument evaluates to: the value of a block (its tail expression, after
/// the statements that prepare it) or of parentheses, else the argument itself.
pub(crate) fn spawned_value(e: &syn::Expr) -> &syn::Expr {
    let mut e = e;
    // Each step goes one level into the argument; the bound guards against deep nesting.
    for _ in 0..16 {
        e = match e {
            syn::Expr::Block(b) if b.label.is_none() => match b.block.stmts.last() {
                Some(syn::Stmt::Expr(tail, None)) => tail,
                _ => return e,
            },
            syn::Expr::Paren(p) => &p.expr,
            _ => return e,
        };
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(src: &str) -> BodyFailure {
        let expr: syn::Expr = syn::parse_str(src).expect("test future parses");
        of_future(&expr, &Knowledge::builtin())
    }

    #[test]
    fn a_question_mark_is_the_first_error_path() {
        let f = failure("async move { let x = store.load().await?; x.unwrap(); Ok(()) }");
        assert_eq!(f.error.as_ref().map(|e| &e.how), Some(&FailureKind::Try));
        assert_eq!(
            f.panic.as_ref().map(|p| &p.how),
            Some(&FailureKind::Unwraps("unwrap".into()))
        );
        assert_eq!(f.ends, Ending::Other);
        // the error value decides how it fails, whatever panics come with it
        assert!(matches!(
            f.mode(),
            Some(FailureMode::ErrorValue(FailurePoint {
                how: FailureKind::Try,
                ..
            }))
        ));
    }

    #[test]
    fn returning_or_ending_in_err_is_found() {
        let f = failure("async { if bad { return Err(e); } Ok(()) }");
        assert_eq!(f.error.map(|e| e.how), Some(FailureKind::ReturnsErr));
        let f = failure("async { work().await; Err(Error::Gone) }");
        assert!(f.error.is_none());
        assert!(matches!(f.ends, Ending::InErr(_)));
    }

    #[test]
    fn a_closure_s_question_mark_is_not_the_task_s_but_its_panics_are() {
        let f = failure(
            "async { items.iter().map(|x| -> Result<_, E> { Ok(x?) }); xs.for_each(|x| x.unwrap()); }",
        );
        assert!(f.error.is_none());
        assert_eq!(
            f.panic.map(|p| p.how),
            Some(FailureKind::Unwraps("unwrap".into()))
        );
    }

    #[test]
    fn tasks_spawned_from_the_task_and_items_are_not_scanned() {
        let f = failure(
            "async { tokio::spawn(async { x?; }); h.spawn(async { y.unwrap() }); fn g() -> R { z? } }",
        );
        assert_eq!(f, BodyFailure::default());
    }

    /// The kind of the body's failure mode, for short assertions.
    fn mode_of(src: &str) -> Option<String> {
        failure(src).mode().map(|m| match m {
            FailureMode::ErrorValue(p) => format!("error: {}", p.how.describe()),
            FailureMode::ErrorValueIfResult(call) => format!("error if `{}` fails", call.name),
            FailureMode::PanicOnly(p) => format!("panic: {}", p.how.describe()),
            FailureMode::ErrorValueUnlessLogged { tries, .. } => {
                format!("error unless `{}` logs", tries[0].name)
            }
        })
    }

    #[test]
    fn a_body_whose_only_failures_are_panics_fails_by_panicking() {
        for src in [
            // installing a signal handler, sending on a channel, a "cannot happen" branch
            "async { let s = signal(SignalKind::terminate()).expect(\"handler\"); s.recv().await; }",
            "async move { let r = compute().await; tx.send(r).await.unwrap(); }",
            "async move { match k { 0 => {} _ => unreachable!() } }",
            // an error turned into a panic by hand is a panic
            "async { if let Err(e) = ctrl_c().await { panic!(\"no handler: {e}\") } }",
            // a panic inside a closure the task runs is the task's
            "async move { items.for_each_concurrent(4, |i| async move { tx.send(i).await.expect(\"open\") }).await; }",
            // an inner block's `?` is that block's: the task only unwraps its result
            "async move { let r = async { step().await?; Ok::<_, E>(()) }.await; r.unwrap(); }",
        ] {
            let mode = mode_of(src);
            assert!(
                mode.as_deref().is_some_and(|m| m.starts_with("panic: ")),
                "{src}: {mode:?}"
            );
        }
        assert_eq!(
            mode_of("async { todo!() }").as_deref(),
            Some("panic: calls `todo!`, so it can panic")
        );
    }

    #[test]
    fn a_body_that_can_end_in_an_error_fails_by_an_error_value() {
        assert_eq!(
            mode_of("async { if bad { return Err(e); } x.unwrap(); Ok(()) }").as_deref(),
            Some("error: returns an `Err`")
        );
        assert_eq!(
            mode_of("async { work().await.expect(\"w\"); Err(Error::Gone) }").as_deref(),
            Some("error: ends in an `Err`")
        );
        assert_eq!(
            mode_of("async move { tx.send(1).await.unwrap(); run(cfg).await }").as_deref(),
            Some("error if `run` fails")
        );
        assert_eq!(
            mode_of("serve(listener)").as_deref(),
            Some("error if `serve` fails")
        );
    }

    #[test]
    fn a_body_that_handles_everything_does_not_fail() {
        for src in [
            "async { if let Err(e) = flush().await { tracing::error!(%e) } Ok::<_, E>(()) }",
            "async move { let v = parse(s).unwrap_or_default(); tx.send(v).await.ok(); }",
            "async { let r: Result<Vec<u32>, _> = xs.iter().map(|x| -> Result<u32, E> { Ok(x.get()?) }).collect(); log(r) }",
        ] {
            assert_eq!(mode_of(src), None, "{src}");
        }
    }

    #[test]
    fn an_error_path_that_logs_first_is_not_silent() {
        for src in [
            "async { let s = accept().await.inspect_err(|e| error!(%e))?; Ok(s) }",
            "async { let s = accept().await.map_err(|e| { tracing::warn!(%e); e }).context(\"x\")?; Ok(s) }",
            "async { let a = addr().ok_or_else(|| { log::error!(\"none\"); E })?; Ok(a) }",
            "async { match r { Ok(v) => v, Err(e) => { error!(%e); return Err(e) } }; Ok(()) }",
            "async { if bad { eprintln!(\"bad\"); anyhow::bail!(\"bad\") } Ok(()) }",
            "async { work().await; error!(\"gone\"); Err(Error::Gone) }",
        ] {
            let f = failure(src);
            assert!(f.error.is_none(), "{src}: {:?}", f.error);
            assert!(f.logged.is_some(), "{src}");
            assert_eq!(f.ends, Ending::Other, "{src}");
            assert_eq!(f.mode(), None, "{src}");
        }
    }

    #[test]
    fn a_log_that_belongs_to_another_exit_does_not_count() {
        for src in [
            // the log precedes an unrelated `?`
            "async { error!(\"start\"); let s = listener.accept().await?; Ok(s) }",
            // the log is in another block than the return
            "async { if let Err(e) = a().await { warn!(%e) } if b { return Err(E) } Ok(()) }",
            // a closure that only maps the error
            "async { let s = listener.accept().await.map_err(Wrapped)?; Ok(s) }",
            // an error-returning macro with no log before it
            "async { anyhow::ensure!(ok, \"not ok\"); Ok(()) }",
        ] {
            let f = failure(src);
            assert!(f.error.is_some(), "{src}");
            assert!(
                matches!(f.mode(), Some(FailureMode::ErrorValue(_))),
                "{src}"
            );
        }
        // a closure's logged return is the closure's, not the task's
        let f = failure("async { xs.iter().map(|x| { error!(\"x\"); return Err(x) }); Ok(()) }");
        assert_eq!(f, BodyFailure::default());
    }

    #[test]
    fn a_result_fn_that_logs_every_error_loses_none() {
        let k = Knowledge::builtin();
        let logged =
            |src: &str| every_error_logged(&syn::parse_str::<syn::Block>(src).unwrap(), &k);
        assert!(logged(
            "{ let s = connect().await.inspect_err(|e| error!(%e))?; Ok(()) }"
        ));
        assert!(logged(
            "{ match s.peer() { Ok(_) => Ok(()), Err(e) => { warn!(%e); Err(e) } } }"
        ));
        assert!(logged(
            "{ if bad { error!(\"bad\"); return Err(E); } Ok(()) }"
        ));
        assert!(logged("{ let _ = tx.send(1).await; Ok(()) }"));
        assert!(!logged("{ let s = connect().await?; Ok(()) }"));
        assert!(!logged(
            "{ match s.peer() { Ok(_) => Ok(()), Err(e) => Err(e) } }"
        ));
        assert!(!logged("{ if bad { return other().await; } Ok(()) }"));
        assert!(!logged("{ work().await }"));
        // a logged error is still an error: it can be the task's value
        let never = |src: &str| never_errs(&syn::parse_str::<syn::Block>(src).unwrap(), &k);
        assert!(!never(
            "{ if bad { error!(\"bad\"); return Err(E); } Ok(()) }"
        ));
    }

    #[test]
    fn a_question_mark_on_a_call_of_the_crate_waits_for_the_callee() {
        let f = failure(
            "async { let s = tcp::peer(x).await.context(\"peer\")?; self.greet().await?; Ok(s) }",
        );
        assert!(f.error.is_none());
        let calls: Vec<_> = f
            .logged_if
            .iter()
            .map(|(_, c)| (c.name.as_str(), c.qualifier.as_deref()))
            .collect();
        assert_eq!(calls, [("peer", Some("tcp")), ("greet", Some("Self"))]);
        assert!(matches!(
            f.mode(),
            Some(FailureMode::ErrorValueUnlessLogged { ends: None, .. })
        ));
        // a method on another receiver, or a combinator that adds errors of its own: silent
        for src in [
            "async { conn.peer().await?; Ok(()) }",
            "async { peer(x).await.and_then(check)?; Ok(()) }",
        ] {
            let f = failure(src);
            assert!(f.error.is_some() && f.logged_if.is_empty(), "{src}");
        }
        // a silent exit anywhere decides
        let f = failure("async { peer(x).await?; read().await.ok_or(E)?; Ok(()) }");
        assert!(matches!(f.mode(), Some(FailureMode::ErrorValue(_))));
    }

    #[test]
    fn a_function_s_error_exits_name_the_callees_it_passes_on() {
        let k = Knowledge::builtin();
        let exits = |src: &str| {
            error_exits(&syn::parse_str::<syn::Block>(src).unwrap(), &k)
                .map(|calls| calls.into_iter().map(|c| c.name).collect::<Vec<_>>())
        };
        assert_eq!(
            exits("{ let s = peer(x).await?; if bad { return serve(s).await; } finish(s).await }"),
            Some(vec!["peer".into(), "serve".into(), "finish".into()])
        );
        // a logging `map_err` on the tail logs it
        assert_eq!(
            exits("{ conn.serve().await.map_err(|e| { debug!(%e); e }) }"),
            Some(vec![])
        );
        assert_eq!(exits("{ conn.serve().await }"), None);
        assert_eq!(
            exits("{ peer(x).await?; conn.read().await?; Ok(()) }"),
            None
        );
    }

    #[test]
    fn calls_are_looked_through_wrappers_to_the_function_they_run() {
        let f = failure("Box::pin(worker::run(cfg).instrument(span))");
        assert_eq!(
            f.ends,
            Ending::InCall(FnRef {
                name: "run".into(),
                qualifier: Some("worker".into()),
                method_call: false,
                qualifier_by_name: false,
            })
        );
        let f = failure("async move { server.serve().await }");
        assert!(matches!(
            f.ends,
            Ending::InCall(FnRef {
                method_call: true,
                qualifier_by_name: false,
                ..
            })
        ));
        assert_eq!(failure("fut"), BodyFailure::default());
    }

    #[test]
    fn a_result_fn_that_handles_every_error_never_errs() {
        let k = Knowledge::builtin();
        let never = |src: &str| never_errs(&syn::parse_str::<syn::Block>(src).unwrap(), &k);
        assert!(never("{ let _ = tx.send(1).await; Ok(()) }"));
        assert!(never(
            "{ loop { match rx.recv().await { Some(m) => log(m), None => return Ok(()) } } }"
        ));
        assert!(never(
            "{ if done { return Ok(()); } let r = async { x? }; Ok(()) }"
        ));
        assert!(never("{ if a { Ok(1) } else { Ok(2) } }"));
        assert!(!never("{ work().await }"));
        assert!(!never("{ if a { return Err(e); } Ok(()) }"));
        assert!(!never("{ if a { return other().await; } Ok(()) }"));
        assert!(!never("{ anyhow::bail!(\"no\"); }"));
        assert!(!never("{ ensure!(a > 1, \"small\"); Ok(()) }"));
        assert!(!never("{ loop { if a { break Err(e); } } }"));
        assert!(!never("{ if a { Ok(1) } else { inner() } }"));
        assert!(!never("{ let v = f()?; Ok(v) }"));
    }
}
