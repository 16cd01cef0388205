//! Guard liveness inside one async body: which synchronous lock guards are still alive when an
//! `.await` of the same body is reached.
//!
//! The scan follows evaluation order and Rust's drop rules:
//! * a guard bound by `let` lives to the end of its block, unless `drop(g)`-ed or moved (into a
//!   call, a `move` closure or async block, another binding); `let _ = m.lock()` drops at once;
//! * a temporary guard lives to the end of its statement — so `tx.send(m.lock().unwrap().len())
//!   .await` holds it across the await, while `*m.lock().unwrap() += 1;` does not;
//! * temporaries in a `match` scrutinee live through the arms (an arm matching a variant that
//!   carries no guard, `None` or dashmap's `TryResult::Locked`, holds none), in an `if let`/`while let`
//!   scrutinee through the body (and, before edition 2024, through `else`: the package's
//!   edition decides), in a `for` iterator
//!   through the whole loop; an `if` condition's temporaries die before the branches;
//! * awaits inside nested closures and async blocks belong to other bodies and do not count;
//!   `select!`/`join!` are await points.
//!
//! The same scan, in *async-lock mode*, follows the guards of async locks
//! (`tokio::sync::Mutex` and friends, acquired by `m.lock().await`) for `async_mutex_unneeded`:
//! every lock call becomes an [`AsyncLockSiteFact`], held when its guard is alive at a later
//! await of the body, or when it leaves the body's sight (returned, stored, handed to a call
//! other than `drop`, captured by a closure or async block, an owned guard).

use std::rc::Rc;

use syn::visit::{self, Visit};

use super::super::macros::{self, MacroBody};
use super::super::resolve::Resolver;
use super::super::tokens::TokenFacts;
use super::super::types::{TypeEnv, TypeTable, infer};
use super::super::{AsyncLockSiteFact, Edition, HeldGuard, Loc, Ty};
use crate::facts::Requirement;
use crate::knowledge::locks;
use crate::knowledge::macros as macro_kinds;
use crate::summary::LockId;

/// Guards of `block` (an async body) held across one of its awaits.
pub fn scan_block(
    block: &syn::Block,
    env: &TypeEnv,
    types: &TypeTable,
    resolver: &Resolver,
    edition: Edition,
) -> Vec<HeldGuard> {
    let mut s = Scanner::new(env, types, resolver, edition);
    s.block(block);
    s.out
}

/// Guards of `expr` (an async closure's body) held across one of its awaits.
pub fn scan_expr(
    expr: &syn::Expr,
    env: &TypeEnv,
    types: &TypeTable,
    resolver: &Resolver,
    edition: Edition,
) -> Vec<HeldGuard> {
    let mut s = Scanner::new(env, types, resolver, edition);
    s.expr(expr);
    s.out
}

/// Async-lock calls of `block` (an async body of function `function`), with whether each guard
/// is held across a later await or leaves the body.
pub fn scan_async_locks_block(
    block: &syn::Block,
    env: &TypeEnv,
    types: &TypeTable,
    resolver: &Resolver,
    edition: Edition,
    function: Option<&str>,
) -> Vec<AsyncLockSiteFact> {
    let mut s = Scanner::new(env, types, resolver, edition);
    s.async_locks = Some(function.map(str::to_string));
    s.block(block);
    s.sites
}

/// [`scan_async_locks_block`] for an async closure's body.
pub fn scan_async_locks_expr(
    expr: &syn::Expr,
    env: &TypeEnv,
    types: &TypeTable,
    resolver: &Resolver,
    edition: Edition,
    function: Option<&str>,
) -> Vec<AsyncLockSiteFact> {
    let mut s = Scanner::new(env, types, resolver, edition);
    s.async_locks = Some(function.map(str::to_string));
    s.expr(expr);
    s.sites
}

/// Which lock `receiver` (of a lock call, or handed to a call) is: a field (`self.state`,
/// `app.db`), a static (`STATE`), or a local of `function`. `&`, `*`, parentheses, `.clone()`,
/// `.as_ref()` and `Arc::clone(&x)` are looked through.
pub(crate) fn lock_identity(
    receiver: &syn::Expr,
    env: &TypeEnv,
    types: &TypeTable,
    resolver: &Resolver,
    function: Option<&str>,
) -> Option<LockId> {
    let mut e = receiver;
    for _ in 0..16 {
        e = match e {
            syn::Expr::Reference(r) => &r.expr,
            syn::Expr::Paren(p) => &p.expr,
            syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => &u.expr,
            syn::Expr::MethodCall(m)
                if m.args.is_empty()
                    && matches!(m.method.to_string().as_str(), "clone" | "as_ref" | "deref") =>
            {
                &m.receiver
            }
            syn::Expr::Call(c)
                if c.args.len() == 1
                    && matches!(&*c.func, syn::Expr::Path(p)
                        if p.path.segments.last().is_some_and(|s| s.ident == "clone")) =>
            {
                &c.args[0]
            }
            _ => break,
        };
    }
    match e {
        syn::Expr::Field(f) => {
            let syn::Member::Named(field) = &f.member else {
                return None;
            };
            let owner = match infer(&f.base, env, types, resolver) {
                Ty::Named(path) | Ty::Locked { lock: path, .. } => {
                    path.rsplit("::").next().unwrap_or(&path).to_string()
                }
                _ => return None,
            };
            Some(LockId::Field {
                owner,
                field: field.to_string(),
            })
        }
        // `bucket().lock()` with `fn bucket() -> &'static Mutex<..> { BUCKET.get_or_init(..) }`.
        syn::Expr::Call(c) if c.args.is_empty() => {
            let syn::Expr::Path(p) = &*c.func else {
                return None;
            };
            let name = types.static_accessor(&p.path.get_ident()?.to_string())?;
            Some(LockId::Static {
                name: name.to_string(),
            })
        }
        syn::Expr::Path(p) if p.qself.is_none() => {
            let last = p.path.segments.last()?.ident.to_string();
            let screaming = last
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            if screaming {
                Some(LockId::Static { name: last })
            } else if p.path.segments.len() == 1 && last != "self" {
                Some(LockId::Local {
                    function: function?.to_string(),
                    name: last,
                })
            } else {
                None
            }
        }
        _ => None,
    }
}

