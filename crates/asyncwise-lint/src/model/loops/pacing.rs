//! What paces a loop or a body (timers and backoffs, by the knowledge's delay table or a
//! helper named after a delay) and what bounds its attempts (a counter compared with a limit,
//! a deadline or an elapsed time compared, a one-shot flag, candidates used up). Read by `retry_without_backoff` through
//! [`LoopFact::delays`](super::LoopFact::delays), [`LoopFact::attempt_bound`](super::LoopFact::attempt_bound)
//! and [`BodyFacts::paced_bodies`](super::BodyFacts::paced_bodies).

use syn::visit::{self, Visit};

use super::super::Loc;
use super::super::resolve::Resolver;
use super::{Delay, names_used, place, visit_macro_code};
use crate::knowledge::{Knowledge, pacing};

/// Whether the code `visit` shows to a [`PaceScan`] waits or bounds its attempts.
pub(super) fn paces(
    resolver: &Resolver,
    knowledge: &Knowledge,
    visit: impl FnOnce(&mut PaceScan<'_>),
) -> bool {
    let mut pace = PaceScan::new(resolver, knowledge);
    visit(&mut pace);
    !pace.delays.is_empty() || pace.attempt_bound().is_some()
}

/// Finds what paces a loop (timers, backoffs) and what bounds its attempts (counters compared
/// with a limit, deadlines).
pub(super) struct PaceScan<'a> {
    pub(super) resolver: &'a Resolver,
    pub(super) knowledge: &'a Knowledge,
    pub(super) delays: Vec<Delay>,
    /// Places changed by `+=`, `-=` or `x = x + ..`.
    pub(super) counters: Vec<String>,
    /// Places compared, with the comparison.
    pub(super) compared: Vec<(String, Loc)>,
    /// A comparison of a deadline or an elapsed time.
    pub(super) deadline: Option<Loc>,
    /// Places assigned a `bool` literal (`retried = true`), with the value.
    pub(super) flag_sets: Vec<(String, bool)>,
    /// Flags a condition tests as a `bool` where the code it guards leaves the loop or sets the
    /// flag (`if retried { return .. }`, `Err(e) if !retried => { retried = true; .. }`), with
    /// the condition.
    pub(super) tested: Vec<(String, Loc)>,
    /// Names a `let` of the scanned code binds: a flag declared inside a loop starts afresh
    /// each round.
    pub(super) let_bound: Vec<String>,
    /// `let Some(c) = candidates.pop() else { .. }`: a candidate taken out of a collection,
    /// whose `else` (it must diverge) runs once none is left.
    pub(super) exhausted: Option<Loc>,
    /// Places whose size is compared (`!candidates.is_empty()`, `candidates.len() > 0`), with
    /// the comparison.
    pub(super) size_tested: Vec<(String, Loc)>,
    /// Places handed by `&mut` to a call (`sample(&mut candidates)`): the callee may take
    /// items out of them.
    pub(super) handed_mut: Vec<String>,
}

impl<'a> PaceScan<'a> {
    pub(super) fn new(resolver: &'a Resolver, knowledge: &'a Knowledge) -> Self {
        PaceScan {
            resolver,
            knowledge,
            delays: Vec::new(),
            counters: Vec::new(),
            compared: Vec::new(),
            deadline: None,
            flag_sets: Vec::new(),
            tested: Vec::new(),
            let_bound: Vec::new(),
            exhausted: None,
            size_tested: Vec::new(),
            handed_mut: Vec::new(),
        }
    }

    /// What bounds the attempts of the scanned code: a deadline or elapsed time compared, a
    /// counter (or a collection or bit set of candidates that shrinks) compared with a limit,
    /// a one-shot flag, or candidates taken out until none is left.
    pub(super) fn attempt_bound(&self) -> Option<Loc> {
        self.deadline
            .or_else(|| {
                self.compared
                    .iter()
                    .find(|(place, _)| self.counters.contains(place))
                    .map(|(_, loc)| *loc)
            })
            .or_else(|| self.one_shot_flag())
            .or(self.exhausted)
            .or_else(|| self.drained_by_callee())
    }

    /// A collection whose size the code compares and which it hands by `&mut` to a call
    /// (`while !variants.is_empty() { let v = sample(&mut variants)?; .. }`): the loop tests
    /// it for emptiness and nothing but the callee can take items out, so the callee does,
    /// and each round uses up a candidate.
    fn drained_by_callee(&self) -> Option<Loc> {
        self.size_tested
            .iter()
            .find(|(place, _)| self.handed_mut.contains(place))
            .map(|(_, loc)| *loc)
    }

