//! Loops and statement sequences of async bodies, as facts: what each loop's iteration awaits,
//! what happens after a failed or a successful call, whether something paces or bounds the
//! loop, and which state-changing method calls a block makes with awaits between them.
//!
//! A cheap pass over async bodies only (the walker calls [`scan_block`] where it scans guards):
//! each loop is read once for its flow and once for timers and counters. Awaits inside closures,
//! async blocks and items belong to other bodies and are left out, as `analysis/guards.rs` does.
//!
//! Rules own the verdicts (is this a retry, an inline accept, a cleanup skipped on cancel);
//! this module only says what the code does. Outcomes are read from syntax: `match` arms on
//! `Ok`/`Err`, `if let`/`while let`/`let .. else` on them, `?`, `.is_ok()`/`.is_err()`, and a
//! `let r = call.await;` examined by the statement right after it.
//!
//! One file per concern, beside this one (kept as `loops.rs` rather than `loops/mod.rs` so that
//! branches editing the facts merge without a rename): what happens after an awaited call's
//! `Result` (success and error: goes round, leaves, propagates, panics) is Rust control flow
//! and lives with the other analyses, in [`analysis::outcomes`](super::analysis::outcomes);
//! `iteration` collects a loop iteration's awaited calls and `let`s; `pacing` finds timers,
//! attempt counters and deadlines; `sequences` finds state-changing calls and whether an `if`
//! reads their state first. This file holds the facts, the body scan that drives them, and
//! the syntax helpers they share.

mod failure_path;
mod iteration;
mod pacing;
mod sequences;

use syn::visit::{self, Visit};

use super::Loc;
use super::analysis::outcomes::Flow;
use super::macros::{self, MacroBody};
use super::resolve::Resolver;
use crate::knowledge::Knowledge;
use crate::knowledge::macros as macro_kinds;
use iteration::IterationScan;
use pacing::{PaceScan, paces};
use sequences::ReadPlaces;

/// What kind of loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoopKind {
    /// `loop { .. }`.
    Loop,
    /// `while cond { .. }`.
    While,
    /// `while let P = e { .. }`.
    WhileLet,
    /// `for p in e { .. }`.
    For,
}

impl LoopKind {
    /// How people name it in messages.
    pub fn describe(self) -> &'static str {
        match self {
            LoopKind::Loop => "`loop`",
            LoopKind::While | LoopKind::WhileLet => "`while` loop",
            LoopKind::For => "`for` loop",
        }
    }
}

/// What happens after a call returns, as far as the enclosing loop is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The loop goes round again (a `continue`, or the path falls through to the body's end).
    GoesRound,
    /// The loop is left (`break`, `return`, a `continue`/`break` to an outer loop, exiting).
    Leaves,
    /// The error is passed to the caller (`?`, `return Err(..)`, `bail!`).
    Propagates,
    /// The code panics (`unwrap`, `expect`, `panic!`).
    Panics,
    /// Not read from the code (mixed arms, a result used some other way).
    Unknown,
}

/// A call whose future is awaited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwaitedCall {
    /// The method's name, or a function's last path segment.
    pub name: String,
    /// A function's resolved path (`tokio::time::timeout`); `None` for methods.
    pub path: Option<String>,
    /// A method's receiver place as written, whitespace removed (`self.listener`, `conn`).
    pub receiver: Option<String>,
    /// How many arguments the call passes.
    pub arg_count: usize,
    /// For a call that races a future against a deadline (`timeout(d, tx.send(x))`,
    /// `tx.send(x).timeout(d)`): the raced call's method name or function's last segment. The
    /// deadline only bounds how long that call may take; what it does is the raced call's.
    pub raced: Option<String>,
    /// The call expression.
    pub loc: Loc,
}

/// An awaited call made by a loop's iteration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoopAwait {
    /// The call.
    pub call: AwaitedCall,
    /// Made in the loop's header (the `while` condition or the iterated expression).
    pub in_header: bool,
    /// Made inside a loop nested in this one.
    pub nested: bool,
    /// Names its result is bound to (a `let` pattern, `while let`/`if let` patterns, `match`
    /// arm patterns).
    pub binds: Vec<String>,
    /// Names its receiver and arguments use.
    pub uses: Vec<String>,
    /// What the loop does when the call succeeds (`Ok`).
    pub on_success: Outcome,
    /// What the loop does when it fails (`Err`).
    pub on_error: Outcome,
}

