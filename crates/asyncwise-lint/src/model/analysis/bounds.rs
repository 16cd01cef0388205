//! What bounds the tasks a loop spawns? For a spawn inside a loop (or an iterator adapter's
//! per-element closure): how many times the loop runs as far as its header shows (a constant,
//! a runtime value bound before it, unknown), whether the tasks it fills a collection with are
//! joined right after it, and the first visible bound on how many of its tasks run at once — a
//! spawner that waits for a free slot, an awaited spawn, a fixed number of iterations, an accept
//! loop, a semaphore permit acquired before the spawn or inside the task, a task collection
//! drained or size-checked in the iteration, a handle awaited in the same iteration, chunks
//! joined before the next chunk.
//!
//! These are facts about tokio-style concurrency, not a verdict: `unbounded_spawn` decides which
//! of them silence it and which make its pedantic form. The walker builds a [`LoopScope`] per
//! loop it enters (from the loop's tokens, which also see into `select!` bodies) and asks
//! [`spawn_loop`] at each spawn.

use std::collections::HashSet;
use std::rc::Rc;

use crate::knowledge::{Knowledge, iterators};
use crate::model::Loc;
use crate::model::tokens::TokenFacts;

/// The kind of a `for` loop's scope, as messages name it.
pub(crate) const FOR_LOOP: &str = "`for` loop";

/// How many times a loop runs, as far as its header shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Iterations {
    /// A constant: `0..4`, `0..WORKERS`, `[a, b]`, `std::iter::once(x)`, `0..n` with
    /// `let n = 48;`.
    Fixed,
    /// A runtime value bound before the loop: `0..config.workers`, `0..n`.
    Sized,
    /// Anything else (a collection, a stream, `loop`).
    Unknown,
}

/// A visible bound on how many of a loop's tasks run at once, in the order they are looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskBound {
    /// The spawner waits for a free slot (`TaskGroup::bounded(n).spawn(..)`).
    BoundedSpawner,
    /// The spawn is awaited (or `block_on`-ed) where it is made: one task at a time.
    Awaited,
    /// The loop runs a fixed number of times (a constant range, a literal list, one element).
    FixedIterations,
    /// A `loop` in a synchronous `poll_*` method: a state machine, one spawn per transition.
    StateMachine,
    /// The loop's own iteration accepts connections (`listener.accept()`, `incoming.next()`).
    AcceptLoop,
    /// A semaphore permit (or a configured bound) is acquired in the iteration before the spawn.
    PermitBefore,
    /// The spawned future acquires a permit itself.
    PermitInside,
    /// A task collection is drained or size-checked in the iteration (`join_next`, `len`).
    Drained,
    /// The spawn's handle is awaited (or `block_on`-ed) in the same iteration.
    HandleAwaited,
    /// An enclosing loop goes over chunks and drains its tasks before the next chunk.
    ChunkDrained,
    /// The loop is a stream adapter consumed by `for_each_concurrent(n, ..)` or
    /// `buffer_unordered(n)`: the next item, and its task, comes only when a slot is free.
    ConcurrencyLimit,
    /// The iteration that spawns then leaves the loop (`return` or `break` after the spawn):
    /// one task per call, not per iteration.
    LeavesLoop,
    /// The iteration ticks an interval before the spawn (`interval.tick().await`): tasks start
    /// at the timer's rate, a schedule. Weaker than the
    /// others (tasks slower than the period still pile up), so it is looked for last.
    TimerPaced,
}

/// The loop a spawn sits in, with what bounds its tasks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpawnLoop {
    /// The innermost loop (its keyword, or the adapter call).
    pub loc: Loc,
    /// `` `for` loop ``, `` `while` loop ``, `` `loop` ``, `iterator closure`.
    pub kind: &'static str,
    /// How many times it runs.
    pub iterations: Iterations,
    /// The tasks it fills a collection with are joined by the statements right after it.
    pub joined_after: bool,
    /// The first visible bound found, if any (the search stops there).
    pub bound: Option<TaskBound>,
}