struct Live {
    /// In async-lock mode: the lock site this guard came from.
    site: Option<usize>,
    names: Vec<String>,
    loc: Loc,
    describe: &'static str,
    requires: Option<Requirement>,
    contention: Contention,
    depth: usize,
    /// Reported as held: its entry in `out`, which later awaits are added to.
    reported: Option<usize>,
}

impl Live {
    fn new(names: Vec<String>, guard: GuardCall, depth: usize) -> Self {
        Live {
            site: None,
            names,
            loc: guard.loc,
            describe: guard.describe,
            requires: guard.requires,
            contention: guard.contention,
            depth,
            reported: None,
        }
    }
}

struct Scanner<'a> {
    env: TypeEnv,
    types: &'a TypeTable,
    resolver: &'a Resolver,
    live: Vec<Live>,
    /// Temporaries of the current statement (names empty).
    temps: Vec<Live>,
    depth: usize,
    /// The lock call whose guard the current `let` binds (not a temporary).
    binding_guard: Option<usize>,
    /// Before edition 2024 an `if let` scrutinee's temporaries live through `else` too.
    if_let_temps_through_else: bool,
    out: Vec<HeldGuard>,
    /// Async-lock mode (with the function whose body this is): only async lock guards are
    /// followed, into `sites`.
    async_locks: Option<Option<String>>,
    sites: Vec<AsyncLockSiteFact>,
    /// The `.await` expression of each site.
    site_nodes: Vec<usize>,
    /// Macro bodies parsed so far, kept alive so that no node address in `site_nodes` or on a
    /// live guard is reused by a later parse.
    macro_bodies: Vec<MacroBody>,
    /// `select!` bodies parsed so far, kept alive for the same reason.
    select_bodies: Vec<Rc<Vec<macros::SelectArm>>>,
    /// Locals bound to a reference to a field's lock (`let map = &self.map;`): the local, the
    /// field, and whether it is a field of `self`.
    field_refs: Vec<(String, LockId, bool)>,
}

impl<'a> Scanner<'a> {
    fn new(env: &TypeEnv, types: &'a TypeTable, resolver: &'a Resolver, edition: Edition) -> Self {
        Scanner {
            if_let_temps_through_else: edition < Edition::E2024,
            env: env.clone(),
            types,
            resolver,
            live: Vec::new(),
            temps: Vec::new(),
            depth: 0,
            binding_guard: None,
            out: Vec::new(),
            async_locks: None,
            sites: Vec::new(),
            site_nodes: Vec::new(),
            macro_bodies: Vec::new(),
            select_bodies: Vec::new(),
            field_refs: Vec::new(),
        }
    }

    fn on_await(&mut self, at: Loc) {
        for g in self.live.iter_mut().chain(self.temps.iter_mut()) {
            if let Some(site) = g.site {
                self.sites[site].held = true;
                continue;
            }
            match g.reported {
                Some(i) => self.out[i].awaits.push(at),
                None => {
                    g.reported = Some(self.out.len());
                    self.out.push(HeldGuard {
                        acquired: g.loc,
                        await_loc: at,
                        awaits: vec![at],
                        describe: g.describe,
                        requires: g.requires.clone(),
                        lock: g.contention.lock.clone(),
                        shared: g.contention.shared,
                        exclusive_self: g.contention.on_self,
                        on_caller_thread: false,
                    });
                }
            }
        }
    }

    fn release(&mut self, name: &str) {
        self.live.retain(|g| !g.names.iter().any(|n| n == name));
    }

    fn block(&mut self, b: &syn::Block) {
        self.depth += 1;
        self.env.push();
        for stmt in &b.stmts {
            self.stmt(stmt);
        }
        // A block's value leaves it: a guard there is returned or moved out.
        if let Some(syn::Stmt::Expr(tail, None)) = b.stmts.last() {
            self.escape(tail);
        }
        let depth = self.depth;
        self.live.retain(|g| g.depth < depth);
        self.env.pop();
        self.depth -= 1;
    }

