//! A flat, rule-neutral, statement-level IR of the file's async bodies.
//!
//! What it holds: every async body (`async fn`, `async` block, async closure) with its blocks,
//! each block's statements in order, and per statement the names it binds, the places it
//! mentions (`conn`, `self.pool`), and the `.await`s it makes — each with the awaited call's
//! callee as the model resolves it, its receiver place and its `&mut` arguments, and whether
//! it sits inside `join!`/`select!`. `for` loops keep their pattern's bindings and body block;
//! `select!` sites keep structured branches (a direct call with its callee, `&mut fut` of a
//! future made elsewhere, ...) and whether a loop of the same body encloses them.
//!
//! Why a separate pass: these facts are only needed for async bodies, and keeping them out of
//! `walk/` keeps the walker a dispatcher. The walker calls [`Ir::lower_block`] /
//! [`Ir::lower_expr`] where it already enters an async body (as it does for guard liveness),
//! with its resolver and type environment, so callees resolve exactly as [`CallFact`]s do.
//! Nested async blocks and closures are their own bodies: their statements are not the
//! enclosing body's, as they run when (and if) that future is polled.
//!
//! The IR holds facts, never verdicts: "independent", "cancel unsafe" and the like are decided
//! by the rules that read it (`sequential_await`, `select_cancel_unsafe`). Indices are plain
//! `usize`s into the flat vectors, so the whole IR is cheap to build, copy and query.
//!
//! Places are spelled as written, with method calls peeled off their receivers:
//! `self.client.get(url)` has the receiver place `self.client`. They are names, not alias
//! analysis: two different names may still point to the same object (rules stay conservative).
//!
//! [`CallFact`]: super::CallFact

use syn::visit::{self, Visit};

use super::macros::{self, MacroBody};
use super::resolve::Resolver;
use super::types::{TypeEnv, TypeTable, infer};
use super::{Callee, Loc};
use crate::knowledge::cancel_safety;
use crate::knowledge::macros as macro_kinds;

/// The IR of one file's async bodies.
#[derive(Debug, Default, Clone)]
pub struct Ir {
    /// Async bodies, in the order the walker enters them.
    pub bodies: Vec<Body>,
    /// Blocks of those bodies (a body's top block first).
    pub blocks: Vec<Block>,
    /// Statements, each in one block.
    pub stmts: Vec<Stmt>,
    /// Await points, in evaluation order within each body.
    pub awaits: Vec<Await>,
    /// `for` loops of async bodies.
    pub for_loops: Vec<ForLoop>,
    /// `select!` invocations of async bodies.
    pub selects: Vec<SelectSite>,
    /// Calls of async bodies that race a future against a deadline and drop it when the time
    /// runs out (`tokio::time::timeout(d, fut)`, `fut.timeout(d)`).
    pub timeouts: Vec<TimeoutSite>,
}

/// What kind of async body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// The body of an `async fn`.
    AsyncFn,
    /// An `async { .. }` block.
    AsyncBlock,
    /// The body of an `async |..| ..` closure.
    AsyncClosure,
}

/// One async body.
#[derive(Debug, Clone)]
pub struct Body {
    /// Which kind.
    pub kind: BodyKind,
    /// For an `async fn`, its index in [`FileModel::fn_items`](super::FileModel::fn_items);
    /// otherwise the function the block or closure sits in, if any.
    pub fn_item: Option<usize>,
    /// The body.
    pub loc: Loc,
    /// Its await points, in evaluation order (indices into [`Ir::awaits`]).
    pub awaits: Vec<usize>,
    /// Names bound mutably in it: `let mut x`, `mut x` and `x: &mut T` parameters, `self` of
    /// `&mut self`. A method called on one may take `&mut self`.
    pub mut_bindings: Vec<String>,
    /// For an `async fn`: its parameters taken by value, with no reference in their type
    /// (`mut reader: R`, `conn: TcpStream`). The body owns them as it owns its `let`s: they
    /// are dropped when it returns, and the caller handed them over for good.
    pub owned_params: Vec<String>,
    /// An `async move` block: the names of the enclosing code it mentions are moved into it,
    /// so it owns them as it owns its own `let`s (a `self` moved in is still a reference).
    pub moves: bool,
    /// It calls a macro that may await without an `.await` in its arguments (anything but
    /// [`NON_SUSPENDING_MACROS`](crate::knowledge::macros::NON_SUSPENDING_MACROS)), or one
    /// whose `.await` is in a body not parsed as code: it may suspend where `awaits` shows no
    /// await point.
    pub opaque_suspension: bool,
}

impl Body {
    /// An `async fn` body that can never return `Pending`: no await point, and no macro that
    /// may hide one. Awaiting it runs it to its end at once, like a plain call.
    pub fn never_suspends(&self) -> bool {
        self.kind == BodyKind::AsyncFn && self.awaits.is_empty() && !self.opaque_suspension
    }
}

/// A block of an async body.
#[derive(Debug, Clone)]
pub struct Block {
    /// The body it belongs to (index into [`Ir::bodies`]).
    pub body: usize,
    /// Its statements in order (indices into [`Ir::stmts`]).
    pub stmts: Vec<usize>,
    /// How many loops of the same body enclose it.
    pub loop_depth: usize,
}

/// How a statement is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StmtKind {
    /// `let pat = ..;`
    Let,
    /// An expression with a trailing `;` (its value is dropped).
    Semi,
    /// A block's tail expression.
    Tail,
    /// An item or macro statement.
    Other,
}

/// The macro an await or statement sits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InMacro {
    /// `join!`/`try_join!` (tokio, futures).
    Join,
    /// `select!` (tokio, futures, `select_biased!`).
    Select,
}

/// One statement.
#[derive(Debug, Clone)]
pub struct Stmt {
    /// The block it is in.
    pub block: usize,
    /// The statement.
    pub loc: Loc,
    /// How it is written.
    pub kind: StmtKind,
    /// For a `let`: the pattern (without a type ascription), and whether it binds anything
    /// (`let _ = ..` does not).
    pub pat: Option<(Loc, bool)>,
    /// Names it binds.
    pub defines: Vec<String>,
    /// Places it mentions (variables, `self.field` chains), including its bindings' uses.
    pub uses: Vec<String>,
    /// Its await points (indices into [`Ir::awaits`]), nested blocks of it included.
    pub awaits: Vec<usize>,
    /// The await that is the whole statement's value (`let x = f().await?;`, `g().await;`),
    /// modulo `?`: whether the `?` is there.
    pub direct_await: Option<(usize, bool)>,
    /// The await whose value the statement examines in place when it is an `if` or `match`
    /// on it (`if let Err(e) = probe(u).await { .. }`, `match f().await { .. }`,
    /// `if f().await.is_err() { .. }`).
    pub examined_await: Option<ExaminedAwait>,
    /// It sits in a `join!`/`select!` handler or argument.
    pub in_macro: Option<InMacro>,
    /// A `for` loop this statement is (index into [`Ir::for_loops`]).
    pub for_loop: Option<usize>,
    /// For an `if` whose condition awaits nothing and whose branches only print or log
    /// (`if !up { warn!(..) }`, a report on values, no control flow and no state): the places
    /// its condition reads.
    pub reports_only: Option<Vec<String>>,
}

/// An await examined in place by an `if` or `match` statement (see [`Stmt::examined_await`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExaminedAwait {
    /// The await (index into [`Ir::awaits`]).
    pub await_id: usize,
    /// No branch leaves the enclosing iteration or changes state declared outside it: none
    /// breaks, continues, returns, uses `?`, `bail!`s or assigns.
    pub branches_stay: bool,
}

/// What an await point awaits.
#[derive(Debug, Clone)]
pub enum Awaited {
    /// A call's future: `f(x).await`, `conn.read(&mut buf).await`.
    Call(CallSite),
    /// A place: `handle.await`, `(&mut fut).await`.
    Place(String),
    /// A `join!`/`select!`: it awaits its operands.
    Macro(InMacro),
    /// Anything else (`async { .. }.await`, a closure's result).
    Other,
}

/// One await point.
#[derive(Debug, Clone)]
pub struct Await {
    /// The body (index into [`Ir::bodies`]).
    pub body: usize,
    /// The `.await` expression (for a macro: the invocation).
    pub loc: Loc,
    /// The statement it is in, if any (index into [`Ir::stmts`]).
    pub stmt: Option<usize>,
    /// The macro it sits in.
    pub in_macro: Option<InMacro>,
    /// What is awaited.
    pub awaited: Awaited,
}

/// A call as the IR sees it.
#[derive(Debug, Clone)]
pub struct CallSite {
    /// The callee, as the model resolves it.
    pub callee: Callee,
    /// The method's name or the path's last segment.
    pub name: String,
    /// The call expression.
    pub loc: Loc,
    /// The receiver's place (`self.conn` for `self.conn.query(..)`), for method calls on one.
    pub receiver: Option<String>,
    /// Places borrowed `&mut` in the arguments.
    pub mut_args: Vec<String>,
    /// Every place the call mentions (receiver chain and arguments).
    pub uses: Vec<String>,
    /// How many arguments it passes (a method's receiver not counted).
    pub args: usize,
    /// Its first argument lends a one-element buffer (`&mut [0u8; 1]`, `&mut buf[..1]`, or
    /// `&mut byte` for a local `let mut byte = [0u8; 1];`): a read or write of it moves one
    /// byte or none, so dropping it part-way loses nothing.
    pub one_element_buffer: bool,
}

