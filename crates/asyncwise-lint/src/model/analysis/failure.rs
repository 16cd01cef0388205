//! Can a spawned body fail? The ways a future handed to a spawner can end in an error or a
//! panic, as facts: its first error path (`?`, `return Err(..)`), its first panic (an
//! unwrap-like method, a panicking macro), whether a panic can happen while it runs, and how
//! it ends (in an `Err`, or in an awaited call of a function whose result it returns).
//!
//! This is Rust semantics, not a rule: `detached_task` turns these facts into its verdict
//! (which of them make a finding, which only its pedantic form). The scan includes the closures
//! and async blocks the body runs (`for_each_concurrent(.., |x| async move { .. })`), whose
//! panics are the task's, but not their own `?` and `return` (which end the closure), nor the
//! tasks the body spawns itself, nor nested items.

use syn::visit::{self, Visit};

use crate::facts::FnRef;
use crate::knowledge::macros as macro_kinds;
use crate::knowledge::{Knowledge, spawn};
use crate::model::Loc;
use crate::model::macros::{self, MacroBody};

/// How a body can fail, as far as its own code shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BodyFailure {
    /// The first error path in source order: the body can end in an error there.
    pub error: Option<FailurePoint>,
    /// The first panic in source order.
    pub panic: Option<FailurePoint>,
    /// Some panic can happen while the body runs: not only `unreachable!()`, an unwrap of a
    /// set-up call (installing a signal handler), which panic at start-up or never, or an
    /// unwrap of a lock's poisoning, which only repeats an earlier panic.
    pub panics_while_running: bool,
    /// How the body ends.
    pub ends: Ending,
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
/// let fut: syn::Expr = syn::parse_str("async move { let n = read().await?; Ok(n) }").unwrap();
/// let f = of_future(&fut, &Knowledge::builtin());
/// assert_eq!(f.error.unwrap().how, FailureKind::Try);
/// ```
pub fn of_future(future: &syn::Expr, knowledge: &Knowledge) -> BodyFailure {
    match future {
        syn::Expr::Async(a) => {
            let mut scan = FailScan::new(knowledge);
            scan.visit_block(&a.block);
            let ends = match a.block.stmts.last() {
                Some(syn::Stmt::Expr(tail, None)) => ending(tail),
                _ => Ending::Other,
            };
            BodyFailure {
                error: scan.error,
                panic: scan.panic,
                panics_while_running: scan.real_panic,
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
                return c
                    .args
                    .first()
                    .map_or_else(BodyFailure::default, |a| of_future(a, knowledge));
            }
            ends_in(Ending::InCall(FnRef {
                name,
                qualifier: qualifier(&p.path),
                method_call: false,
            }))
        }
        syn::Expr::MethodCall(m) => {
            let name = m.method.to_string();
            if knowledge.is_future_wrapper(&name) {
                return of_future(&m.receiver, knowledge);
            }
            ends_in(Ending::InCall(FnRef {
                name,
                qualifier: None,
                method_call: true,
            }))
        }
        syn::Expr::Paren(p) => of_future(&p.expr, knowledge),
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
                    })
                }),
                _ => Ending::Other,
            },
            syn::Expr::MethodCall(m) => Ending::InCall(FnRef {
                name: m.method.to_string(),
                qualifier: None,
                method_call: true,
            }),
            _ => Ending::Other,
        },
        _ => Ending::Other,
    }
}

/// Is `e` a lock call whose `Result` says only whether the lock is poisoned (`m.lock()`,
/// `rw.read()`, `rw.write()`, no argument)? Unwrapping it panics only after another thread
/// panicked while holding the lock: the panic repeats one already reported, it adds no way to
/// fail.
fn is_std_lock_call(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::MethodCall(m) => {
            m.args.is_empty()
                && crate::knowledge::locks::UNWRAPPED_GUARD_METHODS
                    .iter()
                    .any(|(l, _)| m.method == l)
        }
        syn::Expr::Paren(p) => is_std_lock_call(&p.expr),
        _ => false,
    }
}

/// Is `e` the wait for a task spawned in this body (`handle.await` with `let handle =
/// tokio::spawn(..)`, `tokio::spawn(..).await`, `thread.join()`)? Unwrapping its result only
/// re-raises a panic of that task, already printed by the panic hook.
fn is_inner_join(e: &syn::Expr, handles: &[String], knowledge: &Knowledge) -> bool {
    let (waited, how) = match e {
        syn::Expr::Await(a) => (&*a.base, "await"),
        syn::Expr::MethodCall(m) if m.args.is_empty() => (&*m.receiver, &*m.method.to_string()),
        syn::Expr::Paren(p) => return is_inner_join(&p.expr, handles, knowledge),
        _ => return false,
    };
    spawn::JOIN_RESULT_WAITS.contains(&how) && spawns_or_names_a_handle(waited, handles, knowledge)
}

/// Is `e` a spawn call, or a name bound to one in this body?
fn spawns_or_names_a_handle(e: &syn::Expr, handles: &[String], knowledge: &Knowledge) -> bool {
    match e {
        syn::Expr::Path(p) => p
            .path
            .get_ident()
            .is_some_and(|i| handles.iter().any(|h| i == h)),
        syn::Expr::Call(c) => matches!(&*c.func, syn::Expr::Path(p)
            if p.path.segments.last().is_some_and(|s| knowledge.is_spawn_name(&s.ident.to_string()))),
        syn::Expr::MethodCall(m) => knowledge.is_spawn_name(&m.method.to_string()),
        syn::Expr::Paren(p) => spawns_or_names_a_handle(&p.expr, handles, knowledge),
        _ => false,
    }
}