    fn stmt(&mut self, s: &syn::Stmt) {
        // Temporaries of an enclosing statement (an `if let` scrutinee around this block) stay.
        let mark = self.temps_mark();
        match s {
            syn::Stmt::Local(l) => {
                if let Some(init) = &l.init {
                    let bound = guard_call(&init.expr, self)
                        .filter(|_| !matches!(l.pat, syn::Pat::Wild(_)));
                    if let syn::Expr::Path(p) = &*init.expr
                        && let Some(i) = p.path.get_ident()
                    {
                        // `let moved = guard;` moves it: track it under the new name.
                        let from = i.to_string();
                        let names = pat_names(&l.pat);
                        for g in &mut self.live {
                            if g.names.contains(&from) {
                                g.names = names.clone();
                            }
                        }
                    }
                    self.binding_guard = bound.as_ref().map(|b| b.node);
                    self.expr(&init.expr);
                    self.binding_guard = None;
                    if let Some((_, diverge)) = &init.diverge {
                        // Conservative: the initializer's temporaries are not counted as held
                        // in the diverging block.
                        self.temps_truncate(mark);
                        self.expr(diverge);
                    }
                    if let Some(b) = bound {
                        let site = self.site_nodes.iter().position(|&n| n == b.node);
                        let mut live = Live::new(pat_names(&l.pat), b, self.depth);
                        live.site = site;
                        if self.async_locks.is_none() || site.is_some() {
                            self.live.push(live);
                        }
                    }
                    // `let map = &self.map;`: the local is the field's lock by another name.
                    if let syn::Pat::Ident(name) = &l.pat
                        && let syn::Expr::Reference(r) = &*init.expr
                        && r.mutability.is_none()
                        && let Some(lock @ LockId::Field { .. }) =
                            lock_identity(&r.expr, &self.env, self.types, self.resolver, None)
                    {
                        self.field_refs.push((
                            name.ident.to_string(),
                            lock,
                            is_self_field(&r.expr),
                        ));
                    }
                    let ty = infer(&init.expr, &self.env, self.types, self.resolver);
                    self.env.bind_pat(&l.pat, ty, self.types, self.resolver);
                } else {
                    self.env
                        .bind_pat(&l.pat, Ty::Unknown, self.types, self.resolver);
                }
            }
            syn::Stmt::Expr(e, _) => self.expr(e),
            syn::Stmt::Macro(m) => self.mac(&m.mac),
            syn::Stmt::Item(_) => {}
        }
        self.temps_truncate(mark);
    }

    fn mac(&mut self, mac: &syn::Macro) {
        if self.select_arms(mac) {
            return;
        }
        let body = macros::body(mac);
        match &body {
            MacroBody::Exprs(exprs) => exprs.iter().for_each(|e| self.expr(e)),
            MacroBody::Stmts(stmts) => stmts.iter().for_each(|s| self.stmt(s)),
            MacroBody::Opaque => {
                if let Some(&(line, column)) = TokenFacts::of(mac.tokens.clone()).awaits.first() {
                    self.on_await(Loc {
                        start: (line, column),
                        end: (line, column + 5),
                    });
                }
            }
        }
        if macro_kinds::AWAITING_MACROS.contains(&macros::name(mac).as_str()) {
            self.on_await(Loc::mac(mac));
        }
        self.macro_bodies.push(body);
    }

    /// A `select!` in evaluation order: the preconditions and futures of every branch, the
    /// wait itself, then the one handler that runs. A handler is the body of a `match` arm in
    /// the expansion, so its temporaries (`*rx.borrow_and_update()`) end with it, and handlers
    /// exclude each other. Returns `false` for a macro that is no `select!` or does not parse.
    fn select_arms(&mut self, mac: &syn::Macro) -> bool {
        let name = macros::name(mac);
        if name != "select" && name != "select_biased" {
            return false;
        }
        let Some(arms) = macros::select_arms(mac).map(Rc::new) else {
            return false;
        };
        // Kept alive, as `macro_bodies` are, so that no node address is reused by a later parse.
        self.select_bodies.push(Rc::clone(&arms));
        for arm in arms.iter() {
            if let Some(precondition) = &arm.precondition {
                let mark = self.temps_mark();
                self.expr(precondition);
                self.temps_truncate(mark);
            }
            if let Some(future) = &arm.future {
                self.expr(future);
            }
        }
        self.on_await(Loc::mac(mac));
        // The futures (and any temporaries made building them) are dropped before a handler
        // runs: tokio's expansion moves the output out and drops the futures first.
        for arm in arms.iter() {
            let mark = self.temps_mark();
            self.expr(&arm.handler);
            self.temps_truncate(mark);
        }
        true
    }

    fn temps_mark(&self) -> usize {
        self.temps.len()
    }

    fn temps_truncate(&mut self, mark: usize) {
        self.temps.truncate(mark);
    }

    /// Takes out of the statement's temporaries the guard that `scrutinee` itself evaluates to
    /// (a guard method call returning an optional guard, as `DashMap::get` does), for the code
    /// that runs only when it is `None`; the caller puts them back afterwards. A guard made
    /// on the way (`m.lock().unwrap().get(k)`: the `MutexGuard`) is not the scrutinee's value
    /// and stays.
    fn hide_optional_guard(&mut self, scrutinee: &syn::Expr) -> Vec<Live> {
        let mut e = scrutinee;
        while let syn::Expr::Paren(p) = e {
            e = &p.expr;
        }
        let syn::Expr::MethodCall(m) = e else {
            return Vec::new();
        };
        let Some(guard) = guard_at(m, self) else {
            return Vec::new();
        };
        let (hidden, kept) = std::mem::take(&mut self.temps)
            .into_iter()
            .partition(|t| t.loc == guard.loc);
        self.temps = kept;
        hidden
    }