impl CallSite {
    /// The row of `knowledge`'s futures that are not cancellation safe this call makes, if
    /// any. A read or write of a one-element buffer ([`CallSite::one_element_buffer`]) moves
    /// one byte or none, as `read_u8` does, which tokio documents as cancel safe: no row.
    pub fn cancel_unsafe_row<'k>(
        &self,
        knowledge: &'k crate::knowledge::Knowledge,
    ) -> Option<&'k crate::knowledge::cancel_safety::CancelUnsafe> {
        let Callee::Method { name, receiver } = &self.callee else {
            return None;
        };
        knowledge
            .cancel_unsafe(name, receiver.path())
            .filter(|row| !(self.one_element_buffer && row.drops_stream_bytes()))
    }

    /// The crate function this call may be, for the crate pass, with the number of arguments
    /// it passes: a path into the crate (`crate::group::send`, `Self::flush`), or a method
    /// whose receiver is of a crate type or of a type not known. `None` for a call into a
    /// library.
    pub fn crate_fn(&self) -> Option<(crate::facts::FnRef, usize)> {
        let (qualifier, method_call) = match &self.callee {
            Callee::Path(path) => {
                let mut segments = path.rsplit("::");
                segments.next();
                let root = path.split("::").next().unwrap_or_default();
                if !matches!(root, "crate" | "Self" | "self" | "super") {
                    return None;
                }
                (segments.next().map(str::to_string), false)
            }
            Callee::Method { receiver, .. } => match receiver.path() {
                Some(ty) if !ty.starts_with("crate::") => return None,
                Some(ty) => (ty.rsplit("::").next().map(str::to_string), true),
                // On a value of unknown type, a name libraries' futures share (`send`,
                // `flush`, ...) may be the library's: not taken for the crate's own.
                None if crate::knowledge::awaits::LIBRARY_AWAIT_NAMES
                    .contains(&self.name.as_str()) =>
                {
                    return None;
                }
                None => (None, true),
            },
            _ => return None,
        };
        Some((
            crate::facts::FnRef {
                name: self.name.clone(),
                qualifier,
                method_call,
                qualifier_by_name: false,
            },
            self.args,
        ))
    }

    /// For a call through another crate's module path (`arena::net::register(..)`,
    /// `use arena::net; net::register(..)`): the function of the same module and name this
    /// package may declare, since a binary, a test or an example names its own package's
    /// library by the library's name. The file alone cannot tell that name from a
    /// dependency's; a dependency's function matches nothing the package declares.
    pub fn fn_of_named_crate(&self) -> Option<(crate::facts::FnRef, usize)> {
        let Callee::Path(path) = &self.callee else {
            return None;
        };
        let mut segments = path.rsplit("::");
        segments.next();
        let module = segments.next()?;
        // A module inside the named crate, not the crate root itself.
        segments.next()?;
        Some((
            crate::facts::FnRef {
                name: self.name.clone(),
                qualifier: Some(module.to_string()),
                method_call: false,
                qualifier_by_name: false,
            },
            self.args,
        ))
    }
}

/// A `for` loop in an async body.
#[derive(Debug, Clone)]
pub struct ForLoop {
    /// The loop expression.
    pub loc: Loc,
    /// The statement it is (index into [`Ir::stmts`]), when it is one.
    pub stmt: Option<usize>,
    /// The names its pattern binds.
    pub bindings: Vec<String>,
    /// Places the iterated expression mentions.
    pub iter_uses: Vec<String>,
    /// Its body (index into [`Ir::blocks`]).
    pub body: usize,
}

/// A `select!` invocation.
#[derive(Debug, Clone)]
pub struct SelectSite {
    /// The body (index into [`Ir::bodies`]).
    pub body: usize,
    /// The macro invocation.
    pub loc: Loc,
    /// The macro's path as resolved (`tokio::select`, `futures::select_biased`, or as written).
    pub path: String,
    /// The innermost loop of the same body around it, if any.
    pub in_loop: Option<Loc>,
    /// The branches, in order.
    pub branches: Vec<SelectBranch>,
    /// How many loops of the same body are around it.
    pub loop_depth: usize,
    /// The statements (indices into [`Ir::stmts`]) that hold the innermost loop around it,
    /// outermost first: the statements after each of them in its block run after the loop.
    pub loop_stmts: Vec<usize>,
    /// The same for the outermost loop of the body around it.
    pub outer_loop_stmts: Vec<usize>,
    /// Once the `select!` is done, the iteration always leaves the innermost loop around it:
    /// a statement holding it, inside that loop, is a `return` or `break`, or is followed in its
    /// block by one (`let slot = select! { .. }; return Some(slot);`). The loop then runs the
    /// `select!` at most once, as if it were not in a loop.
    pub then_leaves_loop: bool,
}

/// A call that drops its future when a deadline passes: `tokio::time::timeout(d, fut)` and the
/// other rows of [`TIMEOUT_FNS`](crate::knowledge::cancel_safety::TIMEOUT_FNS), or an extension
/// method `fut.timeout(d)`.
#[derive(Debug, Clone)]
pub struct TimeoutSite {
    /// The body (index into [`Ir::bodies`]).
    pub body: usize,
    /// The whole call.
    pub loc: Loc,
    /// The called path as resolved (`tokio::time::timeout`), or `.timeout` for a method.
    pub path: String,
    /// The future expression the deadline may drop.
    pub future: Loc,
    /// The future when it is a call made right there (`Box::pin(..)` looked through).
    pub call: Option<CallSite>,
    /// The innermost loop of the same body around it, if any.
    pub in_loop: Option<Loc>,
    /// When the time runs out, the code visibly leaves the loop: the result is propagated with
    /// `?`, or the `Err` arm of a `match` on it (or the `else` of a `let Ok(..) = .. else`)
    /// ends in `break` or `return`. Otherwise the loop may go round again and make a new
    /// future.
    pub leaves_loop_on_elapsed: bool,
}

/// A `select!` branch's future.
#[derive(Debug, Clone)]
pub enum BranchFuture {
    /// A call made right there, so a new future each time the `select!` runs
    /// (`.fuse()`, `Box::pin(..)` looked through).
    Call(CallSite),
    /// `&mut fut`: a future created elsewhere, polled again each time.
    MutRef(String),
    /// A place: `fut`, `handle`.
    Place(String),
    /// Anything else (an async block, a macro, ...).
    Other,
}

/// One `select!` branch.
#[derive(Debug, Clone)]
pub struct SelectBranch {
    /// The future expression.
    pub loc: Loc,
    /// What it is.
    pub future: BranchFuture,
    /// The branch's pattern is `_`: the future's output (a permit, a guard, a message) is
    /// dropped as soon as the branch wins.
    pub discards_output: bool,
    /// The branch's handler always leaves the loop around the `select!`: it ends in `break`,
    /// `return`, `panic!`-like macros or `bail!`.
    pub leaves_loop: bool,
    /// Places the handler gives a new value (`conn = next;`, `*conn = next;`) on every way
    /// through it that does not leave every loop around the `select!` (`return`, `panic!`-like
    /// macros, `bail!`, a `break` of the only loop or one naming the outermost loop): when this
    /// branch wins, the old value is dropped, with whatever another branch's dropped future
    /// had half read from it or written to it.
    pub replaces: Vec<String>,
}

impl SelectSite {
    /// Whether the `select!` is the only loop's of its body and every branch but `branch`
    /// leaves that loop when it wins: once another branch wins, the loop is over, so the
    /// dropped future of `branch` is never made again.
    pub fn others_leave_loop(&self, branch: usize) -> bool {
        self.loop_depth == 1
            && self.branches.len() > 1
            && self
                .branches
                .iter()
                .enumerate()
                .all(|(i, b)| i == branch || b.leaves_loop)
    }
}

impl Ir {
    /// Whether `place` (or a place overlapping it) is mentioned by a statement of `site`'s body
    /// that runs after the loop around the `select!`.
    pub fn used_after_loop(&self, site: &SelectSite, place: &str) -> bool {
        self.used_after_any(&site.loop_stmts, place)
    }

    /// Whether `place` (or a place overlapping it) is mentioned by a statement that follows
    /// one of `stmts` in its block.
    fn used_after_any(&self, stmts: &[usize], place: &str) -> bool {
        stmts.iter().any(|&s| {
            self.blocks[self.stmts[s].block]
                .stmts
                .iter()
                .skip_while(|&&x| x != s)
                .skip(1)
                .any(|&x| self.stmts[x].uses.iter().any(|u| places_overlap(u, place)))
        })
    }

    /// Whether `body` owns the root of `place`: bound by one of its `let`s, a parameter its
    /// `async fn` takes by value, or moved into an `async move` block (not `self`, which
    /// stays a reference).
    pub fn owned_by(&self, body: usize, place: &str) -> bool {
        let root = place.split('.').next().unwrap_or(place);
        self.bound_locally(body, place)
            || self.owned_param(body, place)
            || root != "self" && self.bodies.get(body).is_some_and(|b| b.moves)
    }

