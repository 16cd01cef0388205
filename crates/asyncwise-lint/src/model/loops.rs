//! Loops and statement sequences of async bodies, as facts: what each loop's iteration awaits,
//! what happens after a failed or a successful call, whether something paces or bounds the
//! loop, and which state-changing method calls a block makes with awaits between them.
//!
//! A cheap pass over async bodies only (the walker calls [`scan_block`] where it scans guards):
//! each loop is read once for its flow and once for timers and counters. Awaits inside closures,
//! async blocks and items belong to other bodies and are left out, as `guards.rs` does.
//!
//! Rules own the verdicts (is this a retry, an inline accept, a cleanup skipped on cancel);
//! this module only says what the code does. Outcomes are read from syntax: `match` arms on
//! `Ok`/`Err`, `if let`/`while let`/`let .. else` on them, `?`, `.is_ok()`/`.is_err()`, and a
//! `let r = call.await;` examined by the statement right after it.

use syn::visit::{self, Visit};

use super::Loc;
use super::macros::{self, MacroBody};
use super::resolve::Resolver;
use crate::knowledge::macros as macro_kinds;
use crate::knowledge::{Knowledge, pacing};

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
    pub awaits: Vec<Loc>,
    /// Its early exits: each `?` and `return` (in source order).
    pub early_exits: Vec<Loc>,
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
        macro_depth: 0,
        read_places: Vec::new(),
    };
    s.visit_block(block);
    let mut facts = s.finish(Loc::block(block));
    if paces(resolver, knowledge, |p| p.visit_block(block)) {
        facts.paced_bodies.push(Loc::block(block));
    }
    facts
}

/// Whether the code `visit` shows to a [`PaceScan`] waits or bounds its attempts.
fn paces(
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

/// Scans an async closure's body.
pub fn scan_expr(expr: &syn::Expr, resolver: &Resolver, knowledge: &Knowledge) -> BodyFacts {
    let mut s = BodyScan {
        resolver,
        knowledge,
        out: BodyFacts::default(),
        state_calls: Vec::new(),
        awaits: Vec::new(),
        early_exits: Vec::new(),
        macro_depth: 0,
        read_places: Vec::new(),
    };
    s.visit_expr(expr);
    s.finish(Loc::expr(expr))
}

struct BodyScan<'a> {
    resolver: &'a Resolver,
    knowledge: &'a Knowledge,
    out: BodyFacts,
    state_calls: Vec<StateCall>,
    awaits: Vec<Loc>,
    early_exits: Vec<Loc>,
    /// Macro bodies being visited.
    macro_depth: usize,
    /// Places whose value the conditions of the enclosing `if`s read (`busy` in
    /// `if busy.load(..) == 0`).
    read_places: Vec<String>,
}

impl BodyScan<'_> {
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
        let mut pace = PaceScan {
            resolver: self.resolver,
            knowledge: self.knowledge,
            delays: Vec::new(),
            counters: Vec::new(),
            compared: Vec::new(),
            deadline: None,
        };
        if let Some(h) = header {
            pace.visit_expr(h);
        }
        pace.visit_block(body);
        let attempt_bound = pace.deadline.or_else(|| {
            pace.compared
                .iter()
                .find(|(place, _)| pace.counters.contains(place))
                .map(|(_, loc)| *loc)
        });
        LoopFact {
            kind,
            loc,
            awaits: collect.awaits,
            lets: collect.lets,
            delays: pace.delays,
            attempt_bound,
            leaves: collect.leaves,
        }
    }

    /// `recv.method(args);`, `let _ = recv.method(args);`, also behind `.unwrap()`/`.ok()`.
    fn state_call(&self, stmt: &syn::Stmt) -> Option<StateCall> {
        let expr = match stmt {
            syn::Stmt::Expr(e, _) => e,
            syn::Stmt::Local(l) if matches!(l.pat, syn::Pat::Wild(_)) => &l.init.as_ref()?.expr,
            _ => return None,
        };
        if let syn::Expr::Call(c) = expr
            && let syn::Expr::Path(p) = &*c.func
            && let Some(last) = p.path.segments.last()
        {
            let name = last.ident.to_string();
            if !self.knowledge.is_cleanup_method(&name) {
                return None;
            }
            // The helper's module as written (`metrics`, `crate::utils::vitals`).
            let segments = &p.path.segments;
            let receiver = segments
                .iter()
                .take(segments.len() - 1)
                .map(|s| s.ident.to_string())
                .collect::<Vec<_>>()
                .join("::");
            return Some(StateCall {
                method: name,
                checked: self.read_places.contains(&receiver),
                receiver,
                first_arg: c.args.first().map(place),
                loc: Loc::call(c),
            });
        }
        let mut e = expr;
        loop {
            let syn::Expr::MethodCall(m) = e else {
                return None;
            };
            let method = m.method.to_string();
            if self.knowledge.is_cleanup_method(&method) {
                let receiver = place(&m.receiver);
                return Some(StateCall {
                    method,
                    checked: self.read_places.contains(&receiver),
                    receiver,
                    first_arg: m.args.first().map(place),
                    loc: Loc::method_call(m),
                });
            }
            if !(self.knowledge.is_unwrap_like(&method) || method == "ok") {
                return None;
            }
            e = &m.receiver;
        }
    }
}