    fn expr(&mut self, e: &syn::Expr) {
        match e {
            syn::Expr::Await(a) => {
                match &*a.base {
                    // An awaited acquisition (`lock.write().await`) proves the lock is an async
                    // one, whatever its name resolved to: no synchronous guard comes from it,
                    // and this await is the acquisition, not a suspension under a guard.
                    syn::Expr::MethodCall(m)
                        if self.async_locks.is_none()
                            && m.args.is_empty()
                            && locks::ASYNC_GUARD_METHODS
                                .contains(&m.method.to_string().as_str()) =>
                    {
                        self.expr(&m.receiver);
                    }
                    base => self.expr(base),
                }
                self.on_await(Loc::from_span(a.await_token.span));
                if self.async_locks.is_some()
                    && let Some(lock) = async_lock_call(a, self)
                {
                    let node = a as *const _ as usize;
                    let owned = lock.method.to_string().ends_with("_owned")
                        || lock.method.to_string().ends_with("_arc");
                    let function = self.async_locks.clone().flatten();
                    let id = lock_identity(
                        &lock.receiver,
                        &self.env,
                        self.types,
                        self.resolver,
                        function.as_deref(),
                    );
                    self.sites.push(AsyncLockSiteFact {
                        id,
                        held: owned,
                        lent: false,
                        into: None,
                        loc: Loc::method_call(lock),
                    });
                    self.site_nodes.push(node);
                    if self.binding_guard != Some(node) {
                        self.temps.push(Live {
                            site: Some(self.sites.len() - 1),
                            names: Vec::new(),
                            loc: Loc::method_call(lock),
                            describe: "",
                            requires: None,
                            contention: Contention::default(),
                            depth: self.depth,
                            reported: None,
                        });
                    }
                }
            }
            syn::Expr::MethodCall(m) => {
                let mark = self.temps_mark();
                self.expr(&m.receiver);
                // `map.get(k).map(|r| r.clone())`: the guard is moved into the closure and
                // dropped there; only what it returns lives on. An iterator's `map` is an
                // adapter instead: `map.iter().map(..)` still holds the iterator and its lock.
                if locks::GUARD_CONSUMERS.contains(&m.method.to_string().as_str())
                    && matches!(&*m.receiver, syn::Expr::MethodCall(r)
                        if guard_at(r, self).is_some()
                            && !locks::ITERATOR_GUARD_METHODS.contains(&r.method.to_string().as_str()))
                {
                    self.temps_truncate(mark);
                }
                // `entry.insert(v)` on a dashmap entry bound by name takes the entry by value:
                // its shard lock ends with the binding (the `RefMut` returned is a temporary).
                if locks::DASHMAP_ENTRY_CONSUMERS.contains(&m.method.to_string().as_str())
                    && let syn::Expr::Path(p) = &*m.receiver
                    && let Some(name) = p.path.get_ident().map(ToString::to_string)
                    && self
                        .live
                        .iter()
                        .any(|g| g.names.contains(&name) && g.describe.starts_with("`dashmap`"))
                {
                    self.release(&name);
                }
                // `map.iter().map(|e| *e.key()).collect::<Vec<_>>()`, `map.iter().count()`:
                // the iterator holding a shard lock is consumed by value here, and what comes
                // back holds no guard (Rust drops the moved iterator inside the call).
                if iterator_guard_drained(m, self) {
                    self.temps_truncate(mark);
                }
                if let Some(g) = guard_at(m, self)
                    && self.binding_guard != Some(g.node)
                {
                    // `self.state.lock().unwrap()` on a field typed in another file is seen at
                    // the `lock` (conditionally) and again at the `unwrap` (certainly): one guard.
                    match self.temps.iter_mut().find(|t| t.loc == g.loc) {
                        Some(existing) if g.requires.is_none() => existing.requires = None,
                        Some(_) => {}
                        None => self.temps.push(Live::new(Vec::new(), g, self.depth)),
                    }
                }
                for a in &m.args {
                    self.expr(a);
                    self.escape(a);
                }
            }
            syn::Expr::Call(c) => {
                self.expr(&c.func);
                let is_drop = matches!(&*c.func, syn::Expr::Path(p)
                    if p.path.segments.last().is_some_and(|s| s.ident == "drop"));
                for a in &c.args {
                    self.expr(a);
                    if !is_drop {
                        self.escape(a);
                    }
                    // Passing a guard by value moves it (`drop(g)`, `consume(g)`).
                    if let syn::Expr::Path(p) = a
                        && let Some(i) = p.path.get_ident()
                    {
                        self.release(&i.to_string());
                    }
                }
            }
            syn::Expr::If(i) => {
                let mark = self.temps_mark();
                self.expr(&i.cond);
                if !contains_let(&i.cond) {
                    self.temps_truncate(mark);
                }
                self.block(&i.then_branch);
                let through_else = self.if_let_temps_through_else && contains_let(&i.cond);
                if !through_else {
                    self.temps_truncate(mark);
                }
                if let Some((_, els)) = &i.else_branch {
                    // `if let Some(r) = map.get(k) { .. } else { .. }`: the `else` runs when the
                    // optional guard is `None`, which holds no lock.
                    let hidden = match &*i.cond {
                        syn::Expr::Let(l) if through_else && is_some_pattern(&l.pat) => {
                            self.hide_optional_guard(&l.expr)
                        }
                        _ => Vec::new(),
                    };
                    self.expr(els);
                    self.temps.extend(hidden);
                }
                self.temps_truncate(mark);
            }
            syn::Expr::Let(l) => self.expr(&l.expr),
            // Each operand of `&&`/`||` is a temporary scope of its own (in every edition since
            // Rust 1.68): a guard made in the first operand is dropped before the second one
            // runs. An operand holding a `let` (a let chain) keeps its scrutinee's temporaries
            // for the body, as an `if let` does.
            syn::Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_) | syn::BinOp::Or(_)) => {
                for operand in [&*b.left, &*b.right] {
                    let mark = self.temps_mark();
                    self.expr(operand);
                    if !contains_let(operand) {
                        self.temps_truncate(mark);
                    }
                }
            }
            syn::Expr::Match(m) => {
                self.expr(&m.expr);
                for arm in &m.arms {
                    // The scrutinee is itself an optional or fallible guard (`map.get(k)` of a
                    // `DashMap` is an `Option<Ref>`, `try_get` a `TryResult`): an arm that
                    // matches a variant without a guard (`None`, `TryResult::Locked`) holds no
                    // lock.
                    // An arm that binds the scrutinee's guard by value
                    // (`Entry::Occupied(entry) => ..`) moves it out of the temporary: it lives
                    // in the binding, which `drop(entry)` or a consuming method ends.
                    let moved_into = moved_binding(&arm.pat);
                    let hidden = if is_guardless_pattern(&arm.pat) || moved_into.is_some() {
                        self.hide_optional_guard(&m.expr)
                    } else {
                        Vec::new()
                    };
                    let bound = match (&moved_into, hidden.first()) {
                        (Some(name), Some(guard)) => {
                            let live = Live {
                                site: guard.site,
                                names: vec![name.clone()],
                                loc: guard.loc,
                                describe: guard.describe,
                                requires: guard.requires.clone(),
                                contention: guard.contention.clone(),
                                depth: self.depth + 1,
                                reported: guard.reported,
                            };
                            self.live.push(live);
                            true
                        }
                        _ => false,
                    };
                    if let Some((_, g)) = &arm.guard {
                        self.expr(g);
                    }
                    self.expr(&arm.body);
                    if bound && let Some(name) = &moved_into {
                        self.release(name);
                    }
                    self.temps.extend(hidden);
                }
            }
            syn::Expr::While(w) => {
                let mark = self.temps_mark();
                self.expr(&w.cond);
                if !contains_let(&w.cond) {
                    self.temps_truncate(mark);
                }
                self.block(&w.body);
                self.temps_truncate(mark);
            }
            syn::Expr::ForLoop(f) => {
                let mark = self.temps_mark();
                self.expr(&f.expr);
                self.block(&f.body);
                self.temps_truncate(mark);
            }
            // `place = value` evaluates the value first, then the place (the Reference,
            // "Assignment expressions"): in `*m.lock().unwrap() = load().await?;` the lock is
            // taken after the await has finished.
            syn::Expr::Assign(a) => {
                self.expr(&a.right);
                self.expr(&a.left);
                if self.async_locks.is_some() {
                    self.escape(&a.right);
                }
            }
            // `place += value` on primitive operands evaluates the value first too; on other
            // types (`String += &str`, an `AddAssign` impl) the place comes first. A guard's
            // place is a counter far more often: read as a primitive.
            syn::Expr::Binary(b) if is_compound_assignment(&b.op) => {
                self.expr(&b.right);
                self.expr(&b.left);
            }
            syn::Expr::Loop(l) => self.block(&l.body),
            syn::Expr::Block(b) => self.block(&b.block),
            syn::Expr::Unsafe(u) => self.block(&u.block),
            // A plain closure that only borrows (no `move`, not async, no async block inside)
            // cannot await and does not take the guard: the guard stays this body's, judged at
            // this body's awaits (`links.iter().filter(|u| seen.insert(u.clone()))`).
            syn::Expr::Closure(c)
                if c.capture.is_none()
                    && c.asyncness.is_none()
                    && !crate::model::tokens::names_ident(
                        quote::ToTokens::to_token_stream(&c.body),
                        "async",
                    ) => {}
            syn::Expr::Closure(c) => self.moved_into(c.capture.is_some(), &c.body),
            syn::Expr::Async(a) => {
                let body = syn::Expr::Block(syn::ExprBlock {
                    attrs: Vec::new(),
                    label: None,
                    block: a.block.clone(),
                });
                self.moved_into(a.capture.is_some(), &body);
            }
            syn::Expr::Macro(m) => self.mac(&m.mac),
            other => {
                let mut children = Children { scanner: self };
                visit::visit_expr(&mut children, other);
                if self.async_locks.is_some() {
                    match other {
                        syn::Expr::Return(r) => {
                            if let Some(e) = &r.expr {
                                self.escape(e);
                            }
                        }
                        syn::Expr::Struct(s) => s.fields.iter().for_each(|f| self.escape(&f.expr)),
                        syn::Expr::Tuple(t) => t.elems.iter().for_each(|e| self.escape(e)),
                        syn::Expr::Array(a) => a.elems.iter().for_each(|e| self.escape(e)),
                        _ => {}
                    }
                }
            }
        }
    }

    /// In async-lock mode, a guard (by name, or a lock call's result) used by value here leaves
    /// the body's sight: it counts as held.
    fn escape(&mut self, e: &syn::Expr) {
        if self.async_locks.is_none() {
            return;
        }
        let mut e = e;
        while let syn::Expr::Paren(p) = e {
            e = &p.expr;
        }
        match e {
            syn::Expr::Path(p) => {
                let Some(name) = p.path.get_ident().map(ToString::to_string) else {
                    return;
                };
                for g in &self.live {
                    if let Some(site) = g.site
                        && g.names.contains(&name)
                    {
                        self.sites[site].held = true;
                    }
                }
            }
            syn::Expr::Await(a) => {
                let node = a as *const _ as usize;
                if let Some(site) = self.site_nodes.iter().position(|&n| n == node) {
                    self.sites[site].held = true;
                }
            }
            _ => {}
        }
    }

    /// A `move` closure or async block that mentions a live guard takes it.
    fn moved_into(&mut self, is_move: bool, body: &syn::Expr) {
        if !is_move && self.async_locks.is_none() {
            return;
        }
        let mut idents = Idents::default();
        idents.visit_expr(body);
        // An async guard a closure or async block uses is used in another body, which may
        // await while it holds it.
        for g in &self.live {
            if let Some(site) = g.site
                && g.names.iter().any(|n| idents.0.contains(n))
            {
                self.sites[site].held = true;
            }
        }
        if !is_move {
            return;
        }
        self.live
            .retain(|g| !g.names.iter().any(|n| idents.0.contains(n)));
    }
}

