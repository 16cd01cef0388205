//! What paces a loop or a body (timers and backoffs, by the knowledge's delay table or a
//! helper named after a delay) and what bounds its attempts (a counter compared with a limit,
//! a deadline or an elapsed time compared). Read by `retry_without_backoff` through
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
    let mut pace = PaceScan {
        resolver,
        knowledge,
        delays: Vec::new(),
        counters: Vec::new(),
        compared: Vec::new(),
        deadline: None,
    };
    visit(&mut pace);
    !pace.delays.is_empty()
        || pace.deadline.is_some()
        || pace
            .compared
            .iter()
            .any(|(place, _)| pace.counters.contains(place))
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
        // `candidates.len()` compared: the collection's size.
        syn::Expr::MethodCall(m) if m.method == "len" && m.args.is_empty() => {
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
            self.compared
                .extend(compared_place(&m.receiver).map(|p| (p, Loc::method_call(m))));
        }
        visit::visit_expr_method_call(self, m);
    }

    fn visit_expr_binary(&mut self, b: &'ast syn::ExprBinary) {
        use syn::BinOp;
        match b.op {
            BinOp::AddAssign(_) | BinOp::SubAssign(_) => {
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
                }
            }
            _ => {}
        }
        visit::visit_expr_binary(self, b);
    }

    fn visit_expr_assign(&mut self, a: &'ast syn::ExprAssign) {
        if let Some(target) = compared_place(&a.left)
            && names_used(&a.right).contains(&target)
        {
            self.counters.push(target);
        }
        visit::visit_expr_assign(self, a);
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