    /// Whether the root of `place` is a parameter `body`'s `async fn` takes by value
    /// ([`Body::owned_params`]): dropped when the body returns, like a `let` of it.
    pub fn owned_param(&self, body: usize, place: &str) -> bool {
        let root = place.split('.').next().unwrap_or(place);
        self.bodies
            .get(body)
            .is_some_and(|b| b.owned_params.iter().any(|p| p == root))
    }

    /// Whether `place` (or a place overlapping it) is mentioned by a statement of `site`'s body
    /// that runs after the outermost loop around the `select!`.
    pub fn used_after_outer_loop(&self, site: &SelectSite, place: &str) -> bool {
        self.used_after_any(&site.outer_loop_stmts, place)
    }

    /// Whether the root of `place` (`conn` of `conn.inner`) is bound by a `let` of `body`:
    /// a value this body owns, not `self` or a parameter the caller may use again.
    pub fn bound_locally(&self, body: usize, place: &str) -> bool {
        let root = place.split('.').next().unwrap_or(place);
        self.stmts
            .iter()
            .any(|s| self.blocks[s.block].body == body && s.defines.iter().any(|d| d == root))
    }
}

struct Ctx<'a> {
    env: &'a TypeEnv,
    types: &'a TypeTable,
    resolver: &'a Resolver,
}

impl Ir {
    /// Lowers an async body given as a block (`async fn`, `async` block).
    ///
    /// `mut_params` are the parameters of an `async fn` that are `&mut` references: handing
    /// one to a call lends it mutably, like writing `&mut x`. `mut_bindings` are the body's
    /// mutable parameter bindings (those, `mut x`, `&mut self`); its `let mut` ones are added
    /// while lowering.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn lower_block(
        &mut self,
        kind: BodyKind,
        fn_item: Option<usize>,
        block: &syn::Block,
        mut_params: Vec<String>,
        mut_bindings: Vec<String>,
        env: &TypeEnv,
        types: &TypeTable,
        resolver: &Resolver,
    ) {
        let body = self.bodies.len();
        self.bodies.push(Body {
            kind,
            fn_item,
            loc: Loc::block(block),
            awaits: Vec::new(),
            mut_bindings,
            owned_params: Vec::new(),
            moves: false,
            opaque_suspension: false,
        });
        let cx = Ctx {
            env,
            types,
            resolver,
        };
        let mut l = Lowerer::new(self, &cx, body);
        l.mut_params = mut_params;
        l.block(&block.stmts);
    }

    /// Lowers an async closure's body expression.
    pub(crate) fn lower_expr(
        &mut self,
        fn_item: Option<usize>,
        expr: &syn::Expr,
        env: &TypeEnv,
        types: &TypeTable,
        resolver: &Resolver,
    ) {
        let body = self.bodies.len();
        self.bodies.push(Body {
            kind: BodyKind::AsyncClosure,
            fn_item,
            loc: Loc::expr(expr),
            awaits: Vec::new(),
            mut_bindings: Vec::new(),
            owned_params: Vec::new(),
            moves: false,
            opaque_suspension: false,
        });
        let cx = Ctx {
            env,
            types,
            resolver,
        };
        let mut l = Lowerer::new(self, &cx, body);
        match expr {
            syn::Expr::Block(b) => {
                l.block(&b.block.stmts);
            }
            other => {
                let stmt = syn::Stmt::Expr(other.clone(), None);
                l.block(std::slice::from_ref(&stmt));
            }
        }
    }

    /// The statements of a block, in order.
    pub fn stmts_of(&self, block: usize) -> impl Iterator<Item = (usize, &Stmt)> {
        self.blocks
            .get(block)
            .into_iter()
            .flat_map(|b| b.stmts.iter().map(|&s| (s, &self.stmts[s])))
    }

    /// The awaited call of an await point, if it awaits a call.
    pub fn call_of(&self, await_id: usize) -> Option<&CallSite> {
        match &self.awaits.get(await_id)?.awaited {
            Awaited::Call(c) => Some(c),
            _ => None,
        }
    }
}

struct Lowerer<'i, 'c> {
    ir: &'i mut Ir,
    cx: &'c Ctx<'c>,
    body: usize,
    /// The statements being lowered, outermost first.
    stmt_stack: Vec<usize>,
    in_macro: Option<InMacro>,
    loops: Vec<Loc>,
    /// For each loop of `loops`, its label (`'outer`, without the quote).
    loop_labels: Vec<Option<String>>,
    /// For each loop of `loops`, the statements being lowered when it was entered.
    loop_stmts: Vec<Vec<usize>>,
    /// Parameters that are `&mut` references.
    mut_params: Vec<String>,
    /// For each statement of `stmt_stack`: it is a `return`/`break`, or a later statement of
    /// its block is (see [`SelectSite::then_leaves_loop`]).
    leaves_after: Vec<bool>,
    /// Timeout calls (by location) whose `Elapsed` leaves the loop: see
    /// [`TimeoutSite::leaves_loop_on_elapsed`].
    leaving: Vec<Loc>,
    /// Locals of the body bound to a one-element array (`let mut byte = [0u8; 1];`), in the
    /// order met (see [`CallSite::one_element_buffer`]).
    one_element_locals: Vec<String>,
}

impl<'i, 'c> Lowerer<'i, 'c> {
    fn new(ir: &'i mut Ir, cx: &'c Ctx<'c>, body: usize) -> Self {
        Lowerer {
            ir,
            cx,
            body,
            stmt_stack: Vec::new(),
            in_macro: None,
            loops: Vec::new(),
            loop_labels: Vec::new(),
            loop_stmts: Vec::new(),
            mut_params: Vec::new(),
            leaves_after: Vec::new(),
            leaving: Vec::new(),
            one_element_locals: Vec::new(),
        }
    }

    fn enter_loop(&mut self, loc: Loc, label: Option<&syn::Label>) {
        self.loops.push(loc);
        self.loop_labels
            .push(label.map(|l| l.name.ident.to_string()));
        self.loop_stmts.push(self.stmt_stack.clone());
    }

    /// Does the iteration leave the innermost loop once the current statement is done? Only
    /// statements entered inside that loop count.
    fn then_leaves_loop(&self) -> bool {
        let Some(entered) = self.loop_stmts.last() else {
            return false;
        };
        self.leaves_after
            .get(entered.len()..)
            .is_some_and(|inside| inside.iter().any(|&l| l))
    }

    fn leave_loop(&mut self) {
        self.loops.pop();
        self.loop_labels.pop();
        self.loop_stmts.pop();
    }

    fn block(&mut self, stmts: &[syn::Stmt]) -> usize {
        if !self.loops.is_empty() {
            leaving_timeouts(stmts, &mut self.leaving);
        }
        let id = self.ir.blocks.len();
        self.ir.blocks.push(Block {
            body: self.body,
            stmts: Vec::new(),
            loop_depth: self.loops.len(),
        });
        // From each statement on, whether it or a later one leaves with no `continue` on the
        // way (a `continue`, also in a `select!` handler, goes round again): a suffix scan. The
        // statements are tokenised only where a later one leaves.
        let mut leaves_from = vec![false; stmts.len() + 1];
        for (i, s) in stmts.iter().enumerate().rev() {
            let leaves_here = stmt_leaves(s) || leaves_from[i + 1];
            leaves_from[i] = leaves_here && !mentions_continue(quote::ToTokens::to_token_stream(s));
        }
        for (position, s) in stmts.iter().enumerate() {
            let sid = self.ir.stmts.len();
            let (kind, pat, expr) = match s {
                syn::Stmt::Local(l) => {
                    let inner = match &l.pat {
                        syn::Pat::Type(t) => &*t.pat,
                        p => p,
                    };
                    (
                        StmtKind::Let,
                        Some((Loc::of(inner), !matches!(inner, syn::Pat::Wild(_)))),
                        l.init.as_ref().map(|i| &*i.expr),
                    )
                }
                syn::Stmt::Expr(e, Some(_)) => (StmtKind::Semi, None, Some(e)),
                syn::Stmt::Expr(e, None) => (StmtKind::Tail, None, Some(e)),
                _ => (StmtKind::Other, None, None),
            };
            let mut defines = Vec::new();
            if let syn::Stmt::Local(l) = s {
                if let Some(name) = one_element_binding(l) {
                    self.one_element_locals.push(name);
                }
                pat_names(&l.pat, &mut defines);
                mut_pat_names(&l.pat, &mut self.ir.bodies[self.body].mut_bindings);
            }
            let mut uses = Vec::new();
            if !matches!(s, syn::Stmt::Item(_)) {
                collect_places_stmt(s, &mut uses);
            }
            self.ir.stmts.push(Stmt {
                block: id,
                loc: match s {
                    // From `let` to `;`, what `Loc::of` gives, without tokenising the
                    // initialiser (often a whole async block).
                    syn::Stmt::Local(l) if l.attrs.is_empty() => Loc::local(l),
                    _ => Loc::of(s),
                },
                kind,
                pat,
                defines,
                uses,
                awaits: Vec::new(),
                direct_await: None,
                examined_await: None,
                in_macro: self.in_macro,
                for_loop: None,
                reports_only: match s {
                    syn::Stmt::Expr(syn::Expr::If(i), _) if if_only_reports(i) => {
                        let mut read = Vec::new();
                        collect_places(&i.cond, &mut read);
                        Some(read)
                    }
                    _ => None,
                },
            });
            self.ir.blocks[id].stmts.push(sid);
            self.stmt_stack.push(sid);
            self.leaves_after.push(leaves_from[position]);
            match s {
                syn::Stmt::Local(l) => {
                    if let Some(init) = &l.init {
                        self.visit_expr(&init.expr);
                        if let Some((_, diverge)) = &init.diverge {
                            self.visit_expr(diverge);
                        }
                    }
                }
                syn::Stmt::Expr(e, _) => self.visit_expr(e),
                syn::Stmt::Macro(m) => self.mac(&m.mac),
                syn::Stmt::Item(_) => {}
            }
            // `x.await?` / `x.await` as the statement's whole value, also with the error
            // changed on its way (`x.await.map_err(internal)?`, `.context(..)?`).
            if let Some(e) = expr {
                let (mut inner, tried) = match e {
                    syn::Expr::Try(t) => (&*t.expr, true),
                    e => (e, false),
                };
                while let syn::Expr::MethodCall(m) = inner
                    && crate::knowledge::spawn::ERROR_ADAPTERS
                        .contains(&m.method.to_string().as_str())
                    && matches!(&*m.receiver, syn::Expr::Await(_) | syn::Expr::MethodCall(_))
                {
                    inner = &m.receiver;
                }
                if let syn::Expr::Await(a) = inner {
                    let loc = Loc::from_span(a.await_token.span);
                    let direct = self.ir.stmts[sid]
                        .awaits
                        .iter()
                        .copied()
                        .find(|&w| self.ir.awaits[w].loc == loc);
                    self.ir.stmts[sid].direct_await = direct.map(|w| (w, tried));
                } else if let Some((a, branches_stay)) = examined(inner) {
                    let loc = Loc::from_span(a.await_token.span);
                    let examined = self.ir.stmts[sid]
                        .awaits
                        .iter()
                        .copied()
                        .find(|&w| self.ir.awaits[w].loc == loc);
                    self.ir.stmts[sid].examined_await = examined.map(|await_id| ExaminedAwait {
                        await_id,
                        branches_stay,
                    });
                }
            }
            self.stmt_stack.pop();
            self.leaves_after.pop();
        }
        id
    }