impl<'ast> Visit<'ast> for BodyScan<'_> {
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
        visit::visit_expr_if(self, i);
        self.read_places.truncate(before);
    }

    fn visit_expr_await(&mut self, a: &'ast syn::ExprAwait) {
        visit::visit_expr_await(self, a);
        if self.macro_depth == 0 {
            self.awaits.push(Loc::from_span(a.await_token.span));
        }
    }

    fn visit_expr_try(&mut self, t: &'ast syn::ExprTry) {
        visit::visit_expr_try(self, t);
        if self.macro_depth == 0 {
            self.early_exits.push(Loc::from_span(t.question_token.span));
        }
    }

    fn visit_expr_return(&mut self, r: &'ast syn::ExprReturn) {
        visit::visit_expr_return(self, r);
        if self.macro_depth == 0 {
            self.early_exits.push(Loc::from_span(r.return_token.span));
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
        visit::visit_expr_loop(self, l);
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
        visit::visit_expr_while(self, w);
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
        visit::visit_expr_for_loop(self, f);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        // A leaving call in `defer! { .. }` runs on drop: state calls in macro bodies are not
        // sequence facts. Loops inside them still are.
        if self.macro_depth == 0
            && macro_kinds::AWAITING_MACROS.contains(&macros::name(mac).as_str())
        {
            self.awaits.push(Loc::mac(mac));
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

/// Methods that read a state's value without changing it: an atomic's `load`, a `Cell`'s or
/// a gauge's `get`.
const STATE_READS: &[&str] = &["load", "get"];

/// The receivers of [`STATE_READS`] calls in an expression (an `if` condition).
struct ReadPlaces(Vec<String>);

impl<'ast> Visit<'ast> for ReadPlaces {
    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        if STATE_READS.contains(&m.method.to_string().as_str()) {
            self.0.push(place(&m.receiver));
        }
        visit::visit_expr_method_call(self, m);
    }
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
fn pat_names(pat: &syn::Pat) -> Vec<String> {
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

/// `Ok(..)` → `Some(true)`, `Err(..)` → `Some(false)`, anything else `None`.
fn ok_or_err(pat: &syn::Pat) -> Option<bool> {
    let path = match pat {
        syn::Pat::TupleStruct(t) => &t.path,
        syn::Pat::Path(p) => &p.path,
        syn::Pat::Paren(p) => return ok_or_err(&p.pat),
        _ => return None,
    };
    match path.segments.last()?.ident.to_string().as_str() {
        "Ok" => Some(true),
        "Err" => Some(false),
        _ => None,
    }
}

/// The awaited call's outcomes, from the code that examines its result.
#[derive(Debug, Clone)]
struct Annotated {
    call: Loc,
    on_success: Outcome,
    on_error: Outcome,
    binds: Vec<String>,
}

/// Reads, for the awaited calls of one loop, what happens on success and on failure.
struct Flow<'l> {
    knowledge: &'l Knowledge,
    /// The loop's label: `continue 'label` goes round it, `continue 'other` leaves it.
    label: Option<&'l str>,
    outcomes: Vec<Annotated>,
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
    fn while_let(&mut self, l: &syn::ExprLet, body: &syn::Block) {
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
    fn while_cond(&mut self, cond: &syn::Expr, body: &syn::Block) {
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

    fn block(&mut self, stmts: &[syn::Stmt], rest: Outcome) {
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
        for arm in arms {
            let outcome = self.diverges(&arm.body).unwrap_or(cont);
            binds.extend(pat_names(&arm.pat));
            match ok_or_err(&arm.pat) {
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

/// Collects the awaited calls and `let`s of one loop's iteration.
struct IterationScan<'a> {
    resolver: &'a Resolver,
    /// The scanned loop's label.
    label: Option<&'a str>,
    leaves: Vec<Loc>,
    /// Names bound by the `let`s whose initialisers are being visited, innermost last.
    let_binds: Vec<Vec<String>>,
    outcomes: &'a [Annotated],
    awaits: Vec<LoopAwait>,
    lets: Vec<LetFact>,
    /// Loops entered inside the scanned one.
    depth: usize,
    in_header: bool,
}

impl IterationScan<'_> {
    fn awaited(&mut self, base: &syn::Expr) {
        let (name, path, receiver, arg_count, loc, uses) = match base {
            syn::Expr::Call(c) => {
                let syn::Expr::Path(p) = &*c.func else { return };
                let Some(last) = p.path.segments.last() else {
                    return;
                };
                let mut uses = Vec::new();
                for a in &c.args {
                    uses.extend(names_used(a));
                }
                (
                    last.ident.to_string(),
                    Some(self.resolver.resolve(&p.path)),
                    None,
                    c.args.len(),
                    Loc::call(c),
                    uses,
                )
            }
            syn::Expr::MethodCall(m) => {
                let mut uses = names_used(&m.receiver);
                for a in &m.args {
                    uses.extend(names_used(a));
                }
                (
                    m.method.to_string(),
                    None,
                    Some(place(&m.receiver)),
                    m.args.len(),
                    Loc::method_call(m),
                    uses,
                )
            }
            syn::Expr::Paren(p) => return self.awaited(&p.expr),
            _ => return,
        };
        let annotated = self.outcomes.iter().find(|a| a.call == loc);
        // `let conn = match listener.accept().await { Ok((s, _)) => s, .. }`: the result
        // reaches the `let`'s names too.
        let mut binds = annotated.map(|a| a.binds.clone()).unwrap_or_default();
        for name in self.let_binds.last().into_iter().flatten() {
            if !binds.contains(name) {
                binds.push(name.clone());
            }
        }
        self.awaits.push(LoopAwait {
            call: AwaitedCall {
                name,
                path,
                receiver,
                arg_count,
                loc,
            },
            in_header: self.in_header,
            nested: self.depth > 0,
            binds,
            uses,
            on_success: annotated.map_or(Outcome::Unknown, |a| a.on_success),
            on_error: annotated.map_or(Outcome::Unknown, |a| a.on_error),
        });
    }

    fn nested(&mut self, f: impl FnOnce(&mut Self)) {
        self.depth += 1;
        f(self);
        self.depth -= 1;
    }
}

impl<'ast> Visit<'ast> for IterationScan<'_> {
    fn visit_expr_await(&mut self, a: &'ast syn::ExprAwait) {
        self.awaited(&a.base);
        visit::visit_expr_await(self, a);
    }

    fn visit_expr_break(&mut self, b: &'ast syn::ExprBreak) {
        let ours = b.label.as_ref().map(|l| l.ident.to_string());
        if self.depth == 0 && b.label.is_none()
            || ours.as_deref().is_some_and(|l| Some(l) == self.label)
        {
            self.leaves.push(Loc::from_span(b.break_token.span));
        }
        visit::visit_expr_break(self, b);
    }

    fn visit_expr_return(&mut self, r: &'ast syn::ExprReturn) {
        self.leaves.push(Loc::from_span(r.return_token.span));
        visit::visit_expr_return(self, r);
    }

    fn visit_local(&mut self, l: &'ast syn::Local) {
        if let Some(init) = &l.init {
            self.lets.push(LetFact {
                binds: pat_names(&l.pat),
                uses: names_used(&init.expr),
                loc: Loc::of(&l.let_token),
            });
            self.let_binds.push(pat_names(&l.pat));
            visit::visit_local(self, l);
            self.let_binds.pop();
            return;
        }
        visit::visit_local(self, l);
    }

    fn visit_expr_loop(&mut self, l: &'ast syn::ExprLoop) {
        self.nested(|s| visit::visit_expr_loop(s, l));
    }

    fn visit_expr_while(&mut self, w: &'ast syn::ExprWhile) {
        self.nested(|s| visit::visit_expr_while(s, w));
    }

    fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
        self.nested(|s| visit::visit_expr_for_loop(s, f));
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        visit_macro_code(self, mac);
    }

    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// Finds what paces a loop (timers, backoffs) and what bounds its attempts (counters compared
/// with a limit, deadlines).
struct PaceScan<'a> {
    resolver: &'a Resolver,
    knowledge: &'a Knowledge,
    delays: Vec<Delay>,
    /// Places changed by `+=`, `-=` or `x = x + ..`.
    counters: Vec<String>,
    /// Places compared, with the comparison.
    compared: Vec<(String, Loc)>,
    /// A comparison of a deadline or an elapsed time.
    deadline: Option<Loc>,
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
        _ => None,
    }
}

/// `start.elapsed()`, `deadline`, `self.deadline`, `Instant::now()`: a side of a comparison
/// that measures time.
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
            .is_some_and(|s| s.ident.to_string().contains("deadline")),
        syn::Expr::Field(f) => {
            matches!(&f.member, syn::Member::Named(n) if n.to_string().contains("deadline"))
        }
        syn::Expr::Paren(p) => measures_time(&p.expr),
        syn::Expr::Unary(u) => measures_time(&u.expr),
        _ => false,
    }
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
    use super::*;
    use crate::model::FileModel;

    fn model(src: &str) -> (Vec<LoopFact>, Vec<SequenceFact>) {
        let ast = syn::parse_file(src).expect("test source parses");
        let m = FileModel::build(std::path::Path::new("t.rs"), src, &ast);
        (m.loops, m.sequences)
    }

    fn outcomes(src: &str) -> Vec<(String, Outcome, Outcome)> {
        model(src).0[0]
            .awaits
            .iter()
            .map(|a| (a.call.name.clone(), a.on_success, a.on_error))
            .collect()
    }

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
    fn closures_and_async_blocks_are_other_bodies() {
        let (loops, _) = model(
            "async fn f() { loop { let (s, _) = l.accept().await?; tokio::spawn(async move { serve(s).await }); } }",
        );
        let names: Vec<_> = loops[0]
            .awaits
            .iter()
            .map(|a| a.call.name.as_str())
            .collect();
        assert_eq!(names, ["accept"]);
        assert_eq!(loops[0].awaits[0].binds, ["s"]);
    }

    #[test]
    fn state_calls_and_awaits_of_one_body_in_order() {
        let (_, seqs) = model(
            "async fn f() { c.fetch_add(1, R); if x { metrics::inc_open(); } work().await; c.fetch_sub(1, R); let _g = guard(|| c.fetch_sub(1, R)); }",
        );
        let calls: Vec<_> = seqs[0]
            .calls
            .iter()
            .map(|c| (c.receiver.as_str(), c.method.as_str()))
            .collect();
        assert_eq!(
            calls,
            [
                ("c", "fetch_add"),
                ("metrics", "inc_open"),
                ("c", "fetch_sub")
            ]
        );
        assert_eq!(seqs[0].awaits.len(), 1);
    }

    #[test]
    fn a_state_call_under_an_if_that_reads_its_receiver_is_checked() {
        let (_, seqs) = model(
            "async fn f() { if B.load(R) == 0 { B.fetch_add(1, R); } menu().await; \
             if ready { B.fetch_sub(1, R); } if other.get() { B.fetch_sub(1, R); } \
             if B.load(R) == 1 { log(); } else { B.fetch_sub(1, R); } B.fetch_sub(1, R); }",
        );
        let checked: Vec<_> = seqs[0].calls.iter().map(|c| c.checked).collect();
        assert_eq!(checked, [true, false, false, true, false]);
    }
}
