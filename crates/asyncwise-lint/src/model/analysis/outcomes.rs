//! What happens after an awaited call returns, as far as the enclosing loop is concerned: the
//! [`Outcome`] on success and on error, read from the code that examines the `Result` (`match`
//! arms on `Ok`/`Err`, `if let`, `while let`, `let .. else`, `?`, `.unwrap()`, `.is_ok()` /
//! `.is_err()`, a bound result examined by the next statement) and from how the following
//! statements leave the flow (`continue` to this loop or an outer one, `break`, `return Err`,
//! `bail!`, panicking macros, `process::exit`). This is Rust control flow, kept apart from the
//! scan that collects the loop's facts ([`loops`](super::super::loops), which drives it with a
//! [`Flow`] per loop) so it can be tested on its own.

use super::super::Loc;
use super::super::loops::{Outcome, pat_names};
use super::super::macros;
use crate::knowledge::Knowledge;
use crate::knowledge::awaits::PROGRESS_MACROS;
use crate::knowledge::macros as macro_kinds;

/// The location of a call expression (through parentheses).
fn call_loc(e: &syn::Expr) -> Option<Loc> {
    match e {
        syn::Expr::Call(c) => Some(Loc::call(c)),
        syn::Expr::MethodCall(m) => Some(Loc::method_call(m)),
        syn::Expr::Paren(p) => call_loc(&p.expr),
        _ => None,
    }
}

/// How an awaited call's `Result` is handled right where it is awaited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handling {
    /// `call.await`: the value is examined by the surrounding code.
    Plain,
    /// `call.await?` (also through `map_err`/`context`).
    Try,
    /// `call.await.unwrap()`, `.expect(..)`.
    Unwrap,
    /// Passed through an adapter whose result is not examined here.
    Other,
}