    fn push_await(&mut self, loc: Loc, awaited: Awaited) {
        let id = self.ir.awaits.len();
        self.ir.awaits.push(Await {
            body: self.body,
            loc,
            stmt: self.stmt_stack.last().copied(),
            in_macro: self.in_macro,
            awaited,
        });
        self.ir.bodies[self.body].awaits.push(id);
        // An await belongs to its statement and to every statement enclosing it.
        for &sid in &self.stmt_stack {
            self.ir.stmts[sid].awaits.push(id);
        }
    }

    fn call_site(&self, e: &syn::Expr) -> Option<CallSite> {
        match e {
            syn::Expr::Call(c) => {
                let syn::Expr::Path(p) = &*c.func else {
                    return None;
                };
                if p.qself.is_some() {
                    return None;
                }
                let path = self.cx.resolver.resolve(&p.path);
                let name = p.path.segments.last()?.ident.to_string();
                let mut uses = Vec::new();
                let mut mut_args = Vec::new();
                for a in &c.args {
                    collect_places(a, &mut uses);
                    self.mut_arg(a, &mut mut_args);
                }
                Some(CallSite {
                    callee: Callee::Path(path),
                    name,
                    loc: Loc::call(c),
                    receiver: None,
                    mut_args,
                    uses,
                    args: c.args.len(),
                    one_element_buffer: c.args.first().is_some_and(|a| self.lends_one_element(a)),
                })
            }
            syn::Expr::MethodCall(m) => {
                let receiver_ty = infer(&m.receiver, self.cx.env, self.cx.types, self.cx.resolver);
                let mut uses = Vec::new();
                collect_places(&m.receiver, &mut uses);
                let mut mut_args = Vec::new();
                for a in &m.args {
                    collect_places(a, &mut uses);
                    self.mut_arg(a, &mut mut_args);
                }
                Some(CallSite {
                    callee: Callee::Method {
                        name: m.method.to_string(),
                        receiver: receiver_ty,
                    },
                    name: m.method.to_string(),
                    loc: Loc::method_call(m),
                    receiver: place_of(&m.receiver),
                    mut_args,
                    uses,
                    args: m.args.len(),
                    one_element_buffer: m.args.first().is_some_and(|a| self.lends_one_element(a)),
                })
            }
            syn::Expr::Paren(p) => self.call_site(&p.expr),
            _ => None,
        }
    }

    /// Does `e` lend a one-element buffer: `&mut [x; 1]`, `&mut [x]`, `&mut buf[..1]`,
    /// `&mut buf[0..1]`, or `&mut name` / `&name` for a local bound to a one-element array
    /// ([`CallSite::one_element_buffer`])?
    fn lends_one_element(&self, e: &syn::Expr) -> bool {
        let syn::Expr::Reference(r) = e else {
            return false;
        };
        match &*r.expr {
            syn::Expr::Path(p) => p
                .path
                .get_ident()
                .is_some_and(|name| self.one_element_locals.iter().any(|l| name == l)),
            syn::Expr::Index(i) => is_first_element_range(&i.index),
            other => is_one_element_array(other),
        }
    }

    /// `&mut x` arguments (also `x.as_mut()`, `x.deref_mut()`: a transaction handed to a
    /// query as `tx.as_mut()`), and `&mut` parameters passed on: the places lent mutably.
    fn mut_arg(&self, e: &syn::Expr, out: &mut Vec<String>) {
        match e {
            syn::Expr::Reference(r) if r.mutability.is_some() => out.extend(place_of(&r.expr)),
            syn::Expr::MethodCall(m)
                if m.args.is_empty()
                    && crate::knowledge::awaits::MUT_BORROW_METHODS
                        .contains(&m.method.to_string().as_str()) =>
            {
                out.extend(place_of(&m.receiver));
            }
            syn::Expr::Path(p) => {
                if let Some(name) = p.path.get_ident().map(ToString::to_string)
                    && self.mut_params.contains(&name)
                {
                    out.push(name);
                }
            }
            _ => {}
        }
    }

    fn mac(&mut self, mac: &syn::Macro) {
        let name = macros::name(mac);
        let kind = match name.as_str() {
            "select" | "select_biased" => Some(InMacro::Select),
            "join" | "try_join" => Some(InMacro::Join),
            _ => None,
        };
        match kind {
            Some(InMacro::Select) => {
                let Some(arms) = macros::select_arms(mac) else {
                    return;
                };
                let loc = Loc::mac(mac);
                let exits = LoopExits {
                    depth: self.loops.len(),
                    outermost: self.loop_labels.first().cloned().flatten(),
                };
                let branches = arms
                    .iter()
                    .filter_map(|a| Some((a.future.as_ref()?, a.pattern.as_ref(), &a.handler)))
                    .map(|(future, pattern, handler)| SelectBranch {
                        loc: Loc::expr(future),
                        future: self.branch_future(future),
                        discards_output: matches!(pattern, Some(syn::Pat::Wild(_))),
                        leaves_loop: leaves(handler),
                        replaces: exits.replaced_places(handler),
                    })
                    .collect();
                self.ir.selects.push(SelectSite {
                    body: self.body,
                    loc,
                    path: self.cx.resolver.resolve(&mac.path),
                    in_loop: self.loops.last().copied(),
                    branches,
                    loop_depth: self.loops.len(),
                    loop_stmts: self.loop_stmts.last().cloned().unwrap_or_default(),
                    outer_loop_stmts: self.loop_stmts.first().cloned().unwrap_or_default(),
                    then_leaves_loop: self.then_leaves_loop()
                        && !mentions_continue(mac.tokens.clone()),
                });
                for arm in &arms {
                    if let Some(future) = &arm.future
                        && let Some(loc) =
                            elapsed_branch_leaves(future, arm.pattern.as_ref(), &arm.handler)
                    {
                        self.leaving.push(loc);
                    }
                }
                let saved = self.in_macro.replace(InMacro::Select);
                for arm in &arms {
                    if let Some(f) = &arm.future {
                        self.visit_expr(f);
                    }
                    if let Some(p) = &arm.precondition {
                        self.visit_expr(p);
                    }
                    self.visit_expr(&arm.handler);
                }
                self.in_macro = saved;
                self.push_await(loc, Awaited::Macro(InMacro::Select));
            }
            Some(InMacro::Join) => {
                let saved = self.in_macro.replace(InMacro::Join);
                if let MacroBody::Exprs(exprs) = macros::body(mac) {
                    exprs.iter().for_each(|e| self.visit_expr(e));
                }
                self.in_macro = saved;
                self.push_await(Loc::mac(mac), Awaited::Macro(InMacro::Join));
            }
            None => {
                // Only a body holding `.await` adds anything here; parsing the others (most
                // macros: logging, formatting, asserts) would only cost time.
                let known = macro_kinds::NON_SUSPENDING_MACROS.contains(&name.as_str());
                let opaque = macro_kinds::OPAQUE_MACROS.contains(&name.as_str());
                if (opaque || !known) && !self.ir.bodies[self.body].opaque_suspension {
                    // Its expansion may await; an opaque body's `.await`s are not lowered.
                    self.ir.bodies[self.body].opaque_suspension =
                        !known || holds_await(mac.tokens.clone());
                }
                if opaque || !holds_await(mac.tokens.clone()) {
                    return;
                }
                match macros::body(mac) {
                    MacroBody::Exprs(exprs) => exprs.iter().for_each(|e| self.visit_expr(e)),
                    MacroBody::Stmts(stmts) => {
                        self.block(&stmts);
                    }
                    MacroBody::Opaque => self.ir.bodies[self.body].opaque_suspension = true,
                }
            }
        }
    }