    /// Records the places `args` hands by `&mut`.
    fn hand_mut<'e>(&mut self, args: impl IntoIterator<Item = &'e syn::Expr>) {
        for arg in args {
            if let syn::Expr::Reference(r) = arg
                && r.mutability.is_some()
            {
                self.handed_mut.extend(compared_place(&r.expr));
            }
        }
    }

    /// A flag the code only ever sets to one value and tests (`if !retried { retried = true;
    /// continue }`): once set it stays set, so the path it guards runs once. A flag also set
    /// back, or declared by a `let` of the scanned code (fresh each round), bounds nothing.
    fn one_shot_flag(&self) -> Option<Loc> {
        self.tested.iter().find_map(|(flag, loc)| {
            let mut values = self
                .flag_sets
                .iter()
                .filter(|(place, _)| place == flag)
                .map(|(_, value)| *value);
            let first = values.next()?;
            (values.all(|v| v == first) && !self.let_bound.contains(flag)).then_some(*loc)
        })
    }

    /// Records the flags `cond` tests when the code it guards runs at most once per flag or
    /// ends the attempts: it leaves the loop (`if retried { return Err(e) }`), or sets the flag
    /// and goes round (`if !retried { retried = true; continue }`, a match arm
    /// `Err(e) if !retried => { retried = true; .. }`). A flag only logged on (`if !first {
    /// warn!(..) }`) bounds nothing.
    fn test(&mut self, cond: &syn::Expr, guarded: Guarded<'_>) {
        let mut places = Vec::new();
        tested_places(cond, &mut places);
        for flag in places {
            let sets = |e: &dyn Fn(&mut Exits)| {
                let mut exits = Exits {
                    flag: &flag,
                    ..Exits::default()
                };
                e(&mut exits);
                exits
            };
            let bounds = match guarded {
                Guarded::Then(block) => {
                    let exits = sets(&|x| x.visit_block(block));
                    exits.leaves || exits.sets_flag && exits.goes_round
                }
                Guarded::Arm(body) => sets(&|x| x.visit_expr(body)).sets_flag,
            };
            if bounds {
                self.tested.push((flag, Loc::expr(cond)));
            }
        }
    }
}

/// The code a condition on a flag guards.
#[derive(Clone, Copy)]
enum Guarded<'a> {
    /// An `if`'s `then` block.
    Then(&'a syn::Block),
    /// A guarded match arm's body.
    Arm(&'a syn::Expr),
}

/// The places a condition tests as a `bool`: the condition itself, through `!`, parentheses
/// and the operands of `&&` and `||`.
fn tested_places(cond: &syn::Expr, out: &mut Vec<String>) {
    match cond {
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Not(_)) => tested_places(&u.expr, out),
        syn::Expr::Paren(p) => tested_places(&p.expr, out),
        syn::Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_) | syn::BinOp::Or(_)) => {
            tested_places(&b.left, out);
            tested_places(&b.right, out);
        }
        syn::Expr::Path(_) | syn::Expr::Field(_) => out.push(place(cond)),
        _ => {}
    }
}

/// What guarded code does: leaves (`return`, `break`), goes round (`continue`), sets the flag.
#[derive(Default)]
struct Exits<'f> {
    flag: &'f str,
    leaves: bool,
    goes_round: bool,
    sets_flag: bool,
}

impl<'ast> Visit<'ast> for Exits<'_> {
    fn visit_expr_return(&mut self, r: &'ast syn::ExprReturn) {
        self.leaves = true;
        visit::visit_expr_return(self, r);
    }
    fn visit_expr_break(&mut self, b: &'ast syn::ExprBreak) {
        self.leaves = true;
        visit::visit_expr_break(self, b);
    }
    fn visit_expr_continue(&mut self, c: &'ast syn::ExprContinue) {
        self.goes_round = true;
        visit::visit_expr_continue(self, c);
    }
    fn visit_expr_assign(&mut self, a: &'ast syn::ExprAssign) {
        if compared_place(&a.left).as_deref() == Some(self.flag)
            && matches!(
                &*a.right,
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Bool(_),
                    ..
                })
            )
        {
            self.sets_flag = true;
        }
        visit::visit_expr_assign(self, a);
    }
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        // `bail!(..)` leaves like a `return Err(..)`.
        if mac.path.segments.last().is_some_and(|s| s.ident == "bail") {
            self.leaves = true;
        }
    }
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