/// The awaited call at the core of `e` and how its result is handled there.
fn awaited_core(e: &syn::Expr, knowledge: &Knowledge) -> Option<(Loc, Handling)> {
    match e {
        syn::Expr::Await(a) => call_loc(&a.base).map(|l| (l, Handling::Plain)),
        syn::Expr::Paren(p) => awaited_core(&p.expr, knowledge),
        syn::Expr::Try(t) => awaited_core(&t.expr, knowledge).map(|(l, _)| (l, Handling::Try)),
        syn::Expr::MethodCall(m) => {
            let name = m.method.to_string();
            let (loc, _) = awaited_core(&m.receiver, knowledge)?;
            if knowledge.is_unwrap_like(&name) {
                Some((loc, Handling::Unwrap))
            } else if knowledge.is_error_adapter(&name) {
                Some((loc, Handling::Other))
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Whether an arm's body reports a result and does nothing else: printing or logging macros,
/// perhaps followed by `continue`. A bare `continue` is no report: a read loop that skips a
/// frame it does not want (`Ok(_) => continue`) moves on to new data, it does not retry.
fn only_reports(body: &syn::Expr) -> bool {
    fn reports(m: &syn::Macro) -> bool {
        m.path
            .segments
            .last()
            .is_some_and(|s| PROGRESS_MACROS.contains(&s.ident.to_string().as_str()))
    }
    fn quiet_continue(e: &syn::Expr) -> bool {
        matches!(e, syn::Expr::Continue(c) if c.label.is_none())
    }
    match body {
        syn::Expr::Macro(m) => reports(&m.mac),
        syn::Expr::Block(b) => {
            let mut reported = false;
            let all = b.block.stmts.iter().all(|s| match s {
                syn::Stmt::Macro(m) => {
                    reported |= reports(&m.mac);
                    reports(&m.mac)
                }
                syn::Stmt::Expr(syn::Expr::Macro(m), _) => {
                    reported |= reports(&m.mac);
                    reports(&m.mac)
                }
                syn::Stmt::Expr(e, _) => quiet_continue(e),
                _ => false,
            });
            all && reported
        }
        _ => false,
    }
}

/// `Ok(..)` → `Some(true)`, `Err(..)` → `Some(false)`, anything else `None`.
///
/// A nested result (`Result<Result<T, E>, Elapsed>` of a `timeout`, `Result<Result<T, E>,
/// JoinError>` of a task) is read through its outer `Ok`: `Ok(Ok(..))` is the attempt's
/// success, `Ok(Err(..))` its failure, as `Err(..)` (it timed out, the task died) is.
fn ok_or_err(pat: &syn::Pat) -> Option<bool> {
    let path = match pat {
        syn::Pat::TupleStruct(t) => &t.path,
        syn::Pat::Path(p) => &p.path,
        syn::Pat::Paren(p) => return ok_or_err(&p.pat),
        _ => return None,
    };
    match path.segments.last()?.ident.to_string().as_str() {
        "Ok" => match pat {
            syn::Pat::TupleStruct(t) if t.elems.len() == 1 => {
                Some(t.elems.first().and_then(ok_or_err).unwrap_or(true))
            }
            _ => Some(true),
        },
        "Err" => Some(false),
        _ => None,
    }
}

/// The awaited call's outcomes, from the code that examines its result.
#[derive(Debug, Clone)]
pub(crate) struct Annotated {
    pub(crate) call: Loc,
    pub(crate) on_success: Outcome,
    pub(crate) on_error: Outcome,
    pub(crate) binds: Vec<String>,
}

/// Reads, for the awaited calls of one loop, what happens on success and on failure.
pub(crate) struct Flow<'l> {
    pub(crate) knowledge: &'l Knowledge,
    /// The loop's label: `continue 'label` goes round it, `continue 'other` leaves it.
    pub(crate) label: Option<&'l str>,
    pub(crate) outcomes: Vec<Annotated>,
}

impl Flow<'_> {
    fn push(&mut self, call: Loc, (on_success, on_error): (Outcome, Outcome), binds: Vec<String>) {
        self.outcomes.push(Annotated {
            call,
            on_success,
            on_error,
            binds,
        });
    }

    /// `while let Ok(..) = call.await { .. }` / `while let Err(..) = call.await { .. }`.
    pub(crate) fn while_let(&mut self, l: &syn::ExprLet, body: &syn::Block) {
        let Some((call, Handling::Plain)) = awaited_core(&l.expr, self.knowledge) else {
            return;
        };
        let round = self
            .diverges_block(&body.stmts)
            .unwrap_or(Outcome::GoesRound);
        let outcomes = match ok_or_err(&l.pat) {
            Some(true) => (round, Outcome::Leaves),
            Some(false) => (Outcome::Leaves, round),
            None => (Outcome::Unknown, Outcome::Unknown),
        };
        self.push(call, outcomes, pat_names(&l.pat));
    }

    /// `while call.await.is_err() { .. }`.
    pub(crate) fn while_cond(&mut self, cond: &syn::Expr, body: &syn::Block) {
        let Some((call, ok_means_true)) = checked_result(cond, self.knowledge) else {
            return;
        };
        let round = self
            .diverges_block(&body.stmts)
            .unwrap_or(Outcome::GoesRound);
        let outcomes = if ok_means_true {
            (round, Outcome::Leaves)
        } else {
            (Outcome::Leaves, round)
        };
        self.push(call, outcomes, Vec::new());
    }

    pub(crate) fn block(&mut self, stmts: &[syn::Stmt], rest: Outcome) {
        for i in 0..stmts.len() {
            let cont = self.after(stmts, i, rest);
            match &stmts[i] {
                syn::Stmt::Local(l) => self.local(l, stmts, i, rest, cont),
                syn::Stmt::Expr(e, _) => self.expr(e, cont),
                _ => {}
            }
        }
    }

    fn local(
        &mut self,
        l: &syn::Local,
        stmts: &[syn::Stmt],
        i: usize,
        rest: Outcome,
        cont: Outcome,
    ) {
        let Some(init) = &l.init else { return };
        if let Some((call, handling)) = awaited_core(&init.expr, self.knowledge) {
            let outcomes = match handling {
                Handling::Try => (cont, Outcome::Propagates),
                Handling::Unwrap => (cont, Outcome::Panics),
                Handling::Other => (cont, Outcome::Unknown),
                Handling::Plain => {
                    if let Some((_, els)) = &init.diverge {
                        let els = self.diverges(els).unwrap_or(Outcome::Unknown);
                        match ok_or_err(&l.pat) {
                            Some(true) => (cont, els),
                            Some(false) => (els, cont),
                            None => (Outcome::Unknown, Outcome::Unknown),
                        }
                    } else if let syn::Pat::Ident(name) = &l.pat
                        && let Some(syn::Stmt::Expr(next, _)) = stmts.get(i + 1)
                    {
                        let name = name.ident.to_string();
                        let is_name = |e: &syn::Expr| matches!(e, syn::Expr::Path(p) if p.path.is_ident(&name));
                        let cont_next = self.after(stmts, i + 1, rest);
                        self.examined(next, &is_name, cont_next)
                            .map_or((Outcome::Unknown, Outcome::Unknown), |(s, e, _)| (s, e))
                    } else {
                        (Outcome::Unknown, Outcome::Unknown)
                    }
                }
            };
            self.push(call, outcomes, pat_names(&l.pat));
        }
        self.expr(&init.expr, cont);
        if let Some((_, els)) = &init.diverge {
            self.expr(els, cont);
        }
    }

    /// Outcomes of a `match`/`if` whose scrutinee `is_subject` accepts.
    fn examined(
        &self,
        e: &syn::Expr,
        is_subject: &dyn Fn(&syn::Expr) -> bool,
        cont: Outcome,
    ) -> Option<(Outcome, Outcome, Vec<String>)> {
        match e {
            syn::Expr::Match(m) if is_subject(&m.expr) => Some(self.arms(&m.arms, cont)),
            syn::Expr::If(i) => {
                let branch = |b: &syn::Block| self.diverges_block(&b.stmts).unwrap_or(cont);
                let then = branch(&i.then_branch);
                let els = i
                    .else_branch
                    .as_ref()
                    .map_or(cont, |(_, e)| self.diverges(e).unwrap_or(cont));
                match &*i.cond {
                    syn::Expr::Let(l) if is_subject(&l.expr) => {
                        let binds = pat_names(&l.pat);
                        match ok_or_err(&l.pat)? {
                            true => Some((then, els, binds)),
                            false => Some((els, then, binds)),
                        }
                    }
                    cond => {
                        let ok_means_true = result_check(cond, is_subject)?;
                        Some(if ok_means_true {
                            (then, els, Vec::new())
                        } else {
                            (els, then, Vec::new())
                        })
                    }
                }
            }
            syn::Expr::Paren(p) => self.examined(&p.expr, is_subject, cont),
            _ => None,
        }
    }

    /// Success and error outcomes of `match` arms on a `Result`, with the names they bind.
    fn arms(&self, arms: &[syn::Arm], cont: Outcome) -> (Outcome, Outcome, Vec<String>) {
        let mut success = Vec::new();
        let mut error = Vec::new();
        let mut other = Vec::new();
        let mut binds = Vec::new();
        // `Ok(r) if accepted(&r) => break r, Ok(r) => warn!(..)`: the loop leaves on an
        // accepted result only, and an `Ok` arm that merely reports a rejected one (an HTTP
        // status that is not a success) goes round as a failure does. An `Ok` arm that does
        // anything else with the value is processing, and the arms stay mixed.
        let accepts_some = arms.iter().any(|arm| {
            arm.guard.is_some()
                && ok_or_err(&arm.pat) == Some(true)
                && self.diverges(&arm.body) == Some(Outcome::Leaves)
        });
        for arm in arms {
            let outcome = self.diverges(&arm.body).unwrap_or(cont);
            binds.extend(pat_names(&arm.pat));
            match ok_or_err(&arm.pat) {
                Some(true)
                    if accepts_some && outcome == Outcome::GoesRound && only_reports(&arm.body) =>
                {
                    error.push(outcome)
                }
                Some(true) => success.push(outcome),
                Some(false) => error.push(outcome),
                None => other.push(outcome),
            }
        }
        if success.is_empty() {
            success.extend(&other);
        }
        if error.is_empty() {
            error.extend(&other);
        }
        let all_same = |v: &[Outcome]| match v.split_first() {
            Some((first, rest)) if rest.iter().all(|o| o == first) => *first,
            _ => Outcome::Unknown,
        };
        // Going round after some failures (`Err(e) if transient(&e) => continue`) is a retry
        // of those failures.
        let on_error = if error.contains(&Outcome::GoesRound) {
            Outcome::GoesRound
        } else {
            all_same(&error)
        };
        (all_same(&success), on_error, binds)
    }

    fn expr(&mut self, e: &syn::Expr, cont: Outcome) {
        let subject =
            |s: &syn::Expr| matches!(awaited_core(s, self.knowledge), Some((_, Handling::Plain)));
        match e {
            syn::Expr::Match(m) => {
                if let Some((call, Handling::Plain)) = awaited_core(&m.expr, self.knowledge) {
                    let (s, er, binds) = self.arms(&m.arms, cont);
                    self.push(call, (s, er), binds);
                }
                for arm in &m.arms {
                    self.expr(&arm.body, cont);
                }
            }
            syn::Expr::If(i) => {
                let core = match &*i.cond {
                    syn::Expr::Let(l) => awaited_core(&l.expr, self.knowledge).map(|(c, _)| c),
                    cond => checked_result(cond, self.knowledge).map(|(c, _)| c),
                };
                if let Some(call) = core
                    && let Some((s, er, binds)) = self.examined(e, &subject, cont)
                {
                    self.push(call, (s, er), binds);
                }
                self.block(&i.then_branch.stmts, cont);
                if let Some((_, els)) = &i.else_branch {
                    self.expr(els, cont);
                }
            }
            syn::Expr::Block(b) => self.block(&b.block.stmts, cont),
            syn::Expr::Unsafe(b) => self.block(&b.block.stmts, cont),
            syn::Expr::Paren(p) => self.expr(&p.expr, cont),
            other => {
                if let Some((call, handling)) = awaited_core(other, self.knowledge) {
                    match handling {
                        Handling::Try => self.push(call, (cont, Outcome::Propagates), Vec::new()),
                        Handling::Unwrap => self.push(call, (cont, Outcome::Panics), Vec::new()),
                        Handling::Plain | Handling::Other => {}
                    }
                }
            }
        }
    }

    /// What the statements after `stmts[i]` do unconditionally, else `rest`.
    fn after(&self, stmts: &[syn::Stmt], i: usize, rest: Outcome) -> Outcome {
        stmts
            .get(i + 1..)
            .and_then(|tail| self.diverges_block(tail))
            .unwrap_or(rest)
    }

    /// The outcome of statements that unconditionally leave the normal flow, if they do.
    fn diverges_block(&self, stmts: &[syn::Stmt]) -> Option<Outcome> {
        stmts.iter().find_map(|s| match s {
            syn::Stmt::Expr(e, _) => self.diverges(e),
            syn::Stmt::Macro(m) => diverging_macro(&m.mac),
            _ => None,
        })
    }

    /// The outcome of an expression that unconditionally leaves the normal flow.
    fn diverges(&self, e: &syn::Expr) -> Option<Outcome> {
        let ours = |label: &Option<syn::Lifetime>| {
            label
                .as_ref()
                .is_none_or(|l| Some(l.ident.to_string().as_str()) == self.label)
        };
        match e {
            syn::Expr::Continue(c) => Some(if ours(&c.label) {
                Outcome::GoesRound
            } else {
                Outcome::Leaves
            }),
            syn::Expr::Break(_) => Some(Outcome::Leaves),
            syn::Expr::Return(r) => Some(match r.expr.as_deref() {
                Some(v) if is_err_value(v) => Outcome::Propagates,
                _ => Outcome::Leaves,
            }),
            syn::Expr::Try(t) if is_err_value(&t.expr) => Some(Outcome::Propagates),
            syn::Expr::Macro(m) => diverging_macro(&m.mac),
            syn::Expr::Call(c) => match &*c.func {
                syn::Expr::Path(p)
                    if p.path.segments.len() > 1
                        && p.path.segments.last().is_some_and(|s| s.ident == "exit") =>
                {
                    Some(Outcome::Leaves)
                }
                _ => None,
            },
            syn::Expr::Block(b) => self.diverges_block(&b.block.stmts),
            syn::Expr::Unsafe(b) => self.diverges_block(&b.block.stmts),
            syn::Expr::Paren(p) => self.diverges(&p.expr),
            syn::Expr::If(i) => {
                let then = self.diverges_block(&i.then_branch.stmts)?;
                let els = self.diverges(&i.else_branch.as_ref()?.1)?;
                (then == els).then_some(then)
            }
            syn::Expr::Match(m) => {
                let mut arms = m.arms.iter().map(|a| self.diverges(&a.body));
                let first = arms.next()??;
                arms.all(|o| o == Some(first)).then_some(first)
            }
            _ => None,
        }
    }
}

/// `Err(..)`, `Err(..).into()`, `Err(e.into())`.
fn is_err_value(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Call(c) => matches!(&*c.func, syn::Expr::Path(p)
            if p.path.segments.last().is_some_and(|s| s.ident == "Err")),
        syn::Expr::MethodCall(m) => is_err_value(&m.receiver),
        syn::Expr::Paren(p) => is_err_value(&p.expr),
        _ => false,
    }
}

/// `panic!`/`unreachable!` panic; `bail!` returns an error.
fn diverging_macro(mac: &syn::Macro) -> Option<Outcome> {
    let name = macros::name(mac);
    if macro_kinds::PANICKING_MACROS.contains(&name.as_str()) {
        Some(Outcome::Panics)
    } else if name == "bail" {
        Some(Outcome::Propagates)
    } else {
        None
    }
}

/// `call.await.is_ok()` (true: `Ok` makes the condition true), `call.await.is_err()`, and
/// their negations: the awaited call and what `true` means.
fn checked_result(cond: &syn::Expr, knowledge: &Knowledge) -> Option<(Loc, bool)> {
    match cond {
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Not(_)) => {
            checked_result(&u.expr, knowledge).map(|(c, ok)| (c, !ok))
        }
        syn::Expr::Paren(p) => checked_result(&p.expr, knowledge),
        syn::Expr::MethodCall(m) if m.args.is_empty() => {
            let ok = match m.method.to_string().as_str() {
                "is_ok" => true,
                "is_err" => false,
                _ => return None,
            };
            match awaited_core(&m.receiver, knowledge)? {
                (call, Handling::Plain) => Some((call, ok)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Like [`checked_result`], for a subject `is_subject` accepts (`r.is_ok()` on a bound result).
fn result_check(cond: &syn::Expr, is_subject: &dyn Fn(&syn::Expr) -> bool) -> Option<bool> {
    match cond {
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Not(_)) => {
            result_check(&u.expr, is_subject).map(|ok| !ok)
        }
        syn::Expr::Paren(p) => result_check(&p.expr, is_subject),
        syn::Expr::MethodCall(m) if m.args.is_empty() && is_subject(&m.receiver) => {
            match m.method.to_string().as_str() {
                "is_ok" => Some(true),
                "is_err" => Some(false),
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::loops::LoopKind;
    use super::super::super::loops::tests::{model, outcomes};
    use super::*;
    #[test]
    fn match_arms_give_success_and_error_outcomes() {
        let got = outcomes(
            "async fn f() { loop { match connect().await { Ok(s) => break s, Err(_) => log() } } }",
        );
        assert_eq!(
            got,
            [("connect".into(), Outcome::Leaves, Outcome::GoesRound)]
        );
    }

    #[test]
    fn a_question_mark_propagates_and_the_rest_of_the_body_decides_success() {
        let got =
            outcomes("async fn f() { loop { let n = r.read().await?; if n == 0 { break; } } }");
        assert_eq!(
            got,
            [("read".into(), Outcome::GoesRound, Outcome::Propagates)]
        );
    }

    #[test]
    fn a_bound_result_is_read_from_the_next_statement() {
        let got = outcomes(
            "async fn f() { loop { let r = db.insert().await; match r { Ok(()) => return, Err(e) if e.retry() => continue, Err(_) => panic!() } } }",
        );
        assert_eq!(
            got,
            [("insert".into(), Outcome::Leaves, Outcome::GoesRound)]
        );
    }

    #[test]
    fn while_let_err_retries_until_success() {
        let got = outcomes("async fn f() { while let Err(e) = register().await { warn(e); } }");
        assert_eq!(
            got,
            [("register".into(), Outcome::Leaves, Outcome::GoesRound)]
        );
        let (loops, _) = model("async fn f() { while let Some(m) = rx.recv().await { go(m); } }");
        assert_eq!(loops[0].kind, LoopKind::WhileLet);
        assert_eq!(loops[0].awaits[0].binds, ["m"]);
        assert!(loops[0].awaits[0].in_header);
    }

    #[test]
    fn labelled_continue_to_an_outer_loop_leaves_the_inner_one() {
        let src = "async fn f() { 'outer: loop { loop { match a().await { Ok(_) => break, Err(_) => continue 'outer } } } }";
        let (loops, _) = model(src);
        let inner = &loops[1];
        assert_eq!(inner.awaits[0].on_error, Outcome::Leaves);
        assert!(loops[0].awaits[0].nested);
    }

    #[test]
    fn let_else_on_ok_takes_the_else_as_the_error_outcome() {
        let got = outcomes(
            "async fn f() { loop { let Ok(c) = connect().await else { continue }; serve(c).await; break; } }",
        );
        assert_eq!(
            got,
            [
                ("connect".into(), Outcome::Leaves, Outcome::GoesRound),
                ("serve".into(), Outcome::Unknown, Outcome::Unknown)
            ]
        );
    }

    #[test]
    fn an_is_err_check_whose_branch_bails_propagates_the_error() {
        let got =
            outcomes("async fn f() { loop { if send().await.is_err() { bail!(\"gone\") } } }");
        assert_eq!(
            got,
            [("send".into(), Outcome::GoesRound, Outcome::Propagates)]
        );
        // negated: `Ok` makes the condition false
        let got = outcomes("async fn f() { loop { if !send().await.is_ok() { return; } } }");
        assert_eq!(got, [("send".into(), Outcome::GoesRound, Outcome::Leaves)]);
    }

    #[test]
    fn exiting_and_panicking_arms_leave_or_panic() {
        let got = outcomes(
            "async fn f() { loop { match bind().await { Ok(l) => break l, Err(_) => std::process::exit(1) } } }",
        );
        assert_eq!(got, [("bind".into(), Outcome::Leaves, Outcome::Leaves)]);
        let got = outcomes(
            "async fn f() { loop { match bind().await { Ok(_) => {} Err(e) => panic!(\"{e}\") } } }",
        );
        assert_eq!(got, [("bind".into(), Outcome::GoesRound, Outcome::Panics)]);
        // `.unwrap()` where it is awaited panics on error; the rest of the body decides success
        let got = outcomes(
            "async fn f() { loop { let n = read().await.unwrap(); if n == 0 { break } } }",
        );
        assert_eq!(got, [("read".into(), Outcome::GoesRound, Outcome::Panics)]);
    }

    #[test]
    fn a_nested_result_is_read_through_its_outer_ok() {
        // `timeout(..)`'s `Result<Result<T, E>, Elapsed>`: only `Ok(Ok(..))` succeeds
        let got = outcomes(
            "async fn f() { loop { match timeout(d, connect()).await { Ok(Ok(s)) => break s, Ok(Err(e)) => log(e), Err(_) => log2() } } }",
        );
        assert_eq!(
            got,
            [("timeout".into(), Outcome::Leaves, Outcome::GoesRound)]
        );
        // an inner value that is no result stays a success
        let got = outcomes(
            "async fn f() { loop { match timeout(d, rx.recv()).await { Ok(Some(m)) => go(m), Ok(None) => break, Err(_) => continue } } }",
        );
        assert_eq!(got[0].2, Outcome::GoesRound);
        assert_ne!(got[0].1, Outcome::Leaves);
    }

    #[test]
    fn an_ok_arm_that_only_reports_a_rejected_result_is_a_failure() {
        let got = outcomes(
            "async fn f() { loop { match post().await { Ok(r) if r.ok() => break, Ok(r) => eprintln!(\"{r}\"), Err(e) => warn!(\"{e}\") } } }",
        );
        assert_eq!(got, [("post".into(), Outcome::Leaves, Outcome::GoesRound)]);
        // the value is processed, not rejected: a read loop's arms stay mixed
        let got = outcomes(
            "async fn f() { loop { match read().await { Ok(n) if n == 0 => break, Ok(n) => buf.extend(n), Err(_) => continue } } }",
        );
        assert_eq!(got, [("read".into(), Outcome::Unknown, Outcome::GoesRound)]);
        // without a guard, `Ok` arms that disagree are still unknown
        let got = outcomes(
            "async fn f() { loop { match poll().await { Ok(Some(_)) => break, Ok(None) => info!(\"idle\"), Err(_) => continue } } }",
        );
        assert_eq!(got, [("poll".into(), Outcome::Unknown, Outcome::GoesRound)]);
        // a frame skipped without a word: a scan of new data, not a retry
        let got = outcomes(
            "async fn f() { loop { match read().await { Ok(h) if h.ok() => return h, Ok(_) => continue, Err(_) => { warn!(\"x\"); continue } } } }",
        );
        assert_eq!(got, [("read".into(), Outcome::Unknown, Outcome::GoesRound)]);
        // a rejected result logged in a block, then `continue`
        let got = outcomes(
            "async fn f() { loop { match post().await { Ok(r) if r.ok() => break, Ok(r) => { warn!(\"{r}\"); continue } Err(_) => {} } } }",
        );
        assert_eq!(got, [("post".into(), Outcome::Leaves, Outcome::GoesRound)]);
    }

    #[test]
    fn arms_that_disagree_on_success_are_unknown() {
        let got = outcomes(
            "async fn f() { loop { match poll().await { Ok(Some(x)) => break x, Ok(None) => continue, Err(_) => return } } }",
        );
        assert_eq!(got, [("poll".into(), Outcome::Unknown, Outcome::Leaves)]);
    }
}