/// Finds an `.await` anywhere below a node, nested closures and async blocks included.
#[derive(Default)]
pub(crate) struct AwaitFinder {
    /// An `.await` was seen.
    pub found: bool,
}

impl<'ast> Visit<'ast> for AwaitFinder {
    fn visit_expr_await(&mut self, _: &'ast syn::ExprAwait) {
        self.found = true;
    }
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.found |= !TokenFacts::of(m.tokens.clone()).awaits.is_empty();
    }
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// Visits the direct child expressions of an expression with the scanner.
struct Children<'s, 'a> {
    scanner: &'s mut Scanner<'a>,
}

impl<'ast> Visit<'ast> for Children<'_, '_> {
    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        self.scanner.expr(e);
    }
    fn visit_block(&mut self, b: &'ast syn::Block) {
        self.scanner.block(b);
    }
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.scanner.mac(m);
    }
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

#[derive(Default)]
struct Idents(Vec<String>);

impl<'ast> Visit<'ast> for Idents {
    fn visit_ident(&mut self, i: &'ast proc_macro2::Ident) {
        self.0.push(i.to_string());
    }
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        for tt in m.tokens.clone() {
            if let proc_macro2::TokenTree::Ident(i) = tt {
                self.0.push(i.to_string());
            }
        }
    }
}