fn names_delay(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    pacing::DELAY_NAME_WORDS.iter().any(|w| lower.contains(w))
}

/// The place a comparison or an assignment reads or writes (`n`, `self.attempts`), through
/// `*n`, `(n)` and `n as u64`; `None` for anything else (no text is made for it).
fn compared_place(e: &syn::Expr) -> Option<String> {
    match e {
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => compared_place(&u.expr),
        syn::Expr::Paren(p) => compared_place(&p.expr),
        syn::Expr::Cast(c) => compared_place(&c.expr),
        syn::Expr::Path(_) | syn::Expr::Field(_) => Some(place(e)),
        // `candidates.len()`, `mask.count_ones()` compared: the collection's or bit set's size.
        syn::Expr::MethodCall(m)
            if (m.method == "len" || m.method == "count_ones") && m.args.is_empty() =>
        {
            compared_place(&m.receiver)
        }
        _ => None,
    }
}

/// `start.elapsed()`, `deadline`, `self.deadline`, `Instant::now()`, a binding named after the
/// time spent (`elapsed_time = now - start`): a side of a comparison that measures time.
fn measures_time(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::MethodCall(m) => {
            matches!(m.method.to_string().as_str(), "elapsed" | "duration_since")
                || measures_time(&m.receiver)
        }
        syn::Expr::Call(c) => matches!(&*c.func, syn::Expr::Path(p)
            if p.path.segments.last().is_some_and(|s| s.ident == "now")),
        syn::Expr::Path(p) => p
            .path
            .segments
            .last()
            .is_some_and(|s| names_time_spent(&s.ident.to_string())),
        syn::Expr::Field(f) => {
            matches!(&f.member, syn::Member::Named(n) if names_time_spent(&n.to_string()))
        }
        syn::Expr::Paren(p) => measures_time(&p.expr),
        syn::Expr::Unary(u) => measures_time(&u.expr),
        _ => false,
    }
}

fn names_time_spent(name: &str) -> bool {
    name.contains("deadline") || name.contains("elapsed")
}