/// A `let` of a loop's iteration: names it binds from names it uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetFact {
    /// Bound names.
    pub binds: Vec<String>,
    /// Names the initialiser uses.
    pub uses: Vec<String>,
    /// The statement.
    pub loc: Loc,
}

/// Something that makes a loop wait: a timer, an interval tick, a backoff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delay {
    /// The call.
    pub loc: Loc,
    /// What it is (`tokio::time::sleep`, `tick`).
    pub what: String,
}

/// One loop of an async body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoopFact {
    /// Its kind.
    pub kind: LoopKind,
    /// Its keyword.
    pub loc: Loc,
    /// Its body (the block, not the header).
    pub body: Loc,
    /// The awaited calls of its iteration (header and body; not in closures or async blocks).
    pub awaits: Vec<LoopAwait>,
    /// Its `let` statements (not in closures or async blocks), in source order.
    pub lets: Vec<LetFact>,
    /// Timers, ticks and backoffs anywhere inside it.
    pub delays: Vec<Delay>,
    /// A comparison that bounds its attempts: a counter changed in the loop compared with a
    /// limit, or a deadline or elapsed time compared.
    pub attempt_bound: Option<Loc>,
    /// `break`s and `return`s that leave it (not `?`), in source order.
    pub leaves: Vec<Loc>,
    /// Spawn calls its iteration makes (a spawn function, or a spawn-like method such as
    /// `handle.spawn(..)`), outside closures and async blocks, in source order.
    pub spawns: Vec<Loc>,
    /// The iteration's first awaited call, when its failure path `continue`s back to the head
    /// with no delay on the way: no timer before it in the iteration or in its `Err` arm, so
    /// the loop's delays (after it) run only on the success path.
    pub fails_past_delays: Option<Loc>,
    /// A `loop` whose iteration takes its next item from a source that runs out, in a
    /// statement of its body that leaves the loop once none is left (`let Some(entry) =
    /// dir.next_entry().await? else { break };`, `let job = match queue.pop_front() { Some(j)
    /// => j, None => return };`): the source call (the `let`'s initialiser or the `match`'s
    /// scrutinee). Going round moves on to new input, as in a `while let` over the source.
    pub next_item: Option<Loc>,
}

/// A call that may enter or leave a state (see [`Knowledge::is_cleanup_method`]), made as a
/// statement: a method call (`self.active.fetch_add(1, ..);`) or a helper function
/// (`metrics::inc_connections();`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateCall {
    /// The method's or the helper's name.
    pub method: String,
    /// The receiver place as written, whitespace removed (`self.active`, `gauge!("open")`);
    /// for a helper, its path without its name (`metrics`, empty for a bare name).
    pub receiver: String,
    /// The first argument as written, whitespace removed.
    pub first_arg: Option<String>,
    /// The call sits in a branch of an `if` whose condition reads the same receiver's value
    /// (`if busy.load(..) == 0 { busy.fetch_add(1, ..) }`): the call is made only when the
    /// code has looked at the state first.
    pub checked: bool,
    /// The call.
    pub loc: Loc,
    /// The branches it sits in.
    pub branches: BranchPath,
    /// It sits in code that runs on a failure: a `match` arm on `Err(..)`, the `then` branch of
    /// `if let Err(..)` or `if r.is_err()`, the `else` of `if let Ok(..)` or `if r.is_ok()`.
    pub on_error: bool,
    /// A later statement of its own block leaves that block for good: what runs after the
    /// call is that `return`, `break` or `continue`, never the code after the block.
    pub path_end: Option<PathEnd>,
}

/// How the path through a statement ends when a later statement of its block diverges
/// ([`StateCall::path_end`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathEnd {
    /// `return`: the body ends.
    Return,
    /// `break` out of the loop with this body.
    Break(Loc),
    /// `continue` of the loop with this body: the path goes on at the loop's start.
    Continue(Loc),
}

/// The arms of the `if`s and `match`es around a point of a body, outermost first, as
/// (branching expression, arm) pairs numbered in the body's order. Two points in different arms
/// of one branching expression never run in the same pass through it: an `enter` in the
/// `ProgressStart` arm and a `leave` in the `ProgressEnd` arm of one `match` are not a pair.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BranchPath(Vec<(u32, u32)>);