/// `+=`, `-=`, ... (every compound assignment operator).
fn is_compound_assignment(op: &syn::BinOp) -> bool {
    use syn::BinOp::*;
    matches!(
        op,
        AddAssign(_)
            | SubAssign(_)
            | MulAssign(_)
            | DivAssign(_)
            | RemAssign(_)
            | BitXorAssign(_)
            | BitAndAssign(_)
            | BitOrAssign(_)
            | ShlAssign(_)
            | ShrAssign(_)
    )
}

fn contains_let(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Let(_) => true,
        syn::Expr::Binary(b) => contains_let(&b.left) || contains_let(&b.right),
        syn::Expr::Paren(p) => contains_let(&p.expr),
        _ => false,
    }
}

fn pat_names(p: &syn::Pat) -> Vec<String> {
    #[derive(Default)]
    struct Names(Vec<String>);
    impl<'ast> Visit<'ast> for Names {
        fn visit_pat_ident(&mut self, i: &'ast syn::PatIdent) {
            self.0.push(i.ident.to_string());
            visit::visit_pat_ident(self, i);
        }
    }
    let mut n = Names::default();
    n.visit_pat(p);
    n.0
}

struct GuardCall {
    /// Address of the method call node at which the guard is recognised.
    node: usize,
    loc: Loc,
    describe: &'static str,
    /// The condition on the crate under which this is a guard (a field typed elsewhere).
    requires: Option<Requirement>,
    /// Who could contend for it: see [`Contention`].
    contention: Contention,
}

/// What the crate pass needs to tell whether anyone else can contend for a guard's lock.
#[derive(Debug, Clone, Default)]
struct Contention {
    /// The lock, when it is a struct field.
    lock: Option<LockId>,
    /// A shared (read) guard.
    shared: bool,
    /// Reached as `self.field` (directly or through `let m = &self.field`).
    on_self: bool,
}

impl Scanner<'_> {
    /// The field lock `receiver` (of a guard method) is, and whether it is reached as a field
    /// of `self`.
    fn contention(&self, receiver: &syn::Expr, shared: bool) -> Contention {
        let mut e = receiver;
        while let syn::Expr::Reference(r) = e {
            e = &r.expr;
        }
        while let syn::Expr::Paren(p) = e {
            e = &p.expr;
        }
        if let syn::Expr::Path(p) = e
            && let Some(name) = p.path.get_ident()
            && let Some((_, lock, on_self)) = self.field_refs.iter().rev().find(|(n, ..)| name == n)
        {
            return Contention {
                lock: Some(lock.clone()),
                shared,
                on_self: *on_self,
            };
        }
        let lock = lock_identity(e, &self.env, self.types, self.resolver, None)
            .filter(|id| matches!(id, LockId::Field { .. }));
        Contention {
            on_self: lock.is_some() && is_self_field(e),
            lock,
            shared,
        }
    }
}

/// `self.field`.
fn is_self_field(e: &syn::Expr) -> bool {
    matches!(e, syn::Expr::Field(f) if matches!(&*f.base, syn::Expr::Path(p) if p.path.is_ident("self")))
}

/// Is this method call the point where a synchronous guard comes into existence?
///
/// With a known receiver type: the lock call itself (`m.lock()` on a `std::sync::Mutex`).
/// With an unknown type: the poison handling (`.unwrap()`, `.expect(..)`, ...) of an
/// argument-less `lock`/`read`/`write` (async locks are awaited instead, and I/O `read`/`write`
/// take buffers).
fn guard_at(m: &syn::ExprMethodCall, s: &Scanner<'_>) -> Option<GuardCall> {
    if s.async_locks.is_some() {
        return None;
    }
    let method = m.method.to_string();
    let recv_ty = infer(&m.receiver, &s.env, s.types, s.resolver);
    if let Some(path) = resolved(&recv_ty) {
        let lock = s.resolver.knowledge().sync_lock(path)?;
        return lock
            .guard_methods
            .contains(&method.as_str())
            .then(|| GuardCall {
                node: m as *const _ as usize,
                loc: Loc::method_call(m),
                describe: lock.describe,
                requires: None,
                contention: s.contention(
                    &m.receiver,
                    lock.shared_guard_methods.contains(&method.as_str()),
                ),
            });
    }
    // A field of a struct declared in another file: a guard if the crate pass finds the field
    // to be a lock type with this guard method.
    if let Ty::Field { owner, field } = &recv_ty {
        let candidates: Vec<&crate::knowledge::locks::LockType> = s
            .resolver
            .knowledge()
            .lock_types
            .iter()
            .filter(|l| l.guard_methods.contains(&method.as_str()))
            .collect();
        let one_of: Vec<&'static str> = candidates.iter().map(|l| l.path).collect();
        // Shared whichever of the candidate types the field turns out to be.
        let shared = !candidates.is_empty()
            && candidates
                .iter()
                .all(|l| l.shared_guard_methods.contains(&method.as_str()));
        // A map's guard methods take the key (`entries.get(name)`); a lock's take nothing.
        let keyed = candidates.iter().all(|l| !l.guard_is_first_argument);
        if one_of.is_empty() || !m.args.is_empty() && !method.starts_with("try_lock_") && !keyed {
            return None;
        }
        return Some(GuardCall {
            node: m as *const _ as usize,
            loc: Loc::method_call(m),
            describe: "synchronous lock guard",
            requires: Some(Requirement::FieldType {
                owner: owner.clone(),
                field: field.clone(),
                one_of,
            }),
            contention: s.contention(&m.receiver, shared),
        });
    }
    if !locks::POISON_HANDLERS.contains(&method.as_str()) {
        return None;
    }
    let syn::Expr::MethodCall(inner) = &*m.receiver else {
        return None;
    };
    if !inner.args.is_empty() {
        return None;
    }
    let inner_method = inner.method.to_string();
    let (_, describe) = locks::UNWRAPPED_GUARD_METHODS
        .iter()
        .find(|(name, _)| *name == inner_method)?;
    let receiver = infer(&inner.receiver, &s.env, s.types, s.resolver);
    if resolved(&receiver).is_some() {
        return None;
    }
    Some(GuardCall {
        node: m as *const _ as usize,
        loc: Loc::method_call(inner),
        describe,
        contention: s.contention(&inner.receiver, inner_method == "read"),
        requires: Some(unless_own_getter(inner_method, &receiver)),
    })
}