/// A loop (or iterator adapter) as the walker keeps it while visiting its body.
#[derive(Debug)]
pub(crate) struct LoopScope {
    pub(crate) loc: Loc,
    pub(crate) kind: &'static str,
    pub(crate) iterations: Iterations,
    /// Iterates over chunks (`xs.chunks(n)`): each iteration handles a bounded slice.
    pub(crate) chunked: bool,
    /// The tasks the loop fills a collection with are joined by the statements right after it.
    pub(crate) joined_after: bool,
    /// The whole loop's tokens, read.
    pub(crate) facts: TokenFacts,
    /// A stream adapter whose consumer polls at most `n` items at once.
    pub(crate) concurrency_limited: bool,
    /// Its brace-delimited blocks, with the `return`/`break` statements directly in each.
    blocks: Vec<BlockExits>,
}

/// A `{ .. }` block of a loop's tokens (nested ones too) and where its own statements leave
/// the loop: the `return`/`break` keywords that start one of its statements (first in the
/// block, or right after a `;` or a `{ .. }`: a block statement, an `if`'s body).
#[derive(Debug)]
struct BlockExits {
    /// From its opening brace to its closing brace.
    span: Loc,
    /// The `return` and `break` statements of this block (not those nested in an inner
    /// block, which run only on some paths), with their positions.
    exits: Vec<((usize, usize), Exit)>,
}

/// How a statement leaves a loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Exit {
    /// `break`: the innermost loop ends, an enclosing one goes on.
    Break,
    /// `return`: every loop of the body ends.
    Return,
}

/// How the innermost block around the spawn at `loc` leaves the loop after it, if it does (the
/// strongest exit when there are several).
fn exit_after(scope: &LoopScope, loc: Loc) -> Option<Exit> {
    scope
        .blocks
        .iter()
        .filter(|b| b.span.start < loc.start && b.span.end > loc.end)
        .min_by_key(|b| (std::cmp::Reverse(b.span.start), b.span.end))?
        .exits
        .iter()
        .filter(|(at, _)| *at > loc.end)
        .map(|&(_, exit)| exit)
        .max()
}