    /// Records a timeout call whose future is `future`.
    fn timeout(&mut self, loc: Loc, path: String, future: &syn::Expr) {
        let future = pinned_inner(future);
        let site = TimeoutSite {
            body: self.body,
            loc,
            path,
            future: Loc::expr(future),
            call: self.call_site(future),
            in_loop: self.loops.last().copied(),
            leaves_loop_on_elapsed: self.leaving.contains(&loc),
        };
        self.ir.timeouts.push(site);
    }

    fn branch_future(&self, e: &syn::Expr) -> BranchFuture {
        match e {
            syn::Expr::MethodCall(m) if m.method == "fuse" && m.args.is_empty() => {
                self.branch_future(&m.receiver)
            }
            syn::Expr::Call(c)
                if c.args.len() == 1
                    && matches!(&*c.func, syn::Expr::Path(p)
                        if p.path.segments.last().is_some_and(|s| s.ident == "pin")) =>
            {
                self.branch_future(&c.args[0])
            }
            syn::Expr::Paren(p) => self.branch_future(&p.expr),
            syn::Expr::Reference(r) if r.mutability.is_some() => {
                place_of(&r.expr).map_or(BranchFuture::Other, BranchFuture::MutRef)
            }
            syn::Expr::Path(_) | syn::Expr::Field(_) => {
                place_of(e).map_or(BranchFuture::Other, BranchFuture::Place)
            }
            _ => self
                .call_site(e)
                .map_or(BranchFuture::Other, BranchFuture::Call),
        }
    }
}

impl<'ast> Visit<'ast> for Lowerer<'_, '_> {
    fn visit_expr_await(&mut self, a: &'ast syn::ExprAwait) {
        visit::visit_expr(self, &a.base);
        let awaited = match &*a.base {
            syn::Expr::Path(_) | syn::Expr::Field(_) => {
                place_of(&a.base).map_or(Awaited::Other, Awaited::Place)
            }
            syn::Expr::Reference(r) => place_of(&r.expr).map_or(Awaited::Other, Awaited::Place),
            base => self
                .call_site(pinned_inner(base))
                .map_or(Awaited::Other, Awaited::Call),
        };
        self.push_await(Loc::from_span(a.await_token.span), awaited);
    }

    fn visit_block(&mut self, b: &'ast syn::Block) {
        self.block(&b.stmts);
    }

    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if let syn::Expr::Path(p) = &*c.func
            && p.qself.is_none()
            && names_timeout(&p.path)
        {
            let path = self.cx.resolver.resolve(&p.path);
            if let Some(future) =
                cancel_safety::timeout_future_argument(&path).and_then(|arg| c.args.iter().nth(arg))
            {
                self.timeout(Loc::call(c), path, future);
            }
        }
        visit::visit_expr_call(self, c);
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        if m.args.len() == 1 && cancel_safety::TIMEOUT_METHODS.iter().any(|t| m.method == t) {
            self.timeout(Loc::method_call(m), format!(".{}", m.method), &m.receiver);
        }
        visit::visit_expr_method_call(self, m);
    }

    fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
        self.visit_expr(&f.expr);
        let mut bindings = Vec::new();
        pat_names(&f.pat, &mut bindings);
        let mut iter_uses = Vec::new();
        collect_places(&f.expr, &mut iter_uses);
        let id = self.ir.for_loops.len();
        let loc = Loc::of(f);
        self.ir.for_loops.push(ForLoop {
            loc,
            stmt: None,
            bindings,
            iter_uses,
            body: usize::MAX,
        });
        if let Some(&s) = self.stmt_stack.last()
            && self.ir.stmts[s].loc == loc
        {
            self.ir.stmts[s].for_loop = Some(id);
            self.ir.for_loops[id].stmt = Some(s);
        }
        self.enter_loop(Loc::from_span(f.for_token.span), f.label.as_ref());
        let body = self.block(&f.body.stmts);
        self.leave_loop();
        self.ir.for_loops[id].body = body;
    }

    fn visit_expr_while(&mut self, w: &'ast syn::ExprWhile) {
        self.visit_expr(&w.cond);
        self.enter_loop(Loc::from_span(w.while_token.span), w.label.as_ref());
        self.block(&w.body.stmts);
        self.leave_loop();
    }

    fn visit_expr_loop(&mut self, l: &'ast syn::ExprLoop) {
        self.enter_loop(Loc::from_span(l.loop_token.span), l.label.as_ref());
        self.block(&l.body.stmts);
        self.leave_loop();
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.mac(m);
    }

    // Other bodies: lowered on their own when the walker reaches them.
    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// The timeout call awaited by `e` (`timeout(d, f).await`, `f.timeout(d).await`), by location,
/// whether or not it resolves to a timeout row (the lowering checks that).
fn awaited_timeout(e: &syn::Expr) -> Option<Loc> {
    let syn::Expr::Await(a) = e else {
        return None;
    };
    match pinned_inner(&a.base) {
        syn::Expr::Call(c) => match &*c.func {
            syn::Expr::Path(p) if names_timeout(&p.path) => Some(Loc::call(c)),
            _ => None,
        },
        syn::Expr::MethodCall(m)
            if m.args.len() == 1
                && cancel_safety::TIMEOUT_METHODS.iter().any(|t| m.method == t) =>
        {
            Some(Loc::method_call(m))
        }
        _ => None,
    }
}

/// `t.await?`, `t.await.map_err(..)?`, `t.await??`: the timeout whose `Elapsed` is propagated.
fn propagated_timeout(e: &syn::Expr) -> Option<Loc> {
    let syn::Expr::Try(t) = e else {
        return None;
    };
    awaited_timeout(propagated_value(t))
}

/// The value whose error a `?` propagates, through further `?`s, method calls (`.map_err(..)`)
/// and parentheses: `res` in `res.map_err(..)?` and `res??`.
fn propagated_value(t: &syn::ExprTry) -> &syn::Expr {
    let mut inner = &*t.expr;
    loop {
        match inner {
            syn::Expr::Try(t) => inner = &t.expr,
            syn::Expr::MethodCall(m) => inner = &m.receiver,
            syn::Expr::Paren(p) => inner = &p.expr,
            other => return other,
        }
    }
}

/// The await an `if` or `match` examines (`if let P = f().await`, `if f().await.is_err()`,
/// `match f().await?`), and whether its branches stay in the iteration ([`ExaminedAwait`]).
fn examined(e: &syn::Expr) -> Option<(&syn::ExprAwait, bool)> {
    let (scrutinee, stays) = match e {
        syn::Expr::If(i) => {
            let scrutinee = match &*i.cond {
                syn::Expr::Let(l) => &*l.expr,
                cond => cond,
            };
            let mut check = Stays(true);
            check.visit_block(&i.then_branch);
            if let Some((_, els)) = &i.else_branch {
                check.visit_expr(els);
            }
            (scrutinee, check.0)
        }
        syn::Expr::Match(m) => {
            let mut check = Stays(true);
            for arm in &m.arms {
                check.visit_arm(arm);
            }
            (&*m.expr, check.0)
        }
        _ => return None,
    };
    let mut core = scrutinee;
    loop {
        match core {
            syn::Expr::Await(a) => return Some((a, stays)),
            syn::Expr::Try(t) => core = &t.expr,
            syn::Expr::Paren(p) => core = &p.expr,
            syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Not(_)) => core = &u.expr,
            syn::Expr::MethodCall(m)
                if m.args.is_empty()
                    && matches!(
                        m.method.to_string().as_str(),
                        "is_ok" | "is_err" | "is_some" | "is_none"
                    ) =>
            {
                core = &m.receiver
            }
            _ => return None,
        }
    }
}

/// Clears its flag on anything in a branch that leaves the iteration or changes outer state.
struct Stays(bool);