/// Does `e` (a receiver chain) call a set-up function (`signal(..)`, `ctrl_c()`), as a function
/// or a method?
fn receiver_sets_up(e: &syn::Expr, knowledge: &Knowledge) -> bool {
    match e {
        syn::Expr::Call(c) => match &*c.func {
            syn::Expr::Path(p) => p
                .path
                .segments
                .last()
                .is_some_and(|s| knowledge.is_task_setup_call(&s.ident.to_string())),
            _ => false,
        },
        syn::Expr::MethodCall(m) => {
            knowledge.is_task_setup_call(&m.method.to_string())
                || receiver_sets_up(&m.receiver, knowledge)
        }
        syn::Expr::Await(a) => receiver_sets_up(&a.base, knowledge),
        syn::Expr::Try(t) => receiver_sets_up(&t.expr, knowledge),
        syn::Expr::Paren(p) => receiver_sets_up(&p.expr, knowledge),
        _ => false,
    }
}

/// Finds `?`, `return Err(..)`, unwrap-like methods and panicking macros in a body.
struct FailScan<'k> {
    knowledge: &'k Knowledge,
    error: Option<FailurePoint>,
    panic: Option<FailurePoint>,
    /// A panic that can happen while the body runs (not a set-up or "cannot happen" one).
    real_panic: bool,
    /// Names bound to the handle of a task the body spawns (`let h = tokio::spawn(..)`).
    handles: Vec<String>,
}

impl<'k> FailScan<'k> {
    fn new(knowledge: &'k Knowledge) -> Self {
        FailScan {
            knowledge,
            error: None,
            panic: None,
            real_panic: false,
            handles: Vec::new(),
        }
    }
}

impl<'ast> Visit<'ast> for FailScan<'_> {
    fn visit_expr_try(&mut self, t: &'ast syn::ExprTry) {
        if self.error.is_none() {
            self.error = Some(FailurePoint {
                how: FailureKind::Try,
                loc: Loc::from_span(t.question_token.span),
            });
        }
        visit::visit_expr_try(self, t);
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        let method = m.method.to_string();
        if self.knowledge.is_unwrap_like(&method) {
            if self.panic.is_none() {
                self.panic = Some(FailurePoint {
                    how: FailureKind::Unwraps(method.clone()),
                    loc: Loc::from_span(m.method.span()),
                });
            }
            if !self.real_panic {
                self.real_panic = !receiver_sets_up(&m.receiver, self.knowledge)
                    && !is_std_lock_call(&m.receiver)
                    && !is_inner_join(&m.receiver, &self.handles, self.knowledge);
            }
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

    fn visit_local(&mut self, l: &'ast syn::Local) {
        if let (syn::Pat::Ident(name), Some(init)) = (&l.pat, &l.init)
            && spawns_or_names_a_handle(&init.expr, &[], self.knowledge)
        {
            self.handles.push(name.ident.to_string());
        }
        visit::visit_local(self, l);
    }

    fn visit_expr_return(&mut self, r: &'ast syn::ExprReturn) {
        if self.error.is_none()
            && let Some(e) = &r.expr
            && let Ending::InErr(_) = ending(e)
        {
            self.error = Some(FailurePoint {
                how: FailureKind::ReturnsErr,
                loc: Loc::from_span(r.return_token.span),
            });
        }
        visit::visit_expr_return(self, r);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        // Once an error path is known, panics no longer change anything.
        if self.error.is_some() {
            return;
        }
        let name = macros::name(mac);
        if macro_kinds::PANICKING_MACROS.contains(&name.as_str()) {
            self.real_panic |= !spawn::CANNOT_HAPPEN_MACROS.contains(&name.as_str());
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
        let saved = self.error.take();
        visit::visit_expr_closure(self, c);
        self.error = saved;
    }

    fn visit_expr_async(&mut self, a: &'ast syn::ExprAsync) {
        let saved = self.error.take();
        visit::visit_block(self, &a.block);
        self.error = saved;
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}
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
        let f = failure("async move { let x = load().await?; x.unwrap(); Ok(()) }");
        assert_eq!(f.error.map(|e| e.how), Some(FailureKind::Try));
        assert_eq!(
            f.panic.map(|p| p.how),
            Some(FailureKind::Unwraps("unwrap".into()))
        );
        assert!(f.panics_while_running);
        assert_eq!(f.ends, Ending::Other);
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

    #[test]
    fn panics_that_cannot_happen_once_running_are_marked() {
        let f = failure(
            "async { let s = signal(SignalKind::terminate()).expect(\"handler\"); unreachable!() }",
        );
        assert!(f.panic.is_some() && !f.panics_while_running);
        let f = failure("async { todo!() }");
        assert_eq!(
            f.panic.map(|p| p.how),
            Some(FailureKind::PanicMacro("todo".into()))
        );
        assert!(f.panics_while_running);
    }

    #[test]
    fn unwrapping_an_inner_task_s_result_only_repeats_its_panic() {
        let f = failure(
            "async move { let h = tokio::spawn(fetch()); let t = std::thread::spawn(work); \
             let v = h.await.unwrap(); t.join().expect(\"worker\"); tokio::spawn(x).await.unwrap() }",
        );
        assert!(f.panic.is_some() && !f.panics_while_running);
        // a handle from elsewhere (a parameter, a field) may be another task's
        let f = failure("async move { handle.await.unwrap() }");
        assert!(f.panics_while_running);
        // awaiting something else and unwrapping it is a real panic
        let f = failure("async move { let h = tokio::spawn(fetch()); tx.send(1).await.unwrap() }");
        assert!(f.panics_while_running);
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
            })
        );
        let f = failure("async move { server.serve().await }");
        assert!(matches!(
            f.ends,
            Ending::InCall(FnRef {
                method_call: true,
                ..
            })
        ));
        assert_eq!(failure("fut"), BodyFailure::default());
    }
}