impl BranchPath {
    /// Whether one pass through the body can reach both points: no branching expression holds
    /// them in different arms.
    pub fn meets(&self, other: &BranchPath) -> bool {
        self.0.iter().all(|(id, arm)| {
            other
                .0
                .iter()
                .all(|(other_id, other_arm)| other_id != id || other_arm == arm)
        })
    }
}

/// An await or an early exit of a body, with the branches it sits in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyPoint {
    /// The `.await`, awaiting macro, `?` or `return`.
    pub loc: Loc,
    /// The branches it sits in.
    pub branches: BranchPath,
    /// A `return` in code that runs on a success, and in no failure branch: the `then` of
    /// `if let Ok(..)` or `if r.is_ok()`, a `match` arm on `Ok(..)`, the `else` of
    /// `if let Err(..)` or `if r.is_err()`.
    pub on_success: bool,
}

/// An async body with at least two state calls, and its await points (both in source order,
/// at any block depth; closures, async blocks and macro bodies left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceFact {
    /// The async body: a fn's or async block's block, or an async closure's body.
    pub body: Loc,
    /// The state calls.
    pub calls: Vec<StateCall>,
    /// Its `.await`s and awaiting macros (`select!`, `join!`).
    pub awaits: Vec<BodyPoint>,
    /// Its early exits: each `?` and `return` (in source order).
    pub early_exits: Vec<BodyPoint>,
}

/// What the pass found in one async body.
#[derive(Debug, Default)]
pub struct BodyFacts {
    /// Every loop.
    pub loops: Vec<LoopFact>,
    /// Bodies with state calls.
    pub sequences: Vec<SequenceFact>,
    /// Bodies that wait or bound attempts themselves (a timer, a backoff, a counter compared
    /// with a limit, a deadline): a loop that retries a call of such a fn is paced by it.
    pub paced_bodies: Vec<Loc>,
}

/// Scans an async body (a fn's or an async block's).
pub fn scan_block(block: &syn::Block, resolver: &Resolver, knowledge: &Knowledge) -> BodyFacts {
    let mut s = BodyScan {
        resolver,
        knowledge,
        out: BodyFacts::default(),
        state_calls: Vec::new(),
        awaits: Vec::new(),
        early_exits: Vec::new(),
        branches: BranchPath::default(),
        branchings: 0,
        macro_depth: 0,
        read_places: Vec::new(),
        error_arms: 0,
        success_arms: 0,
        loop_bodies: Vec::new(),
        path_end: None,
    };
    s.visit_block(block);
    let mut facts = s.finish(Loc::block(block));
    if paces(resolver, knowledge, |p| p.visit_block(block)) {
        facts.paced_bodies.push(Loc::block(block));
    }
    facts
}

/// Scans an async closure's body.
pub fn scan_expr(expr: &syn::Expr, resolver: &Resolver, knowledge: &Knowledge) -> BodyFacts {
    let mut s = BodyScan {
        resolver,
        knowledge,
        out: BodyFacts::default(),
        state_calls: Vec::new(),
        awaits: Vec::new(),
        early_exits: Vec::new(),
        branches: BranchPath::default(),
        branchings: 0,
        macro_depth: 0,
        read_places: Vec::new(),
        error_arms: 0,
        success_arms: 0,
        loop_bodies: Vec::new(),
        path_end: None,
    };
    s.visit_expr(expr);
    s.finish(Loc::expr(expr))
}

struct BodyScan<'a> {
    resolver: &'a Resolver,
    knowledge: &'a Knowledge,
    out: BodyFacts,
    state_calls: Vec<StateCall>,
    awaits: Vec<BodyPoint>,
    early_exits: Vec<BodyPoint>,
    /// The arms being visited, outermost first, and the number of branching expressions seen.
    branches: BranchPath,
    branchings: u32,
    /// Macro bodies being visited.
    macro_depth: usize,
    /// Places whose value the conditions of the enclosing `if`s read (`busy` in
    /// `if busy.load(..) == 0`).
    read_places: Vec<String>,
    /// Error branches being visited (see [`StateCall::on_error`]).
    error_arms: usize,
    /// Success branches being visited (see [`BodyPoint::on_success`]).
    success_arms: usize,
    /// The bodies of the loops being visited, innermost last, with their labels.
    loop_bodies: Vec<(Option<String>, Loc)>,
    /// How the path through the statement being visited ends (see [`StateCall::path_end`]).
    path_end: Option<PathEnd>,
}