impl<'ast> Visit<'ast> for Stays {
    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        match e {
            syn::Expr::Break(_)
            | syn::Expr::Continue(_)
            | syn::Expr::Return(_)
            | syn::Expr::Try(_)
            | syn::Expr::Assign(_) => self.0 = false,
            syn::Expr::Binary(b)
                if matches!(
                    b.op,
                    syn::BinOp::AddAssign(_)
                        | syn::BinOp::SubAssign(_)
                        | syn::BinOp::MulAssign(_)
                        | syn::BinOp::DivAssign(_)
                        | syn::BinOp::RemAssign(_)
                        | syn::BinOp::BitOrAssign(_)
                        | syn::BinOp::BitAndAssign(_)
                        | syn::BinOp::BitXorAssign(_)
                        | syn::BinOp::ShlAssign(_)
                        | syn::BinOp::ShrAssign(_)
                ) =>
            {
                self.0 = false
            }
            // A closure's or async block's flow is its own.
            syn::Expr::Closure(_) | syn::Expr::Async(_) => return,
            _ => {}
        }
        visit::visit_expr(self, e);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if matches!(macros::name(mac).as_str(), "bail" | "ensure") {
            self.0 = false;
        }
    }
}

/// Does control leave the loop at the end of `e`: `break`, `return`, a panic, or a block (or
/// an `if` both of whose branches do) ending so?
/// The loops around a `select!`: how many, and the outermost one's label.
struct LoopExits {
    depth: usize,
    outermost: Option<String>,
}

impl LoopExits {
    /// See [`SelectBranch::replaces`].
    fn replaced_places(&self, handler: &syn::Expr) -> Vec<String> {
        let mut candidates = Vec::new();
        assigned_places(handler, &mut candidates);
        candidates.sort();
        candidates.dedup();
        candidates.retain(|p| self.expr_replaces(handler, p));
        candidates
    }

    /// Does every way through `e` assign `place` or leave every loop?
    fn expr_replaces(&self, e: &syn::Expr, place: &str) -> bool {
        match e {
            // `conn = next;`, not `conn = wrap(conn);`: the old value must go, not be kept.
            syn::Expr::Assign(a) => {
                place_of(&a.left).as_deref() == Some(place) && !mentions(&a.right, place)
            }
            syn::Expr::Return(_) => true,
            syn::Expr::Break(b) => match &b.label {
                None => self.depth == 1,
                Some(l) => self.outermost.as_deref() == Some(l.ident.to_string().as_str()),
            },
            syn::Expr::Macro(m) => {
                let name = super::macros::name(&m.mac);
                matches!(name.as_str(), "panic" | "unreachable" | "bail" | "todo")
            }
            syn::Expr::Block(b) => self.block_replaces(&b.block, place),
            syn::Expr::If(i) => {
                self.block_replaces(&i.then_branch, place)
                    && i.else_branch
                        .as_ref()
                        .is_some_and(|(_, e)| self.expr_replaces(e, place))
            }
            syn::Expr::Match(m) => {
                !m.arms.is_empty() && m.arms.iter().all(|a| self.expr_replaces(&a.body, place))
            }
            syn::Expr::Paren(p) => self.expr_replaces(&p.expr, place),
            _ => false,
        }
    }

    /// Does a statement of `b` assign `place` or leave every loop on every way through it,
    /// with no `continue` or `break` in the statements before it that could go round or leave
    /// without doing so? (A statement that does so on some ways only does not count.)
    fn block_replaces(&self, b: &syn::Block, place: &str) -> bool {
        for s in &b.stmts {
            let replaces = match s {
                syn::Stmt::Expr(e, _) => self.expr_replaces(e, place),
                syn::Stmt::Macro(m) => {
                    let name = super::macros::name(&m.mac);
                    matches!(name.as_str(), "panic" | "unreachable" | "bail" | "todo")
                }
                _ => false,
            };
            if replaces {
                return true;
            }
            // A statement that may skip the assignment, or moves or lends the old value first
            // (`old.push(conn); conn = next;`).
            let mut used = Vec::new();
            collect_places_stmt(s, &mut used);
            if jumps(s) || used.iter().any(|u| places_overlap(u, place)) {
                return false;
            }
        }
        false
    }
}

/// Whether `e` mentions `place` (or a place overlapping it).
fn mentions(e: &syn::Expr, place: &str) -> bool {
    let mut used = Vec::new();
    collect_places(e, &mut used);
    used.iter().any(|u| places_overlap(u, place))
}

/// Whether a statement contains a `continue` or a `break` (outside closures, async blocks and
/// items): a way out of it that skips the statements after it.
fn jumps(s: &syn::Stmt) -> bool {
    struct Jumps(bool);
    impl<'ast> Visit<'ast> for Jumps {
        fn visit_expr_continue(&mut self, _: &'ast syn::ExprContinue) {
            self.0 = true;
        }
        fn visit_expr_break(&mut self, _: &'ast syn::ExprBreak) {
            self.0 = true;
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut j = Jumps(false);
    j.visit_stmt(s);
    j.0
}

/// The places assigned anywhere in `e` (`x = ..`, `self.conn = ..`, `*conn = ..`), outside
/// closures and async blocks.
fn assigned_places(e: &syn::Expr, out: &mut Vec<String>) {
    struct Assigns<'o>(&'o mut Vec<String>);
    impl<'ast> Visit<'ast> for Assigns<'_> {
        fn visit_expr_assign(&mut self, a: &'ast syn::ExprAssign) {
            self.0.extend(place_of(&a.left));
            visit::visit_expr_assign(self, a);
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    Assigns(out).visit_expr(e);
}

fn leaves(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Break(_) | syn::Expr::Return(_) => true,
        syn::Expr::Block(b) => block_leaves(&b.block),
        syn::Expr::If(i) => {
            block_leaves(&i.then_branch) && i.else_branch.as_ref().is_some_and(|(_, e)| leaves(e))
        }
        syn::Expr::Macro(m) => {
            let name = super::macros::name(&m.mac);
            matches!(name.as_str(), "panic" | "unreachable" | "bail" | "todo")
        }
        _ => false,
    }
}

/// Does the code hold a `continue` anywhere, macro arguments included (a `select!` handler's)?
/// Any `continue`, even one of an inner loop, counts: the reading that keeps a finding.
fn mentions_continue(tokens: proc_macro2::TokenStream) -> bool {
    tokens.into_iter().any(|t| match t {
        proc_macro2::TokenTree::Ident(i) => i == "continue",
        proc_macro2::TokenTree::Group(g) => mentions_continue(g.stream()),
        _ => false,
    })
}

/// Is the statement a `return`, a `break` or a panic-like macro ([`leaves`])?
fn stmt_leaves(s: &syn::Stmt) -> bool {
    match s {
        syn::Stmt::Expr(e, _) => leaves(e),
        syn::Stmt::Macro(m) => {
            let name = super::macros::name(&m.mac);
            matches!(name.as_str(), "panic" | "unreachable" | "bail" | "todo")
        }
        _ => false,
    }
}

fn block_leaves(b: &syn::Block) -> bool {
    match b.stmts.last() {
        Some(syn::Stmt::Expr(e, _)) => leaves(e),
        Some(syn::Stmt::Macro(m)) => {
            let name = super::macros::name(&m.mac);
            matches!(name.as_str(), "panic" | "unreachable" | "bail" | "todo")
        }
        _ => false,
    }
}

/// Does the arm a `match` takes on `Err(Elapsed)` leave the loop? `false` when no arm is
/// recognisably that one.
fn elapsed_arm_leaves(m: &syn::ExprMatch) -> bool {
    let catches = |p: &syn::Pat| match p {
        syn::Pat::TupleStruct(t) => t.path.segments.last().is_some_and(|s| s.ident == "Err"),
        syn::Pat::Wild(_) | syn::Pat::Ident(_) => true,
        _ => false,
    };
    m.arms
        .iter()
        .find(|a| catches(&a.pat))
        .is_some_and(|a| leaves(&a.body))
}

/// A `select!` branch racing `timeout(d, fut)` whose handler leaves the loop when the time
/// runs out: its pattern binds the result (`r = timeout(..) => ..`), and the handler matches
/// it with an `Err` arm that breaks or returns, or propagates it with `?` (also `res??`,
/// `res.map_err(..)?`). The timeout call's location.
fn elapsed_branch_leaves(
    future: &syn::Expr,
    pattern: Option<&syn::Pat>,
    handler: &syn::Expr,
) -> Option<Loc> {
    let syn::Expr::Call(c) = pinned_inner(future) else {
        return None;
    };
    let syn::Expr::Path(p) = &*c.func else {
        return None;
    };
    if !names_timeout(&p.path) {
        return None;
    }
    let Some(syn::Pat::Ident(name)) = pattern else {
        return None;
    };
    let name = &name.ident;
    // `res?`, `res.map_err(..)?`, `res??`: the `Elapsed` propagated, as `propagated_timeout`
    // reads it on an awaited timeout.
    let propagated = |t: &syn::ExprTry| matches!(propagated_value(t), syn::Expr::Path(p) if p.path.is_ident(name));
    let leaves_on_elapsed = |e: &syn::Expr| match e {
        syn::Expr::Try(t) => propagated(t),
        syn::Expr::Match(m) => {
            matches!(&*m.expr, syn::Expr::Path(p) if p.path.is_ident(name)) && elapsed_arm_leaves(m)
        }
        _ => false,
    };
    let leaves = match handler {
        syn::Expr::Block(b) => b.block.stmts.iter().any(|s| match s {
            syn::Stmt::Local(l) => l.init.as_ref().is_some_and(|i| leaves_on_elapsed(&i.expr)),
            syn::Stmt::Expr(e, _) => leaves_on_elapsed(e),
            _ => false,
        }),
        other => leaves_on_elapsed(other),
    };
    leaves.then(|| Loc::call(c))
}

/// A statement that is (or binds) a `match` on `name`.
fn match_on<'s>(s: &'s syn::Stmt, name: &syn::Ident) -> Option<&'s syn::ExprMatch> {
    let e = match s {
        syn::Stmt::Local(l) => &*l.init.as_ref()?.expr,
        syn::Stmt::Expr(e, _) => e,
        _ => return None,
    };
    let syn::Expr::Match(m) = e else {
        return None;
    };
    matches!(&*m.expr, syn::Expr::Path(p) if p.path.is_ident(name)).then_some(m)
}