impl LoopScope {
    /// The scope of a loop whose tokens are `node` (see [`LoopScope::joined_by`]).
    pub(crate) fn new(
        node: &impl quote::ToTokens,
        loc: Loc,
        kind: &'static str,
        iterations: Iterations,
        chunked: bool,
    ) -> LoopScope {
        // One pass over the loop's tokens for both its facts and its blocks.
        let (facts, groups) = TokenFacts::with_brace_groups(node.to_token_stream());
        LoopScope {
            loc,
            kind,
            iterations,
            chunked,
            joined_after: false,
            concurrency_limited: false,
            facts,
            blocks: groups
                .into_iter()
                .map(|g| BlockExits {
                    span: Loc {
                        start: g.span.0,
                        end: g.span.1,
                    },
                    exits: g
                        .exits
                        .into_iter()
                        .map(|(at, is_return)| {
                            (at, if is_return { Exit::Return } else { Exit::Break })
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    /// Whether the tasks are joined right after the loop: `after` are the facts of the
    /// statements after it in its block (if collected) and `binding` the name its statement
    /// binds (`let handles = xs.iter().map(..)`).
    pub(crate) fn joined_by(
        mut self,
        after: Option<&TokenFacts>,
        binding: Option<&str>,
        knowledge: &Knowledge,
    ) -> LoopScope {
        self.joined_after =
            after.is_some_and(|after| joins_filled(&self.facts, binding, after, knowledge));
        self
    }
}

/// A spawn, with what the walker knows around it.
pub(crate) struct SpawnSite<'a> {
    /// The spawn call.
    pub(crate) loc: Loc,
    /// The spawning function or method, canonical.
    pub(crate) via: &'a str,
    /// The loops of the body the spawn is made in, innermost last.
    pub(crate) loops: &'a [Rc<LoopScope>],
    /// The spawn call is awaited or handed to `block_on`.
    pub(crate) awaited: bool,
    /// The name its handle is bound to (`let h = spawn(..)`).
    pub(crate) handle: Option<&'a str>,
    /// The spawned future.
    pub(crate) future: Option<&'a syn::Expr>,
    /// A later statement of the spawn's block is a `return` or `break`.
    pub(crate) leaves_after: bool,
    /// Made in the body of a synchronous `poll_*` method.
    pub(crate) in_poll_fn: bool,
}

/// The loop a spawn sits in (`None` outside loops), with the first bound found on its tasks.
pub(crate) fn spawn_loop(site: &SpawnSite<'_>, knowledge: &Knowledge) -> Option<SpawnLoop> {
    let innermost = site.loops.last()?;
    // A `return` in an iterator closure leaves only the closure: once per element.
    let closure = innermost.kind == "iterator closure";
    let outer = site
        .loops
        .len()
        .checked_sub(2)
        .and_then(|i| site.loops.get(i));
    let (scope, bound) = match outer {
        // `break` ends the innermost loop only: the spawn is made once per iteration of the
        // loop around it, which is judged instead.
        Some(outer)
            if site.leaves_after
                && !closure
                && exit_after(innermost, site.loc) == Some(Exit::Break) =>
        {
            (outer.as_ref(), first_bound(site, outer, false, knowledge))
        }
        _ => (
            innermost.as_ref(),
            first_bound(site, innermost, site.leaves_after && !closure, knowledge),
        ),
    };
    Some(SpawnLoop {
        loc: scope.loc,
        kind: scope.kind,
        iterations: scope.iterations,
        joined_after: scope.joined_after,
        bound,
    })
}

/// The first bound on the tasks `innermost` spawns; `leaves` says the spawn's block leaves it
/// right after the spawn.
fn first_bound(
    site: &SpawnSite<'_>,
    innermost: &LoopScope,
    leaves: bool,
    knowledge: &Knowledge,
) -> Option<TaskBound> {
    if knowledge.is_bounding_spawner(site.via) {
        return Some(TaskBound::BoundedSpawner);
    }
    // An unbounded `TaskGroup`'s `spawn(..).await` only spawns: the await bounds nothing.
    let awaited_bounds = !knowledge.spawn_returns_future(site.via);
    if site.awaited && awaited_bounds {
        return Some(TaskBound::Awaited);
    }
    if innermost.iterations == Iterations::Fixed {
        return Some(TaskBound::FixedIterations);
    }
    if innermost.concurrency_limited {
        return Some(TaskBound::ConcurrencyLimit);
    }
    if leaves {
        return Some(TaskBound::LeavesLoop);
    }
    if site.in_poll_fn {
        return Some(TaskBound::StateMachine);
    }
    let f = &innermost.facts;
    let loc = site.loc;
    // Only the loop's own iteration counts, not what the spawned task does.
    let outside_task = |pos: (usize, usize)| pos < loc.start || pos > loc.end;
    let accept_loop = f.methods.iter().filter(|m| outside_task(m.pos)).any(|m| {
        knowledge.is_accept_method(&m.method)
            || m.method == "next"
                && m.receiver
                    .as_deref()
                    .is_some_and(|r| knowledge.is_accept_stream(r))
    });
    if accept_loop {
        return Some(TaskBound::AcceptLoop);
    }
    let before = |pos: (usize, usize)| pos < loc.start;
    // A permit, or a configured bound (`bound` in the configuration), before the spawn.
    let permit_before = f
        .methods
        .iter()
        .any(|m| knowledge.bounds_spawns_after(&m.method) && before(m.pos))
        || f.path_calls
            .iter()
            .any(|c| knowledge.bounds_spawns_after(&c.name) && before(c.pos))
        // A permit from the crate's own limiter, awaited before the spawn.
        || f.lets
            .iter()
            .any(|(name, pos)| name.contains("permit") && before(*pos));
    if permit_before {
        return Some(TaskBound::PermitBefore);
    }
    let permit_inside = site.future.is_some_and(|fut| {
        TokenFacts::of(quote::ToTokens::to_token_stream(fut)).calls_any(&knowledge.permit_methods)
    });
    if permit_inside {
        return Some(TaskBound::PermitInside);
    }
    if drained(f, knowledge) {
        return Some(TaskBound::Drained);
    }
    let handle_awaited = site.handle.is_some_and(|name| {
        f.awaited_idents.iter().any(|a| a == name)
            || f.path_calls.iter().any(|c| {
                knowledge.is_block_on_method(&c.name) && c.first_arg.as_deref() == Some(name)
            })
    });
    if handle_awaited {
        return Some(TaskBound::HandleAwaited);
    }
    // Chunks handled one after the other: a loop over `xs.chunks(n)` that joins before the
    // next chunk bounds the spawns of its inner loops.
    if site
        .loops
        .iter()
        .any(|l| l.chunked && drained(&l.facts, knowledge))
    {
        return Some(TaskBound::ChunkDrained);
    }
    // An interval ticked by the loop's own iteration before the spawn: one task per tick. A
    // `sleep` is left out: before a spawn it is as often the error arm's pause of an accept
    // loop (`Err(e) => { sleep(d).await; continue }`) as a schedule.
    let timer_before = f
        .methods
        .iter()
        .any(|m| m.awaited && before(m.pos) && m.method == "tick");
    if timer_before {
        return Some(TaskBound::TimerPaced);
    }
    None
}

/// How many times a loop over `e` runs: `0..4`, `0..WORKERS`, `[a, b]`, `once(x)`, `0..n` with
/// `let n = 48;` (`n` in `constant_names`) are fixed; `0..n` and `0..cfg.workers` otherwise are
/// sized at run time.
pub(crate) fn iterations(e: &syn::Expr, constant_names: &[String]) -> Iterations {
    match fixed_iteration(e, constant_names) {
        Iterations::Unknown => match e {
            syn::Expr::Range(r) if r.end.as_deref().is_some_and(is_runtime_size) => {
                Iterations::Sized
            }
            syn::Expr::Paren(p) => iterations(&p.expr, constant_names),
            _ => Iterations::Unknown,
        },
        known => known,
    }
}

/// `0..4`, `0..WORKERS`, `1..=N_SHARDS`, `[a, b, c]`, `vec![a, b]`, `once(x)`, `Some(x)`, and
/// ranges ending in a name bound to a constant: a fixed number of iterations.
fn fixed_iteration(e: &syn::Expr, constant_names: &[String]) -> Iterations {
    let constant = |e: &syn::Expr| is_constant(e, constant_names);
    let fixed = match e {
        syn::Expr::Range(r) => {
            r.start.as_deref().is_none_or(constant) && r.end.as_deref().is_some_and(constant)
        }
        syn::Expr::Paren(p) => return fixed_iteration(&p.expr, constant_names),
        syn::Expr::Reference(r) => return fixed_iteration(&r.expr, constant_names),
        syn::Expr::Array(_) => true,
        syn::Expr::Macro(m) => m.mac.path.is_ident("vec"),
        syn::Expr::Call(c) => matches!(&*c.func, syn::Expr::Path(p)
            if p.path.segments.last().is_some_and(|s| s.ident == "once" || s.ident == "Some")),
        syn::Expr::MethodCall(m)
            if matches!(
                m.method.to_string().as_str(),
                "into_iter" | "iter" | "enumerate" | "rev" | "zip"
            ) =>
        {
            return fixed_iteration(&m.receiver, constant_names);
        }
        _ => false,
    };
    if fixed {
        Iterations::Fixed
    } else {
        Iterations::Unknown
    }
}

/// A constant expression: a literal, an `UPPER_CASE` path, a name in `constant_names`, and
/// arithmetic, parentheses and casts of those.
pub(crate) fn is_constant(e: &syn::Expr, constant_names: &[String]) -> bool {
    match e {
        syn::Expr::Lit(_) => true,
        syn::Expr::Path(p) => p.path.segments.last().is_some_and(|s| {
            let name = s.ident.to_string();
            name.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                || p.path.segments.len() == 1 && constant_names.contains(&name)
        }),
        syn::Expr::Binary(b) => {
            is_constant(&b.left, constant_names) && is_constant(&b.right, constant_names)
        }
        syn::Expr::Paren(p) => is_constant(&p.expr, constant_names),
        syn::Expr::Cast(c) => is_constant(&c.expr, constant_names),
        _ => false,
    }
}

/// A range end that is a value rather than a collection's size: `n`, `cfg.workers`,
/// `num_cpus::get()` (but not `items.len()`).
fn is_runtime_size(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Path(_) | syn::Expr::Field(_) | syn::Expr::Call(_) => true,
        syn::Expr::Paren(p) => is_runtime_size(&p.expr),
        syn::Expr::Cast(c) => is_runtime_size(&c.expr),
        syn::Expr::Binary(b) => {
            is_runtime_size(&b.left) && is_runtime_size(&b.right)
                || is_runtime_size(&b.left) && matches!(&*b.right, syn::Expr::Lit(_))
        }
        syn::Expr::MethodCall(m) => m.method != "len" && m.method != "count",
        _ => false,
    }
}

/// `xs.chunks(n)`, `stream.ready_chunks(n)`, ... anywhere in the iterated expression.
pub(crate) fn is_chunked(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::MethodCall(m) => {
            iterators::CHUNKING_ADAPTERS.contains(&m.method.to_string().as_str())
                || is_chunked(&m.receiver)
        }
        syn::Expr::Paren(p) => is_chunked(&p.expr),
        syn::Expr::Reference(r) => is_chunked(&r.expr),
        _ => false,
    }
}

/// Is the receiver of an iterator adapter an iteration (`xs.iter()`, a range, an array)?
pub(crate) fn is_iteration(receiver: &syn::Expr) -> bool {
    match receiver {
        syn::Expr::MethodCall(m) => {
            iterators::ITERATOR_SOURCES.contains(&m.method.to_string().as_str())
        }
        syn::Expr::Range(_) | syn::Expr::Array(_) => true,
        syn::Expr::Paren(p) => is_iteration(&p.expr),
        syn::Expr::Call(c) => {
            matches!(&*c.func, syn::Expr::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "iter"))
        }
        _ => false,
    }
}

/// Is a task collection drained or size-checked inside the loop: `join_next`, `join_all`, a
/// collection the tasks go into (`set.spawn(..)`, `futs.push(..)`) whose size is checked or
/// which is polled (`futs.next().await`)?
fn drained(f: &TokenFacts, knowledge: &Knowledge) -> bool {
    if f.calls_any(&knowledge.drain_methods) {
        return true;
    }
    let fills: HashSet<&str> = f
        .methods
        .iter()
        .filter(|m| knowledge.is_fill_method(&m.method))
        .filter_map(|m| m.receiver.as_deref())
        .collect();
    f.methods.iter().any(|m| {
        matches!(m.method.as_str(), "len" | "next" | "is_empty")
            && m.receiver.as_deref().is_some_and(|r| fills.contains(r))
    })
}

/// Does `after` (the statements after a loop) join a collection that `loop_facts` fills with
/// tasks (or the loop statement's binding, `let hs = xs.iter().map(|x| spawn(..)).collect()`)?
fn joins_filled(
    loop_facts: &TokenFacts,
    binding: Option<&str>,
    after: &TokenFacts,
    knowledge: &Knowledge,
) -> bool {
    let mut filled: HashSet<&str> = loop_facts
        .methods
        .iter()
        .filter(|m| knowledge.is_fill_method(&m.method))
        .filter_map(|m| m.receiver.as_deref())
        .collect();
    filled.extend(binding);
    if filled.is_empty() {
        return false;
    }
    let drains = after
        .methods
        .iter()
        .filter(|m| knowledge.is_drain_method(&m.method) || m.method == "next")
        .filter_map(|m| m.receiver.as_deref());
    let joins = after
        .path_calls
        .iter()
        .filter(|c| knowledge.is_join_fn(&c.name))
        .filter_map(|c| c.first_arg.as_deref());
    let awaited_in_loop = after
        .iterated
        .iter()
        .map(String::as_str)
        .filter(|_| !after.awaits.is_empty());
    drains
        .chain(joins)
        .chain(awaited_in_loop)
        .any(|name| filled.contains(name))
}

/// Is `e` an `if`, `match` or block one of whose branches holds a loop statement? What
/// follows it then also follows the loop.
pub(crate) fn branches_hold_loop(e: &syn::Expr) -> bool {
    let block = |b: &syn::Block| b.stmts.iter().any(holds_loop);
    match e {
        syn::Expr::If(i) => {
            block(&i.then_branch)
                || i.else_branch
                    .as_ref()
                    .is_some_and(|(_, e)| branches_hold_loop(e))
        }
        syn::Expr::Match(m) => m.arms.iter().any(|a| match &*a.body {
            syn::Expr::Block(b) => block(&b.block),
            _ => false,
        }),
        syn::Expr::Block(b) => block(&b.block),
        _ => false,
    }
}

/// Does this statement hold a loop (a `for`/`while`/`loop`, or an iterator chain with a
/// per-element closure, also in a branch of an `if`, a `match` or a block)?
pub(crate) fn holds_loop(stmt: &syn::Stmt) -> bool {
    fn chain(e: &syn::Expr) -> bool {
        match e {
            syn::Expr::ForLoop(_) | syn::Expr::While(_) | syn::Expr::Loop(_) => true,
            syn::Expr::MethodCall(m) => {
                // Compared in place: this runs twice for every statement of every block.
                iterators::PER_ELEMENT_ADAPTERS
                    .iter()
                    .any(|a| m.method == a)
                    || chain(&m.receiver)
            }
            syn::Expr::Await(a) => chain(&a.base),
            syn::Expr::Try(t) => chain(&t.expr),
            syn::Expr::Call(c) => c.args.iter().any(chain),
            // a loop in a branch: what follows the `if` also follows the loop
            syn::Expr::If(_) | syn::Expr::Match(_) | syn::Expr::Block(_) => branches_hold_loop(e),
            _ => false,
        }
    }
    match stmt {
        syn::Stmt::Expr(e, _) => chain(e),
        syn::Stmt::Local(l) => l.init.as_ref().is_some_and(|i| chain(&i.expr)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expr(src: &str) -> syn::Expr {
        syn::parse_str(src).expect("test expression parses")
    }

    fn facts(src: &str) -> TokenFacts {
        TokenFacts::of(src.parse().expect("test tokens lex"))
    }

    #[test]
    fn loop_headers_give_fixed_sized_or_unknown_iterations() {
        let none: &[String] = &[];
        assert_eq!(iterations(&expr("0..4"), none), Iterations::Fixed);
        assert_eq!(iterations(&expr("0..WORKERS * 2"), none), Iterations::Fixed);
        assert_eq!(iterations(&expr("[a, b].iter()"), none), Iterations::Fixed);
        assert_eq!(
            iterations(&expr("std::iter::once(x)"), none),
            Iterations::Fixed
        );
        assert_eq!(iterations(&expr("0..n"), none), Iterations::Sized);
        assert_eq!(iterations(&expr("0..n"), &["n".into()]), Iterations::Fixed);
        assert_eq!(
            iterations(&expr("(0..cfg.workers)"), none),
            Iterations::Sized
        );
        assert_eq!(
            iterations(&expr("0..items.len()"), none),
            Iterations::Unknown
        );
        assert_eq!(iterations(&expr("urls"), none), Iterations::Unknown);
    }

    #[test]
    fn chunks_and_iterations_are_recognised_through_adapters() {
        assert!(is_chunked(&expr("&xs.chunks(8).enumerate()")));
        assert!(!is_chunked(&expr("xs.iter()")));
        assert!(is_iteration(&expr("xs.iter()")));
        assert!(is_iteration(&expr("(0..4)")));
        assert!(!is_iteration(&expr("rx")));
    }

    #[test]
    fn statements_holding_loops() {
        let stmt = |s: &str| syn::parse_str::<syn::Stmt>(s).expect("test statement parses");
        assert!(holds_loop(&stmt("for x in xs { go(x); }")));
        assert!(holds_loop(&stmt(
            "let hs = xs.iter().map(|x| spawn(x)).collect();"
        )));
        assert!(!holds_loop(&stmt("let n = xs.len();")));
    }

    #[test]
    fn a_collection_filled_in_the_loop_and_polled_there_is_drained() {
        assert!(drained(
            &facts("set.spawn(f); if set.len() > 8 { set.join_next().await; }"),
            &Knowledge::builtin()
        ));
        assert!(drained(
            &facts("futs.push(spawn(f)); while futs.len() >= 8 { futs.next().await; }"),
            &Knowledge::builtin()
        ));
        assert!(!drained(
            &facts("set.spawn(f); set.try_join_next();"),
            &Knowledge::builtin()
        ));
    }

    #[test]
    fn tasks_joined_after_the_loop() {
        let filled = facts("for x in xs { handles.push(tokio::spawn(work(x))); }");
        assert!(joins_filled(
            &filled,
            None,
            &facts("join_all(handles).await;"),
            &Knowledge::builtin()
        ));
        assert!(joins_filled(
            &filled,
            None,
            &facts("for h in handles { h.await?; }"),
            &Knowledge::builtin()
        ));
        assert!(!joins_filled(
            &filled,
            None,
            &facts("drop(handles);"),
            &Knowledge::builtin()
        ));
        let mapped = facts("xs.iter().map(|x| tokio::spawn(work(x)))");
        assert!(joins_filled(
            &mapped,
            Some("hs"),
            &facts("futures::future::join_all(hs).await;"),
            &Knowledge::builtin()
        ));
    }

    /// The scope of a loop written as `src`, and where its `spawn` call is (token positions
    /// depend on what else the test process lexed, so they are read back, not written).
    fn scope(src: &str, iterations: Iterations) -> (Rc<LoopScope>, Loc) {
        let tokens: proc_macro2::TokenStream = src.parse().expect("test tokens lex");
        let scope = LoopScope::new(&tokens, Loc::default(), "`for` loop", iterations, false);
        let at = scope
            .facts
            .path_calls
            .iter()
            .find(|c| c.name == "spawn")
            .map_or((0, 0), |c| c.pos);
        (Rc::new(scope), Loc { start: at, end: at })
    }

    fn site<'a>(loops: &'a [Rc<LoopScope>], loc: Loc) -> SpawnSite<'a> {
        SpawnSite {
            loc,
            via: "tokio::spawn",
            loops,
            awaited: false,
            handle: None,
            future: None,
            in_poll_fn: false,
            leaves_after: false,
        }
    }

    fn first(src: &str, iterations: Iterations) -> Option<TaskBound> {
        let (scope, spawn_at) = scope(src, iterations);
        let loops = [scope];
        spawn_loop(&site(&loops, spawn_at), &Knowledge::builtin()).and_then(|l| l.bound)
    }

    #[test]
    fn the_first_bound_found_is_reported() {
        let permit = "for u in urls { let permit = sem.acquire().await; tokio::spawn(fetch(u)); }";
        assert_eq!(
            first(permit, Iterations::Unknown),
            Some(TaskBound::PermitBefore)
        );
        // A permit acquired only after the spawn bounds nothing.
        let late = "for u in urls { tokio::spawn(fetch(u)); sem.acquire().await; }";
        assert_eq!(first(late, Iterations::Unknown), None);
        let plain = "for u in urls { tokio::spawn(fetch(u)); }";
        assert_eq!(first(plain, Iterations::Unknown), None);
        let pool = "for i in 0..4 { tokio::spawn(work(i)); }";
        assert_eq!(
            first(pool, Iterations::Fixed),
            Some(TaskBound::FixedIterations)
        );
        let accept = "loop { let (s, _) = listener.accept().await?; tokio::spawn(serve(s)); }";
        assert_eq!(
            first(accept, Iterations::Unknown),
            Some(TaskBound::AcceptLoop)
        );
        let drained =
            "for u in urls { set.spawn(fetch(u)); if set.len() > 8 { set.join_next().await; } }";
        assert_eq!(
            first(drained, Iterations::Unknown),
            Some(TaskBound::Drained)
        );
        assert!(spawn_loop(&site(&[], Loc::default()), &Knowledge::builtin()).is_none());
    }

    #[test]
    fn a_handle_awaited_in_the_same_iteration_bounds_the_loop() {
        let (scope, spawn_at) = scope(
            "for u in urls { let h = tokio::spawn(fetch(u)); h.await?; }",
            Iterations::Unknown,
        );
        let loops = [scope];
        let mut s = site(&loops, spawn_at);
        s.handle = Some("h");
        let found = spawn_loop(&s, &Knowledge::builtin()).expect("in a loop");
        assert_eq!(found.bound, Some(TaskBound::HandleAwaited));
        assert_eq!(found.kind, "`for` loop");
    }

    #[test]
    fn a_break_ends_only_the_inner_loop_so_the_outer_one_is_judged() {
        let src = "while let Some(v) = rx.recv().await { loop { let c = pool.recv().await; tokio::spawn(pipe(c, v)); break; } }";
        let tokens: proc_macro2::TokenStream = src.parse().expect("test tokens lex");
        let Some(proc_macro2::TokenTree::Group(body)) = tokens.into_iter().last() else {
            panic!("the while loop ends with its body");
        };
        let (outer, spawn_at) = scope(src, Iterations::Unknown);
        let inner = LoopScope::new(
            &body.stream(),
            Loc::default(),
            "`loop`",
            Iterations::Unknown,
            false,
        );
        let loops = [outer, Rc::new(inner)];
        let mut s = site(&loops, spawn_at);
        s.leaves_after = true;
        let found = spawn_loop(&s, &Knowledge::builtin()).expect("in a loop");
        assert_eq!(found.kind, "`for` loop");
        assert_eq!(found.bound, None);
        // Alone, the inner loop spawns once; so does a loop whose block returns.
        let mut s = site(&loops[1..], spawn_at);
        s.leaves_after = true;
        let found = spawn_loop(&s, &Knowledge::builtin()).expect("in a loop");
        assert_eq!(found.bound, Some(TaskBound::LeavesLoop));
        let src = "while let Some(v) = rx.recv().await { loop { tokio::spawn(pipe(v)); return; } }";
        let (outer, spawn_at) = scope(src, Iterations::Unknown);
        let loops = [outer.clone(), outer];
        let mut s = site(&loops, spawn_at);
        s.leaves_after = true;
        assert_eq!(
            spawn_loop(&s, &Knowledge::builtin()).and_then(|l| l.bound),
            Some(TaskBound::LeavesLoop)
        );
    }

    #[test]
    fn awaiting_an_unbounded_group_s_spawn_bounds_nothing() {
        let k = Knowledge::builtin();
        let loops = [scope("loop { g.spawn(\"t\", f).await; }", Iterations::Unknown).0];
        let mut s = site(&loops, Loc::default());
        s.awaited = true;
        s.via = "asyncwise::TaskGroup(unbounded)::spawn";
        assert_eq!(spawn_loop(&s, &k).and_then(|l| l.bound), None);
        s.via = "tokio::task::JoinSet::spawn";
        assert_eq!(
            spawn_loop(&s, &k).and_then(|l| l.bound),
            Some(TaskBound::Awaited)
        );
        s.via = "asyncwise::TaskGroup::spawn";
        assert_eq!(
            spawn_loop(&s, &k).and_then(|l| l.bound),
            Some(TaskBound::BoundedSpawner)
        );
    }
}