impl BodyScan<'_> {
    /// Numbers a new `if` or `match`.
    fn branching(&mut self) -> u32 {
        self.branchings += 1;
        self.branchings
    }

    /// Visits one arm of branching expression `id`.
    fn in_arm(&mut self, id: u32, arm: u32, visit: impl FnOnce(&mut Self)) {
        self.branches.0.push((id, arm));
        visit(self);
        self.branches.0.pop();
    }

    /// Visits code that runs on a failure when `on_error`.
    fn in_error(&mut self, on_error: bool, visit: impl FnOnce(&mut Self)) {
        self.error_arms += usize::from(on_error);
        visit(self);
        self.error_arms -= usize::from(on_error);
    }

    /// Visits code that runs on a failure (`Some(true)`) or on a success (`Some(false)`).
    fn in_outcome(&mut self, on_error: Option<bool>, visit: impl FnOnce(&mut Self)) {
        let on_success = on_error == Some(false);
        self.success_arms += usize::from(on_success);
        self.in_error(on_error == Some(true), visit);
        self.success_arms -= usize::from(on_success);
    }

    fn point(&self, loc: Loc) -> BodyPoint {
        BodyPoint {
            loc,
            branches: self.branches.clone(),
            on_success: false,
        }
    }

    fn finish(mut self, body: Loc) -> BodyFacts {
        if self.state_calls.len() >= 2 {
            self.out.sequences.push(SequenceFact {
                body,
                calls: self.state_calls,
                awaits: self.awaits,
                early_exits: self.early_exits,
            });
        }
        self.out
    }
}

impl BodyScan<'_> {
    fn loop_fact(
        &self,
        kind: LoopKind,
        loc: Loc,
        label: Option<&syn::Label>,
        header: Option<&syn::Expr>,
        body: &syn::Block,
    ) -> LoopFact {
        let label = label.map(|l| l.name.ident.to_string());
        let mut flow = Flow {
            knowledge: self.knowledge,
            label: label.as_deref(),
            outcomes: Vec::new(),
        };
        if kind == LoopKind::WhileLet
            && let Some(syn::Expr::Let(l)) = header
        {
            flow.while_let(l, body);
        } else if kind == LoopKind::While
            && let Some(cond) = header
        {
            flow.while_cond(cond, body);
        }
        flow.block(&body.stmts, Outcome::GoesRound);
        let mut collect = IterationScan {
            resolver: self.resolver,
            knowledge: self.knowledge,
            spawns: Vec::new(),
            label: label.as_deref(),
            leaves: Vec::new(),
            let_binds: Vec::new(),
            outcomes: &flow.outcomes,
            awaits: Vec::new(),
            lets: Vec::new(),
            depth: 0,
            in_header: true,
        };
        if let Some(h) = header {
            collect.visit_expr(h);
        }
        collect.in_header = false;
        collect.visit_block(body);
        let mut pace = PaceScan::new(self.resolver, self.knowledge);
        if let Some(h) = header {
            pace.visit_expr(h);
        }
        pace.visit_block(body);
        let attempt_bound = pace.attempt_bound();
        let fails_past_delays = if pace.delays.is_empty() {
            None
        } else {
            failure_path::fails_past_delays(
                self.resolver,
                self.knowledge,
                label.as_deref(),
                header,
                body,
            )
        };
        LoopFact {
            kind,
            loc,
            body: Loc::block(body),
            awaits: collect.awaits,
            lets: collect.lets,
            delays: pace.delays,
            attempt_bound,
            leaves: collect.leaves,
            spawns: collect.spawns,
            fails_past_delays,
            next_item: if kind == LoopKind::Loop {
                body.stmts.iter().find_map(next_item_source)
            } else {
                None
            },
        }
    }
}