/// The condition under which an argument-less `read`/`lock`/`write` on a receiver of unknown
/// type, its poisoning handled, is a std lock's guard: a field declared in another file is
/// settled by its type; otherwise the crate must not declare a plain getter of that name.
fn unless_own_getter(method: String, receiver: &Ty) -> Requirement {
    let field = match receiver {
        Ty::Field { owner, field } => Some((owner.clone(), field.clone())),
        _ => None,
    };
    Requirement::UnlessOwnGetter { method, field }
}

/// Does `m` drain, by value, an iterator that a guard method (`dashmap`'s `iter`) produced, and
/// return something that holds no guard? `count`/`any`/`for_each` never return an item;
/// `collect` returns the items, so only after a mapping adapter replaced them by values.
fn iterator_guard_drained(m: &syn::ExprMethodCall, s: &Scanner<'_>) -> bool {
    let method = m.method.to_string();
    let collects = locks::ITERATOR_COLLECTORS.contains(&method.as_str());
    if !collects && !locks::ITERATOR_DRAINS.contains(&method.as_str()) {
        return false;
    }
    let mut mapped = false;
    let mut receiver = &*m.receiver;
    while let syn::Expr::MethodCall(inner) = receiver {
        let name = inner.method.to_string();
        if locks::ITERATOR_GUARD_METHODS.contains(&name.as_str()) {
            return guard_at(inner, s).is_some() && (mapped || !collects);
        }
        if !locks::ITERATOR_ADAPTERS.contains(&name.as_str()) {
            return false;
        }
        mapped |= locks::ITERATOR_MAPPING_ADAPTERS.contains(&name.as_str());
        receiver = &inner.receiver;
    }
    false
}

/// Does `pat` match only a variant that carries no guard
/// ([`GUARDLESS_VARIANTS`](locks::GUARDLESS_VARIANTS): `None`, `TryResult::Locked`, ...)?
/// The name an arm's pattern binds the whole matched value to, by value: `entry` in
/// `Entry::Occupied(entry)`, `Some(r)`, `Ok(g)` or a bare `g` (not `ref`, not a sub-pattern).
fn moved_binding(pat: &syn::Pat) -> Option<String> {
    let by_value = |i: &syn::PatIdent| {
        (i.by_ref.is_none() && i.subpat.is_none() && !is_guardless_pattern(pat))
            .then(|| i.ident.to_string())
    };
    match pat {
        syn::Pat::TupleStruct(ts) if ts.elems.len() == 1 => match ts.elems.first() {
            Some(syn::Pat::Ident(i)) => by_value(i),
            _ => None,
        },
        _ => None,
    }
}

fn is_guardless_pattern(pat: &syn::Pat) -> bool {
    let guardless = |name: &syn::Ident| locks::GUARDLESS_VARIANTS.iter().any(|v| name == v);
    match pat {
        syn::Pat::Ident(i) => i.subpat.is_none() && guardless(&i.ident),
        syn::Pat::Path(p) => p.path.segments.last().is_some_and(|s| guardless(&s.ident)),
        syn::Pat::Or(o) => o.cases.iter().all(is_guardless_pattern),
        // `Err(TryLockError::WouldBlock)`: the error itself carries nothing.
        syn::Pat::TupleStruct(ts) => {
            ts.path.segments.last().is_some_and(|s| s.ident == "Err")
                && ts.elems.len() == 1
                && ts.elems.iter().all(is_guardless_pattern)
        }
        _ => false,
    }
}

/// Is `pat` a `Some(..)` pattern?
fn is_some_pattern(pat: &syn::Pat) -> bool {
    matches!(pat, syn::Pat::TupleStruct(ts) if ts.path.segments.last().is_some_and(|s| s.ident == "Some"))
}