/// Timeout calls of a loop body's block whose `Elapsed` leaves the loop (see
/// [`TimeoutSite::leaves_loop_on_elapsed`]): propagated with `?`, matched with an `Err` arm
/// that breaks or returns (also on a binding matched later in the block), or bound with
/// `let Ok(..) = .. else { break }`.
fn leaving_timeouts(stmts: &[syn::Stmt], out: &mut Vec<Loc>) {
    let expr_forms = |e: &syn::Expr, out: &mut Vec<Loc>| {
        if let Some(loc) = propagated_timeout(e) {
            out.push(loc);
        } else if let syn::Expr::Match(m) = e
            && let Some(loc) = awaited_timeout(&m.expr)
            && elapsed_arm_leaves(m)
        {
            out.push(loc);
        } else if let syn::Expr::If(i) = e
            && let syn::Expr::Let(l) = &*i.cond
            && let Some(loc) = awaited_timeout(&l.expr)
            && i.else_branch.as_ref().is_some_and(|(_, e)| leaves(e))
        {
            out.push(loc);
        }
    };
    for (i, s) in stmts.iter().enumerate() {
        match s {
            syn::Stmt::Local(l) => {
                let Some(init) = &l.init else { continue };
                if let Some((_, diverge)) = &init.diverge {
                    if let Some(loc) = awaited_timeout(&init.expr)
                        && leaves(diverge)
                    {
                        out.push(loc);
                    }
                    continue;
                }
                expr_forms(&init.expr, out);
                let pat = match &l.pat {
                    syn::Pat::Type(t) => &*t.pat,
                    p => p,
                };
                if let (Some(loc), syn::Pat::Ident(name)) = (awaited_timeout(&init.expr), pat)
                    && let Some(m) = stmts[i + 1..].iter().find_map(|s| match_on(s, &name.ident))
                    && elapsed_arm_leaves(m)
                {
                    out.push(loc);
                }
            }
            syn::Stmt::Expr(e, _) => expr_forms(e, out),
            _ => {}
        }
    }
}

/// `Box::pin(f(x))` → `f(x)`: pinning a call's future does not change what is awaited.
fn pinned_inner(e: &syn::Expr) -> &syn::Expr {
    match e {
        syn::Expr::Call(c)
            if c.args.len() == 1
                && matches!(&*c.func, syn::Expr::Path(p)
                    if p.path.segments.last().is_some_and(|s| s.ident == "pin")) =>
        {
            pinned_inner(&c.args[0])
        }
        _ => e,
    }
}

/// The place an expression denotes, with method calls peeled off (`self.conn.lock()` →
/// `self.conn`): `None` for temporaries such as `Client::new()`.
pub(crate) fn place_of(e: &syn::Expr) -> Option<String> {
    match e {
        syn::Expr::Path(p) if p.qself.is_none() => p.path.get_ident().map(ToString::to_string),
        syn::Expr::Field(f) => {
            let base = place_of(&f.base)?;
            Some(match &f.member {
                syn::Member::Named(n) => format!("{base}.{n}"),
                syn::Member::Unnamed(i) => format!("{base}.{}", i.index),
            })
        }
        syn::Expr::MethodCall(m) => place_of(&m.receiver),
        syn::Expr::Reference(r) => place_of(&r.expr),
        syn::Expr::Paren(p) => place_of(&p.expr),
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => place_of(&u.expr),
        syn::Expr::Try(t) => place_of(&t.expr),
        syn::Expr::Await(a) => place_of(&a.base),
        syn::Expr::Index(i) => place_of(&i.expr),
        _ => None,
    }
}

/// Whether two places may be the same object or overlap: equal, or one a prefix of the other
/// (`self` and `self.conn`, `conn` and `conn.inner`).
///
/// ```
/// use asyncwise_lint::model::ir::places_overlap;
/// assert!(places_overlap("self", "self.conn"));
/// assert!(places_overlap("conn", "conn"));
/// assert!(!places_overlap("self.db", "self.cache"));
/// assert!(!places_overlap("conn", "connection"));
/// ```
pub fn places_overlap(a: &str, b: &str) -> bool {
    let prefix = |short: &str, long: &str| {
        long.strip_prefix(short)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
    };
    prefix(a, b) || prefix(b, a)
}

fn pat_names(p: &syn::Pat, out: &mut Vec<String>) {
    struct Names<'o>(&'o mut Vec<String>);
    impl<'ast> Visit<'ast> for Names<'_> {
        fn visit_pat_ident(&mut self, i: &'ast syn::PatIdent) {
            self.0.push(i.ident.to_string());
            visit::visit_pat_ident(self, i);
        }
    }
    Names(out).visit_pat(p);
}

fn mut_pat_names(p: &syn::Pat, out: &mut Vec<String>) {
    struct Names<'o>(&'o mut Vec<String>);
    impl<'ast> Visit<'ast> for Names<'_> {
        fn visit_pat_ident(&mut self, i: &'ast syn::PatIdent) {
            if i.mutability.is_some() {
                self.0.push(i.ident.to_string());
            }
            visit::visit_pat_ident(self, i);
        }
    }
    Names(out).visit_pat(p);
}

/// Collects the places an expression mentions: variables and `a.b.c` field chains rooted in
/// them, but not the paths of called functions.
/// `if cond { warn!(..) } else { info!(..) }` with no await in the condition and nothing but
/// printing or logging macros in its branches ([`Stmt::reports_only`]).
fn if_only_reports(i: &syn::ExprIf) -> bool {
    fn reports(stmts: &[syn::Stmt]) -> bool {
        let report = |m: &syn::Macro| {
            m.path.segments.last().is_some_and(|s| {
                crate::knowledge::awaits::PROGRESS_MACROS.contains(&s.ident.to_string().as_str())
            })
        };
        !stmts.is_empty()
            && stmts.iter().all(|s| match s {
                syn::Stmt::Macro(m) => report(&m.mac),
                syn::Stmt::Expr(syn::Expr::Macro(m), _) => report(&m.mac),
                _ => false,
            })
    }
    // The branches first: the condition is tokenised only for an `if` that may qualify.
    reports(&i.then_branch.stmts)
        && match &i.else_branch {
            None => true,
            Some((_, e)) => match &**e {
                syn::Expr::Block(b) => reports(&b.block.stmts),
                syn::Expr::If(inner) => if_only_reports(inner),
                _ => false,
            },
        }
        && !mentions_ident(quote::ToTokens::to_token_stream(&*i.cond), "await")
}

/// Does the code hold the identifier `word` anywhere, macro arguments included?
fn mentions_ident(tokens: proc_macro2::TokenStream, word: &str) -> bool {
    tokens.into_iter().any(|t| match t {
        proc_macro2::TokenTree::Ident(i) => i == word,
        proc_macro2::TokenTree::Group(g) => mentions_ident(g.stream(), word),
        _ => false,
    })
}

fn collect_places(e: &syn::Expr, out: &mut Vec<String>) {
    Places(out).visit_expr(e);
}

fn collect_places_stmt(s: &syn::Stmt, out: &mut Vec<String>) {
    Places(out).visit_stmt(s);
}

struct Places<'o>(&'o mut Vec<String>);

impl<'ast> Visit<'ast> for Places<'_> {
    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        match e {
            syn::Expr::Path(_) | syn::Expr::Field(_) => {
                if let Some(p) = place_of(e) {
                    if !self.0.contains(&p) {
                        self.0.push(p);
                    }
                    return;
                }
                visit::visit_expr(self, e);
            }
            syn::Expr::Call(c) => {
                // The called function's path is not a place; a called closure variable is.
                if !matches!(&*c.func, syn::Expr::Path(_)) {
                    self.visit_expr(&c.func);
                }
                c.args.iter().for_each(|a| self.visit_expr(a));
            }
            syn::Expr::Macro(m) => self.visit_macro(&m.mac),
            _ => visit::visit_expr(self, e),
        }
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        // Formatting arguments and the like: every identifier in the tokens counts as a use (a
        // token scan, not a parse: statements holding macros are many, and this runs for each
        // statement enclosing one).
        ident_uses(m.tokens.clone(), self.0);
        inline_format_args(m, self.0);
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

fn ident_uses(tokens: proc_macro2::TokenStream, out: &mut Vec<String>) {
    for tt in tokens {
        match tt {
            proc_macro2::TokenTree::Ident(i) => {
                let s = i.to_string();
                if !out.contains(&s) {
                    out.push(s);
                }
            }
            proc_macro2::TokenTree::Group(g) => ident_uses(g.stream(), out),
            _ => {}
        }
    }
}