/// The source call of a statement that takes a loop's next item and leaves the loop when
/// none is left: `let P = SOURCE else { <diverges> };`, or a `match SOURCE { .. }` (as a
/// statement or a `let`'s initialiser) with an arm on `None` that diverges. SOURCE is a call of
/// a method that hands out the next item ([`pacing::NEXT_ITEM_METHODS`]), through `.await`, `?`
/// and parentheses.
///
/// [`pacing::NEXT_ITEM_METHODS`]: crate::knowledge::pacing::NEXT_ITEM_METHODS
fn next_item_source(stmt: &syn::Stmt) -> Option<Loc> {
    let takes_next = |e: &syn::Expr| {
        let mut e = e;
        loop {
            e = match e {
                syn::Expr::Await(a) => &a.base,
                syn::Expr::Try(t) => &t.expr,
                syn::Expr::Paren(p) => &p.expr,
                syn::Expr::MethodCall(m) => {
                    return crate::knowledge::pacing::NEXT_ITEM_METHODS
                        .contains(&m.method.to_string().as_str());
                }
                _ => return false,
            };
        }
    };
    let match_on_next = |e: &syn::Expr| match e {
        syn::Expr::Match(m) if takes_next(&m.expr) => m
            .arms
            .iter()
            .any(|arm| pat_mentions_none(&arm.pat) && always_leaves(&arm.body))
            .then(|| Loc::expr(&m.expr)),
        _ => None,
    };
    match stmt {
        syn::Stmt::Local(l) => {
            let init = l.init.as_ref()?;
            match &init.diverge {
                Some(_) if takes_next(&init.expr) => Some(Loc::expr(&init.expr)),
                Some(_) => None,
                None => match_on_next(&init.expr),
            }
        }
        syn::Stmt::Expr(e, _) => match_on_next(e),
        _ => None,
    }
}

/// Whether a pattern names `None` anywhere (`None`, `Ok(None)`).
fn pat_mentions_none(pat: &syn::Pat) -> bool {
    match pat {
        syn::Pat::Ident(i) => i.ident == "None" && i.subpat.is_none(),
        syn::Pat::Path(p) => p.path.is_ident("None"),
        syn::Pat::TupleStruct(t) => t.elems.iter().any(pat_mentions_none),
        syn::Pat::Tuple(t) => t.elems.iter().any(pat_mentions_none),
        syn::Pat::Or(o) => o.cases.iter().any(pat_mentions_none),
        syn::Pat::Paren(p) => pat_mentions_none(&p.pat),
        _ => false,
    }
}

/// Whether an arm's body leaves the loop or the function: `break`, `return` (also as a
/// block's last statement, `{ log(..); break }`).
fn always_leaves(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Break(_) | syn::Expr::Return(_) => true,
        syn::Expr::Block(b) => b.block.stmts.last().is_some_and(|s| match s {
            syn::Stmt::Expr(e, _) => always_leaves(e),
            syn::Stmt::Macro(m) => is_bail(&m.mac),
            _ => false,
        }),
        syn::Expr::Macro(m) => is_bail(&m.mac),
        _ => false,
    }
}

/// anyhow's and eyre's `bail!`, which returns an error.
fn is_bail(mac: &syn::Macro) -> bool {
    mac.path.segments.last().is_some_and(|s| s.ident == "bail")
}

impl BodyScan<'_> {
    /// How the path leaves a block at `stmt` if it is a `return`, `break` or `continue`
    /// (as a statement or the block's tail).
    fn diverges(&self, stmt: &syn::Stmt) -> Option<PathEnd> {
        let syn::Stmt::Expr(e, _) = stmt else {
            return None;
        };
        let target = |label: &Option<syn::Lifetime>| match label {
            None => self.loop_bodies.last().map(|(_, body)| *body),
            Some(l) => self
                .loop_bodies
                .iter()
                .rev()
                .find(|(name, _)| name.as_deref() == Some(&*l.ident.to_string()))
                .map(|(_, body)| *body),
        };
        match e {
            syn::Expr::Return(_) => Some(PathEnd::Return),
            syn::Expr::Break(b) => target(&b.label).map(PathEnd::Break),
            syn::Expr::Continue(c) => target(&c.label).map(PathEnd::Continue),
            _ => None,
        }
    }

    /// `if r.is_ok() { return .. }`, `if let Ok(v) = r { return v; }` with no `else`: a
    /// statement that leaves the block on a success, so the rest of the block runs only on
    /// the failure.
    fn leaves_on_success(&self, stmt: &syn::Stmt) -> bool {
        let syn::Stmt::Expr(syn::Expr::If(i), _) = stmt else {
            return false;
        };
        i.else_branch.is_none()
            && sequences::error_branch(&i.cond) == Some(false)
            && i.then_branch
                .stmts
                .last()
                .is_some_and(|last| self.diverges(last).is_some())
    }

    fn in_loop(
        &mut self,
        label: Option<&syn::Label>,
        body: &syn::Block,
        visit: impl FnOnce(&mut Self),
    ) {
        self.loop_bodies
            .push((label.map(|l| l.name.ident.to_string()), Loc::block(body)));
        visit(self);
        self.loop_bodies.pop();
    }
}