/// If `init` (a `let` initializer) evaluates to a guard, the call producing it.
fn guard_call(init: &syn::Expr, s: &Scanner<'_>) -> Option<GuardCall> {
    match init {
        syn::Expr::MethodCall(m) => {
            if let Some(g) = guard_at(m, s) {
                return Some(g);
            }
            if locks::GUARD_PASSTHROUGH.contains(&m.method.to_string().as_str()) {
                return guard_call(&m.receiver, s);
            }
            None
        }
        syn::Expr::Await(a) if s.async_locks.is_some() => {
            async_lock_call(a, s).map(|lock| GuardCall {
                node: a as *const _ as usize,
                loc: Loc::method_call(lock),
                describe: "",
                requires: None,
                contention: Contention::default(),
            })
        }
        syn::Expr::Try(t) => guard_call(&t.expr, s),
        // `let out = &mut m.lock().await;`: the temporary lives to the end of the block.
        syn::Expr::Reference(r) => guard_call(&r.expr, s),
        syn::Expr::Paren(p) => guard_call(&p.expr, s),
        // `match m.lock() { Ok(g) => g, Err(poisoned) => poisoned.into_inner() }`
        syn::Expr::Match(mt) => {
            let syn::Expr::MethodCall(lock) = &*mt.expr else {
                return None;
            };
            let returns_ok_binding = mt.arms.iter().any(|arm| {
                let syn::Pat::TupleStruct(ts) = &arm.pat else {
                    return false;
                };
                let is_ok = ts.path.segments.last().is_some_and(|seg| seg.ident == "Ok");
                let bound = match ts.elems.first() {
                    Some(syn::Pat::Ident(i)) => i.ident.to_string(),
                    _ => return false,
                };
                is_ok && matches!(&*arm.body, syn::Expr::Path(p) if p.path.is_ident(&bound))
            });
            if !returns_ok_binding {
                return None;
            }
            if let Some(g) = guard_at(lock, s) {
                return Some(g);
            }
            let method = lock.method.to_string();
            let (_, describe) = locks::UNWRAPPED_GUARD_METHODS
                .iter()
                .find(|(name, _)| *name == method)?;
            let receiver = infer(&lock.receiver, &s.env, s.types, s.resolver);
            let untyped = resolved(&receiver).is_none();
            (lock.args.is_empty() && untyped).then(|| GuardCall {
                contention: s.contention(&lock.receiver, method == "read"),
                requires: Some(unless_own_getter(method, &receiver)),
                node: lock as *const _ as usize,
                loc: Loc::method_call(lock),
                describe,
            })
        }
        _ => None,
    }
}

/// The lock call `a` awaits, if it locks an async lock: an argument-less guard method on a
/// receiver typed as an async lock, or of unknown type (a field declared in another file, a
/// binding whose type is not visible); the crate pass matches those by identity.
fn async_lock_call<'e>(a: &'e syn::ExprAwait, s: &Scanner<'_>) -> Option<&'e syn::ExprMethodCall> {
    let syn::Expr::MethodCall(m) = &*a.base else {
        return None;
    };
    if !m.args.is_empty() || !locks::ASYNC_GUARD_METHODS.contains(&m.method.to_string().as_str()) {
        return None;
    }
    match infer(&m.receiver, &s.env, s.types, s.resolver) {
        Ty::Named(path) | Ty::Locked { lock: path, .. } if path.contains("::") => {
            s.resolver.knowledge().is_async_lock(&path).then_some(m)
        }
        _ => Some(m),
    }
}

/// The type's path if it was resolved to a crate path; a bare `Mutex` whose import we could not
/// see is as good as unknown.
fn resolved(ty: &Ty) -> Option<&str> {
    ty.path().filter(|p| p.contains("::"))
}

#[cfg(test)]
mod tests {
    use crate::model::FileModel;

    /// The lines of the awaits each held guard is first held across, for an async fn whose
    /// `m` is a `std::sync::Mutex`.
    fn held_at(body: &str) -> Vec<usize> {
        let src = format!(
            "async fn f(m: &std::sync::Mutex<u32>, tx: Sender) {{\n{body}\n}}\nasync fn step() {{}}"
        );
        let ast = syn::parse_file(&src).expect("test source parses");
        let model = FileModel::build(std::path::Path::new("t.rs"), &src, &ast);
        model
            .held_guards
            .iter()
            .map(|g| g.await_loc.start.0)
            .collect()
    }

    #[test]
    fn a_let_guard_lives_to_the_end_of_its_block_unless_dropped() {
        assert_eq!(held_at("let g = m.lock().unwrap();\nstep().await;"), [3]);
        assert!(held_at("let g = m.lock().unwrap();\ndrop(g);\nstep().await;").is_empty());
        assert!(held_at("{ let g = m.lock().unwrap(); }\nstep().await;").is_empty());
        // `let _ = ..` drops at once
        assert!(held_at("let _ = m.lock().unwrap();\nstep().await;").is_empty());
    }

    #[test]
    fn a_temporary_guard_lives_to_the_end_of_its_statement() {
        assert!(held_at("*m.lock().unwrap() += 1;\nstep().await;").is_empty());
        assert_eq!(held_at("tx.send(*m.lock().unwrap()).await;"), [2]);
    }

    #[test]
    fn an_assignment_takes_its_place_after_the_value() {
        // The value is evaluated first: the lock is taken once the await has finished.
        assert!(held_at("*m.lock().unwrap() = step().await;\nstep().await;").is_empty());
        // So does a compound assignment of primitives (read so: the place's type is unknown).
        assert!(held_at("*m.lock().unwrap() += step().await;").is_empty());
    }

    #[test]
    fn a_match_scrutinee_lives_through_the_arms_an_if_condition_does_not() {
        assert_eq!(
            held_at("match *m.lock().unwrap() {\n0 => step().await,\n_ => {}\n}"),
            [3]
        );
        assert!(held_at("if *m.lock().unwrap() > 0 {\nstep().await;\n}").is_empty());
    }

    #[test]
    fn awaits_of_other_bodies_do_not_count() {
        assert!(
            held_at("let g = m.lock().unwrap();\ntokio::spawn(async move {\nstep().await;\n});")
                .is_empty()
        );
    }
}