/// Whether tokens hold `.await` (so a macro body is worth parsing for await points).
fn holds_await(tokens: proc_macro2::TokenStream) -> bool {
    super::tokens::names_ident(tokens, "await")
}

/// `"{name}"` in a macro's string literals: inline format arguments are uses of `name`.
fn inline_format_args(m: &syn::Macro, out: &mut Vec<String>) {
    for tt in m.tokens.clone() {
        let proc_macro2::TokenTree::Literal(lit) = tt else {
            continue;
        };
        let text = lit.to_string();
        if !text.starts_with('"') {
            continue;
        }
        let mut rest = text.as_str();
        while let Some(open) = rest.find('{') {
            rest = &rest[open + 1..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty()
                && !name.starts_with(|c: char| c.is_ascii_digit())
                && !out.contains(&name)
            {
                out.push(name);
            }
        }
    }
}

/// Does `path` name a timeout (`timeout`, `tokio::time::timeout`, `timeout_at`)? By its last
/// segment, as every timeout form of the IR reads it.
fn names_timeout(path: &syn::Path) -> bool {
    path.segments
        .last()
        .is_some_and(|s| s.ident.to_string().starts_with("timeout"))
}

/// `[x; 1]` or `[x]`.
fn is_one_element_array(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Repeat(r) => is_int_literal(&r.len, 1),
        syn::Expr::Array(a) => a.elems.len() == 1,
        syn::Expr::Paren(p) => is_one_element_array(&p.expr),
        _ => false,
    }
}

/// `..1` or `0..1`.
fn is_first_element_range(e: &syn::Expr) -> bool {
    let syn::Expr::Range(r) = e else {
        return false;
    };
    matches!(r.limits, syn::RangeLimits::HalfOpen(_))
        && r.start.as_deref().is_none_or(|s| is_int_literal(s, 0))
        && r.end.as_deref().is_some_and(|e| is_int_literal(e, 1))
}

fn is_int_literal(e: &syn::Expr, value: u64) -> bool {
    matches!(e, syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. })
        if i.base10_parse::<u64>().is_ok_and(|v| v == value))
}

/// The name a `let` binds to a one-element array: `let mut byte = [0u8; 1];`,
/// `let mut byte: [u8; 1] = Default::default();`.
fn one_element_binding(l: &syn::Local) -> Option<String> {
    let (pat, ty) = match &l.pat {
        syn::Pat::Type(t) => (&*t.pat, Some(&*t.ty)),
        p => (p, None),
    };
    let syn::Pat::Ident(name) = pat else {
        return None;
    };
    let typed = matches!(ty, Some(syn::Type::Array(a)) if is_int_literal(&a.len, 1));
    let init = l
        .init
        .as_ref()
        .is_some_and(|i| is_one_element_array(&i.expr));
    (typed || init).then(|| name.ident.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FileModel;

    fn ir_of(src: &str) -> Ir {
        let ast = syn::parse_file(src).expect("parses");
        FileModel::build(std::path::Path::new("t.rs"), src, &ast).ir
    }

    #[test]
    fn a_branch_replaces_a_place_assigned_on_every_way_that_stays_in_the_loops() {
        let ir = ir_of(
            "async fn f() {
                'outer: loop {
                    loop {
                        tokio::select! {
                            n = rx.recv() => match n {
                                Some(s) => { r = s; continue; }
                                None => break 'outer,
                            },
                            m = other.recv() => { if ok { r = m; } }
                            k = third.recv() => { if skip { continue; } r = k; }
                            j = fourth.recv() => { old.push(r); r = j; }
                            w = fifth.recv() => { r = wrap(r, w); }
                            x = read(&mut r) => {}
                        }
                    }
                }
            }",
        );
        let branches = &ir.selects[0].branches;
        assert_eq!(branches[0].replaces, ["r"]);
        // only when `ok`; and a `continue` may skip the assignment
        assert!(branches[1].replaces.is_empty());
        assert!(branches[2].replaces.is_empty());
        // the old value is kept (moved into a list, wrapped), not dropped
        assert!(branches[3].replaces.is_empty());
        assert!(branches[4].replaces.is_empty());
        // a plain `break` of the inner loop leaves the outer one going round
        let ir = ir_of(
            "async fn f() { loop { loop { tokio::select! { n = rx.recv() => match n { Some(s) => r = s, None => break }, x = read(&mut r) => {} } } } }",
        );
        assert!(ir.selects[0].branches[0].replaces.is_empty());
    }

    #[test]
    fn statements_record_bindings_uses_and_direct_awaits() {
        let ir = ir_of(
            "async fn f(db: Db, api: Api, id: u32) {
                let user = db.user(id).await?;
                let posts = api.posts(&user).await;
                tokio::time::sleep(d).await;
            }",
        );
        assert_eq!(ir.bodies.len(), 1);
        let stmts: Vec<&Stmt> = ir.stmts_of(0).map(|(_, s)| s).collect();
        assert_eq!(stmts.len(), 3);
        assert_eq!(stmts[0].defines, ["user"]);
        let (w, tried) = stmts[0].direct_await.expect("direct await");
        assert!(tried);
        let call = ir.call_of(w).expect("a call");
        assert_eq!(call.name, "user");
        assert_eq!(call.receiver.as_deref(), Some("db"));
        assert!(call.uses.contains(&"id".to_string()));
        assert!(stmts[1].uses.contains(&"user".to_string()));
        let (w, tried) = stmts[2].direct_await.expect("direct await");
        assert!(!tried);
        assert!(matches!(&ir.call_of(w).expect("call").callee,
            Callee::Path(p) if p == "tokio::time::sleep"));
        // the error changed on its way to `?` is still the statement's awaited value
        let ir = ir_of(
            "async fn f(fx: Fx) { let rate = fx.rate(c).await.map_err(internal).context(\"fx\")?; let n = fx.rate(c).await.map(|r| r * 2.0)?; }",
        );
        let stmts: Vec<&Stmt> = ir.stmts_of(0).map(|(_, s)| s).collect();
        let (w, tried) = stmts[0]
            .direct_await
            .expect("direct await through adapters");
        assert!(tried);
        assert_eq!(ir.call_of(w).expect("a call").name, "rate");
        assert!(stmts[1].direct_await.is_none());
    }

    #[test]
    fn select_sites_have_structured_branches_and_their_loop() {
        let ir = ir_of(
            "async fn f(mut s: S, rx: R) {
                let mut pending = Box::pin(work());
                loop {
                    tokio::select! {
                        r = s.read_exact(&mut buf) => {}
                        _ = &mut pending => break,
                        Some(m) = rx.recv() => { handle(m).await; }
                    }
                }
                tokio::select! { _ = s.read_exact(&mut buf) => {} }
            }",
        );
        assert_eq!(ir.selects.len(), 2);
        let first = &ir.selects[0];
        assert!(first.in_loop.is_some());
        assert_eq!(first.path, "tokio::select");
        assert!(matches!(&first.branches[0].future, BranchFuture::Call(c)
            if c.name == "read_exact" && c.receiver.as_deref() == Some("s")
                && c.mut_args == ["buf"]));
        assert!(matches!(&first.branches[1].future, BranchFuture::MutRef(p) if p == "pending"));
        assert!(ir.selects[1].in_loop.is_none());
        // The handler's await is inside the select.
        let handle = ir
            .awaits
            .iter()
            .find(|a| matches!(&a.awaited, Awaited::Call(c) if c.name == "handle"))
            .expect("handler await");
        assert_eq!(handle.in_macro, Some(InMacro::Select));
    }

    #[test]
    fn timeout_sites_keep_their_future_and_loop() {
        let ir = ir_of(
            "use tokio::time::timeout;
            async fn f(mut s: S) {
                loop {
                    let _ = timeout(d, s.read_exact(&mut buf)).await;
                }
                let _ = work().timeout(d).await;
                let _ = tokio::time::sleep(d).await;
                let _ = crate::limits::timeout(d, work()).await;
            }",
        );
        assert_eq!(ir.timeouts.len(), 2, "{:?}", ir.timeouts);
        let first = &ir.timeouts[0];
        assert_eq!(first.path, "tokio::time::timeout");
        assert!(first.in_loop.is_some());
        assert!(matches!(&first.call, Some(c) if c.name == "read_exact"));
        let second = &ir.timeouts[1];
        assert_eq!(second.path, ".timeout");
        assert!(second.in_loop.is_none());
        assert!(matches!(&second.call, Some(c) if c.name == "work"));
    }

    #[test]
    fn nested_async_blocks_are_their_own_bodies() {
        let ir = ir_of(
            "async fn f() {
                let t = async { a().await };
                for x in xs { b(x).await; }
            }",
        );
        assert_eq!(ir.bodies.len(), 2);
        assert_eq!(ir.bodies[0].awaits.len(), 1, "only `b(x).await` is f's");
        assert_eq!(ir.for_loops.len(), 1);
        assert_eq!(ir.for_loops[0].bindings, ["x"]);
        assert_eq!(ir.blocks[ir.for_loops[0].body].loop_depth, 1);
    }
}