impl<'ast> Visit<'ast> for BodyScan<'_> {
    fn visit_block(&mut self, b: &'ast syn::Block) {
        let outer = self.path_end;
        // After `if r.is_ok() { return .. }` the rest of the block runs only on the failure.
        let mut failed = 0;
        for (i, stmt) in b.stmts.iter().enumerate() {
            self.path_end = b.stmts[i + 1..].iter().find_map(|s| self.diverges(s));
            self.visit_stmt(stmt);
            if self.leaves_on_success(stmt) {
                failed += 1;
                self.error_arms += 1;
            }
        }
        self.error_arms -= failed;
        self.path_end = outer;
    }

    fn visit_stmt(&mut self, s: &'ast syn::Stmt) {
        if self.macro_depth == 0
            && let Some(call) = self.state_call(s)
        {
            self.state_calls.push(call);
        }
        visit::visit_stmt(self, s);
    }

    fn visit_expr_if(&mut self, i: &'ast syn::ExprIf) {
        let before = self.read_places.len();
        let mut reads = ReadPlaces(Vec::new());
        reads.visit_expr(&i.cond);
        self.read_places.extend(reads.0);
        self.visit_expr(&i.cond);
        let id = self.branching();
        let on_error = sequences::error_branch(&i.cond);
        self.in_arm(id, 0, |s| {
            s.in_outcome(on_error, |s| s.visit_block(&i.then_branch));
        });
        if let Some((_, otherwise)) = &i.else_branch {
            self.in_arm(id, 1, |s| {
                s.in_outcome(on_error.map(|e| !e), |s| s.visit_expr(otherwise));
            });
        }
        self.read_places.truncate(before);
    }

    fn visit_expr_match(&mut self, m: &'ast syn::ExprMatch) {
        self.visit_expr(&m.expr);
        let id = self.branching();
        for (n, arm) in (0u32..).zip(&m.arms) {
            let outcome = if sequences::matches_error(&arm.pat) {
                Some(true)
            } else {
                sequences::matches_ok(&arm.pat).then_some(false)
            };
            self.in_arm(id, n, |s| s.in_outcome(outcome, |s| s.visit_arm(arm)));
        }
    }

    fn visit_expr_await(&mut self, a: &'ast syn::ExprAwait) {
        visit::visit_expr_await(self, a);
        if self.macro_depth == 0 {
            let point = self.point(Loc::from_span(a.await_token.span));
            self.awaits.push(point);
        }
    }

    fn visit_expr_try(&mut self, t: &'ast syn::ExprTry) {
        visit::visit_expr_try(self, t);
        if self.macro_depth == 0 {
            let point = self.point(Loc::from_span(t.question_token.span));
            self.early_exits.push(point);
        }
    }

    fn visit_expr_return(&mut self, r: &'ast syn::ExprReturn) {
        visit::visit_expr_return(self, r);
        if self.macro_depth == 0 {
            let mut point = self.point(Loc::from_span(r.return_token.span));
            point.on_success = self.success_arms > 0 && self.error_arms == 0;
            self.early_exits.push(point);
        }
    }

    fn visit_expr_loop(&mut self, l: &'ast syn::ExprLoop) {
        let fact = self.loop_fact(
            LoopKind::Loop,
            Loc::from_span(l.loop_token.span),
            l.label.as_ref(),
            None,
            &l.body,
        );
        self.out.loops.push(fact);
        self.in_loop(l.label.as_ref(), &l.body, |s| visit::visit_expr_loop(s, l));
    }

    fn visit_expr_while(&mut self, w: &'ast syn::ExprWhile) {
        let kind = if matches!(&*w.cond, syn::Expr::Let(_)) {
            LoopKind::WhileLet
        } else {
            LoopKind::While
        };
        let fact = self.loop_fact(
            kind,
            Loc::from_span(w.while_token.span),
            w.label.as_ref(),
            Some(&w.cond),
            &w.body,
        );
        self.out.loops.push(fact);
        self.in_loop(w.label.as_ref(), &w.body, |s| visit::visit_expr_while(s, w));
    }

    fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
        let fact = self.loop_fact(
            LoopKind::For,
            Loc::from_span(f.for_token.span),
            f.label.as_ref(),
            Some(&f.expr),
            &f.body,
        );
        self.out.loops.push(fact);
        self.in_loop(f.label.as_ref(), &f.body, |s| {
            visit::visit_expr_for_loop(s, f)
        });
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        // A leaving call in `defer! { .. }` runs on drop: state calls in macro bodies are not
        // sequence facts. Loops inside them still are.
        if self.macro_depth == 0
            && macro_kinds::AWAITING_MACROS.contains(&macros::name(mac).as_str())
        {
            let point = self.point(Loc::mac(mac));
            self.awaits.push(point);
        }
        self.macro_depth += 1;
        visit_macro_code(self, mac);
        self.macro_depth -= 1;
    }

    // Other bodies: scanned on their own (async) or never awaiting (sync closures, items).
    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// Visits the body of an awaiting macro (`select!`, `join!`) as code: the only macros whose