impl<'ast> Visit<'ast> for PaceScan<'_> {
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if let syn::Expr::Path(p) = &*c.func
            && let Some(last) = p.path.segments.last()
        {
            let name = last.ident.to_string();
            // Resolve only what may be a timer: a call whose last segments, as written, end a
            // row of the delay table (`sleep`, `Timer::after`), or a helper named after a delay.
            let written = match p.path.segments.len() {
                1 => format!("::{name}"),
                n => format!("::{}::{name}", p.path.segments[n - 2].ident),
            };
            let may_be_timer = self
                .knowledge
                .delay_fns
                .iter()
                .any(|f| f.ends_with(&written));
            if names_delay(&name)
                || may_be_timer && self.knowledge.is_delay_fn(&self.resolver.resolve(&p.path))
            {
                self.delays.push(Delay {
                    loc: Loc::call(c),
                    what: name,
                });
            }
        }
        self.hand_mut(&c.args);
        visit::visit_expr_call(self, c);
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        let name = m.method.to_string();
        if pacing::DELAY_METHODS.contains(&name.as_str()) || names_delay(&name) {
            self.delays.push(Delay {
                loc: Loc::method_call(m),
                what: name,
            });
        } else if pacing::SHRINKING_METHODS.contains(&name.as_str()) {
            // Candidates taken out of a collection count down like a counter.
            self.counters.extend(compared_place(&m.receiver));
        } else if name == "is_empty" && m.args.is_empty() {
            let tested = compared_place(&m.receiver).map(|p| (p, Loc::method_call(m)));
            self.compared.extend(tested.clone());
            self.size_tested.extend(tested);
        }
        self.hand_mut(&m.args);
        visit::visit_expr_method_call(self, m);
    }

    fn visit_expr_binary(&mut self, b: &'ast syn::ExprBinary) {
        use syn::BinOp;
        match b.op {
            // `mask &= !(1 << i)`, `left ^= bit`: a bit set of candidates cleared one by one.
            BinOp::AddAssign(_)
            | BinOp::SubAssign(_)
            | BinOp::BitAndAssign(_)
            | BinOp::BitXorAssign(_) => {
                self.counters.extend(compared_place(&b.left));
            }
            BinOp::Lt(_)
            | BinOp::Le(_)
            | BinOp::Gt(_)
            | BinOp::Ge(_)
            | BinOp::Eq(_)
            | BinOp::Ne(_) => {
                let loc = Loc::of(&b.op);
                for side in [&*b.left, &*b.right] {
                    if self.deadline.is_none() && measures_time(side) {
                        self.deadline = Some(loc);
                    }
                    self.compared.extend(compared_place(side).map(|p| (p, loc)));
                    if let syn::Expr::MethodCall(m) = side
                        && m.method == "len"
                    {
                        self.size_tested
                            .extend(compared_place(&m.receiver).map(|p| (p, loc)));
                    }
                }
            }
            _ => {}
        }
        visit::visit_expr_binary(self, b);
    }

    fn visit_expr_assign(&mut self, a: &'ast syn::ExprAssign) {
        if let Some(target) = compared_place(&a.left) {
            if names_used(&a.right).contains(&target) {
                self.counters.push(target);
            } else if let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Bool(value),
                ..
            }) = &*a.right
            {
                self.flag_sets.push((target, value.value));
            }
        }
        visit::visit_expr_assign(self, a);
    }

    fn visit_expr_if(&mut self, i: &'ast syn::ExprIf) {
        self.test(&i.cond, Guarded::Then(&i.then_branch));
        visit::visit_expr_if(self, i);
    }

    fn visit_arm(&mut self, arm: &'ast syn::Arm) {
        if let Some((_, guard)) = &arm.guard {
            self.test(guard, Guarded::Arm(&arm.body));
        }
        visit::visit_arm(self, arm);
    }

    fn visit_local(&mut self, l: &'ast syn::Local) {
        self.let_bound.extend(super::pat_names(&l.pat));
        if let Some(init) = &l.init
            && init.diverge.is_some()
            && let syn::Expr::MethodCall(m) = &*init.expr
            && pacing::SHRINKING_METHODS.contains(&m.method.to_string().as_str())
            && self.exhausted.is_none()
        {
            self.exhausted = Some(Loc::method_call(m));
        }
        visit::visit_local(self, l);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        visit_macro_code(self, mac);
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

#[cfg(test)]
mod tests {
    use super::super::tests::model;
    #[test]
    fn delays_and_attempt_bounds_are_found() {
        let (loops, _) = model(
            "use tokio::time::sleep; async fn f() { let mut n = 0; loop { if go().await.is_ok() { break } n += 1; if n > 3 { return } sleep(D).await; } }",
        );
        assert_eq!(loops[0].delays.len(), 1);
        assert!(loops[0].attempt_bound.is_some());
        let (loops, _) = model("async fn f() { loop { if go().await.is_ok() { break } x > 3; } }");
        assert!(loops[0].delays.is_empty());
        assert!(
            loops[0].attempt_bound.is_none(),
            "x is compared but never counted"
        );
    }

    #[test]
    fn deadlines_and_counters_updated_by_assignment_bound_attempts() {
        let (loops, _) = model(
            "async fn f() { loop { if go().await.is_ok() { break } if Instant::now() > deadline { return } } }",
        );
        assert!(loops[0].attempt_bound.is_some(), "a deadline compared");
        let (loops, _) = model(
            "async fn f() { loop { let elapsed_time = Instant::now() - start; if elapsed_time >= limit { return } if go().await.is_ok() { break } } }",
        );
        assert!(loops[0].attempt_bound.is_some(), "the time spent compared");
        let (loops, _) = model(
            "async fn f() { loop { if go().await.is_ok() { break } tries = tries + 1; if tries >= MAX { return } } }",
        );
        assert!(
            loops[0].attempt_bound.is_some(),
            "a local counted by `x = x + 1`"
        );
        assert!(loops[0].delays.is_empty());
    }

    #[test]
    fn timers_by_table_method_or_helper_name_pace_a_loop() {
        for body in [
            "tokio::time::sleep(d).await;",
            "interval.tick().await;",
            "self.backoff(attempt).await;",
            "wait_before_retry_with_cooldown().await;",
        ] {
            let src =
                format!("async fn f() {{ loop {{ if go().await.is_ok() {{ break }} {body} }} }}");
            let (loops, _) = model(&src);
            assert_eq!(loops[0].delays.len(), 1, "{body}");
        }
        // `sleep` written as a free function but resolved elsewhere is not the table's timer,
        // and names nothing like a delay
        let (loops, _) =
            model("async fn f() { loop { if go().await.is_ok() { break } my::pause(d).await; } }");
        assert!(loops[0].delays.is_empty());
    }
}