/// bodies hold what these facts are about (awaits, timers). Other macros are skipped, so a body
/// is not parsed once more per visitor.
fn visit_macro_code<V>(v: &mut V, mac: &syn::Macro)
where
    V: for<'x> Visit<'x>,
{
    if !macro_kinds::AWAITING_MACROS.contains(&macros::name(mac).as_str()) {
        return;
    }
    match macros::body(mac) {
        MacroBody::Exprs(exprs) => exprs.iter().for_each(|e| v.visit_expr(e)),
        MacroBody::Stmts(stmts) => stmts.iter().for_each(|s| v.visit_stmt(s)),
        MacroBody::Opaque => {}
    }
}

/// The place an expression names, as written, whitespace removed (`self.active`, `conn`).
fn place(e: &syn::Expr) -> String {
    let mut text = quote::ToTokens::to_token_stream(e).to_string();
    text.retain(|c| !c.is_whitespace());
    text
}

/// The names a pattern binds.
pub(crate) fn pat_names(pat: &syn::Pat) -> Vec<String> {
    struct Names(Vec<String>);
    impl<'ast> Visit<'ast> for Names {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            self.0.push(p.ident.to_string());
            visit::visit_pat_ident(self, p);
        }
        // `Some(x)`: the path is not a binding; `x` is.
        fn visit_path(&mut self, _: &'ast syn::Path) {}
    }
    let mut n = Names(Vec::new());
    n.visit_pat(pat);
    n.0
}

/// Single-segment names an expression reads (`conn` in `serve(&mut conn, cfg.limit)`), also
/// inside macros and closures.
fn names_used(e: &syn::Expr) -> Vec<String> {
    struct Uses(Vec<String>);
    impl<'ast> Visit<'ast> for Uses {
        fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
            if let Some(id) = p.path.get_ident() {
                let id = id.to_string();
                if !self.0.contains(&id) {
                    self.0.push(id);
                }
            }
        }
        fn visit_macro(&mut self, _: &'ast syn::Macro) {}
    }
    let mut u = Uses(Vec::new());
    u.visit_expr(e);
    u.0
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::FileModel;

    pub(crate) fn model(src: &str) -> (Vec<LoopFact>, Vec<SequenceFact>) {
        let ast = syn::parse_file(src).expect("test source parses");
        let m = FileModel::build(std::path::Path::new("t.rs"), src, &ast);
        (m.loops, m.sequences)
    }

    pub(crate) fn outcomes(src: &str) -> Vec<(String, Outcome, Outcome)> {
        model(src).0[0]
            .awaits
            .iter()
            .map(|a| (a.call.name.clone(), a.on_success, a.on_error))
            .collect()
    }
}
