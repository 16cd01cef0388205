//! Scopes and bindings: blocks (their items for the resolver, the type env, the closures
//! handed to offloaders in them, and the per-statement state that spawns and channels read:
//! what follows the statement, whether the block leaves after it, the `let` binding), statements
//! whose call value is discarded or bound, `let`s (types, constants, futures, closures, locks),
//! `match` arms and `if let` conditions, whose patterns take the scrutinee's type.

use std::collections::HashSet;
use std::rc::Rc;

use syn::visit::{self, Visit};

use super::super::Ty;
use super::super::analysis::bounds;
use super::super::analysis::contexts::ClosureSite;
use super::super::analysis::failure::{self, BodyFailure};
use super::super::resolve::Scope;
use super::bodies::OffloadedNames;
use super::channels::binds_channel;
use super::spawns::{self, AfterStmt, MAX_LOOPS_PER_BLOCK};
use super::{Walker, call_addr};

/// What the enclosing blocks bind and what the statement being visited sits among. Written
/// only here (by the block, statement, `let` and `match` walks); `spawns`, `channels` and
/// `calls` read it.
#[derive(Default)]
pub(super) struct StmtScope {
    /// Per enclosing block: names of local closures handed to an offloader in that block.
    offloaded_names: Vec<HashSet<String>>,
    /// Futures bound by `let name = async { .. }` (or a call) in the enclosing blocks, with
    /// whether they can fail: a later `spawn(name)` is judged by them.
    pub(super) bound_futures: Vec<(String, BodyFailure)>,
    /// Names bound to constants (`let workers = 48;`) in the enclosing blocks.
    pub(super) constant_names: Vec<String>,
    /// Sockets of the enclosing blocks whose `connect`/`accept` return at once: set
    /// non-blocking (`sock.set_nonblocking(true)`) or created as datagram sockets.
    pub(super) non_waiting_sockets: Vec<String>,
    /// Names bound to a non-blocking socket type (`let ty = Type::STREAM.nonblocking();`) in
    /// the enclosing blocks: a socket created with one is non-blocking from the start.
    pub(super) non_blocking_types: Vec<String>,
    /// Tokens of the statements after the one being visited, when that statement holds a loop
    /// (to see whether the loop's tasks are joined right after it).
    pub(super) after_stmt: Option<Rc<AfterStmt>>,
    /// A later statement of the block being visited is a `return` or `break`: a spawn in the
    /// current statement happens once per loop at most.
    pub(super) leaves_after_stmt: bool,
    /// The name the statement being visited binds (`let handles = xs.iter().map(..)`).
    pub(super) stmt_binding: Option<String>,
    /// How many `match` arms the walk is inside.
    pub(super) arm_depth: usize,
}

impl Walker {
    /// Binds the patterns of `let` conditions (`if let P = e`, `if let A = a && let B = b`).
    fn bind_lets(&mut self, cond: &syn::Expr) {
        match cond {
            syn::Expr::Let(l) => {
                let ty = self.infer(&l.expr);
                self.env.bind_pat(&l.pat, ty, &self.types, &self.resolver);
            }
            syn::Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_)) => {
                self.bind_lets(&b.left);
                self.bind_lets(&b.right);
            }
            syn::Expr::Paren(p) => self.bind_lets(&p.expr),
            _ => {}
        }
    }

    pub(super) fn walk_block(&mut self, b: &syn::Block) {
        // Most blocks declare no item: no scope to build (and no strings to allocate for one).
        let has_items = b.stmts.iter().any(|s| matches!(s, syn::Stmt::Item(_)));
        let pushed = has_items && {
            let mut scope = Scope::default();
            let items = b.stmts.iter().filter_map(|s| match s {
                syn::Stmt::Item(i) => Some(i),
                _ => None,
            });
            let module = format!("{}::{{block}}", self.resolver.current_module);
            scope.add_items(&module, items);
            let declares = !scope.is_empty();
            if declares {
                self.resolver.push_block(scope);
            }
            declares
        };
        let binds_closure = b.stmts.iter().any(|s| {
            matches!(s, syn::Stmt::Local(l) if l.init.as_ref().is_some_and(|i| matches!(*i.expr, syn::Expr::Closure(_))))
        });
        if binds_closure {
            let names = OffloadedNames::of_block(b, &self.knowledge);
            self.scope.offloaded_names.push(names);
        }
        self.env.push();
        let futures_in_scope = self.scope.bound_futures.len();
        let constants_in_scope = self.scope.constant_names.len();
        let sockets_in_scope = self.scope.non_waiting_sockets.len();
        let socket_types_in_scope = self.scope.non_blocking_types.len();
        let saved_after = self.scope.after_stmt.take();
        let saved_leaves = self.scope.leaves_after_stmt;
        // Asked once per statement (it is read twice below).
        let holds_loop: Vec<bool> = b.stmts.iter().map(bounds::holds_loop).collect();
        let loops = holds_loop.iter().filter(|&&h| h).count();
        for (i, stmt) in b.stmts.iter().enumerate() {
            self.scope.leaves_after_stmt = b.stmts[i + 1..].iter().any(|s| {
                matches!(
                    s,
                    syn::Stmt::Expr(syn::Expr::Return(_) | syn::Expr::Break(_), _)
                )
            });
            // Bounded work: only statements holding a loop, in blocks with few of them.
            let wanted = holds_loop[i] || binds_channel(stmt);
            self.scope.after_stmt = (loops <= MAX_LOOPS_PER_BLOCK && wanted)
                .then(|| spawns::after_stmt(&b.stmts, i, saved_after.as_ref()));
            self.visit_stmt(stmt);
        }
        self.scope.after_stmt = saved_after;
        self.scope.leaves_after_stmt = saved_leaves;
        self.scope.constant_names.truncate(constants_in_scope);
        self.scope.non_waiting_sockets.truncate(sockets_in_scope);
        self.scope
            .non_blocking_types
            .truncate(socket_types_in_scope);
        self.scope.bound_futures.truncate(futures_in_scope);
        self.env.pop();
        if binds_closure {
            self.scope.offloaded_names.pop();
        }
        if pushed {
            self.resolver.pop_block();
        }
    }

    pub(super) fn walk_stmt(&mut self, s: &syn::Stmt) {
        match s {
            syn::Stmt::Expr(e, Some(_)) => {
                if let Some(a) = call_addr(e) {
                    self.uses.mark_discarded(a);
                }
            }
            syn::Stmt::Local(l) => {
                if let Some(init) = &l.init
                    && let Some(a) = call_addr(&init.expr)
                {
                    match &l.pat {
                        syn::Pat::Wild(_) => {
                            self.uses.mark_discarded(a);
                        }
                        syn::Pat::Ident(i) => {
                            self.uses.mark_bound(a, i.ident.to_string());
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        // `#[cfg(unix)] { .. }`: the calls inside are compiled only where the predicate holds.
        let outer = self.cfgs.len();
        self.cfgs.extend(crate::model::cfg::of_stmt(s));
        visit::visit_stmt(self, s);
        self.cfgs.truncate(outer);
    }

    pub(super) fn walk_local(&mut self, l: &syn::Local) {
        if let Some(init) = &l.init {
            // `let load = |p| std::fs::read(p);` runs where it is called: inline in this body,
            // unless the closure is handed to an offloader in the same block.
            if let (syn::Expr::Closure(c), syn::Pat::Ident(name)) = (&*init.expr, &l.pat)
                && c.asyncness.is_none()
            {
                let offloaded = self
                    .scope
                    .offloaded_names
                    .iter()
                    .any(|set| set.contains(&name.ident.to_string()));
                self.closure_site = Some((ClosureSite::LetBinding { offloaded }, None));
            }
            let binding = match &l.pat {
                syn::Pat::Ident(name) => Some(name.ident.to_string()),
                syn::Pat::Type(t) => match &*t.pat {
                    syn::Pat::Ident(name) => Some(name.ident.to_string()),
                    _ => None,
                },
                _ => None,
            };
            let saved_binding = std::mem::replace(&mut self.scope.stmt_binding, binding);
            self.visit_expr(&init.expr);
            self.scope.stmt_binding = saved_binding;
            self.closure_site = None;
            if let Some((_, diverge)) = &init.diverge {
                self.visit_expr(diverge);
            }
        }
        if let Some(init) = &l.init
            && let syn::Expr::Call(c) = &*init.expr
            && let syn::Pat::Tuple(pair) = &l.pat
        {
            self.classify_channel(c, pair);
        }
        if let (Some(init), syn::Pat::Ident(name)) = (&l.init, &l.pat)
            && self.creates_non_waiting_socket(&init.expr)
        {
            self.scope.non_waiting_sockets.push(name.ident.to_string());
        }
        if let (Some(init), syn::Pat::Ident(name)) = (&l.init, &l.pat)
            && names_non_blocking_type(&init.expr)
        {
            self.scope.non_blocking_types.push(name.ident.to_string());
        }
        if let (Some(init), syn::Pat::Ident(name)) = (&l.init, &l.pat)
            && bounds::is_constant(&init.expr, &self.scope.constant_names)
        {
            self.scope.constant_names.push(name.ident.to_string());
        }
        if let (Some(init), syn::Pat::Ident(name)) = (&l.init, &l.pat)
            && matches!(&*init.expr, syn::Expr::Async(_) | syn::Expr::Call(_))
        {
            let mut failure =
                failure::of_future_in(&init.expr, &self.knowledge, Some(&self.resolver));
            self.qualify_method_ending(&init.expr, &mut failure);
            self.scope
                .bound_futures
                .push((name.ident.to_string(), failure));
        }
        if self.async_lock_scan
            && let (Some(init), syn::Pat::Ident(name)) = (&l.init, &l.pat)
        {
            let name = name.ident.to_string();
            self.async_lock_local(&name, &init.expr);
            self.async_lock_alias(&name, &init.expr);
        }
        let ty = l.init.as_ref().map_or(Ty::Unknown, |i| self.infer(&i.expr));
        self.env.bind_pat(&l.pat, ty, &self.types, &self.resolver);
    }

    /// Binds each arm's pattern to the scrutinee's type for the arm's body: `match self {
    /// Self::Serve(args) => args.run() }` calls the variant's type's method.
    pub(super) fn walk_expr_match(&mut self, m: &syn::ExprMatch) {
        self.visit_expr(&m.expr);
        let ty = self.infer(&m.expr);
        for arm in &m.arms {
            self.env.push();
            self.env
                .bind_pat(&arm.pat, ty.clone(), &self.types, &self.resolver);
            self.scope.arm_depth += 1;
            self.visit_arm(arm);
            self.scope.arm_depth -= 1;
            self.env.pop();
        }
    }

    pub(super) fn walk_expr_if(&mut self, i: &syn::ExprIf) {
        // `if let Ok(mut file) = File::open(p) { file.read_to_string(..) }`: the pattern's
        // bindings have the scrutinee's light type in the `then` branch.
        self.visit_expr(&i.cond);
        self.env.push();
        self.bind_lets(&i.cond);
        self.visit_block(&i.then_branch);
        self.env.pop();
        if let Some((_, els)) = &i.else_branch {
            self.visit_expr(els);
        }
    }
}

impl Walker {
    /// Does `e` create a socket2 socket whose `connect`/`accept` return at once: a datagram
    /// socket (`Socket::new(domain, Type::DGRAM, None)?`, whose `connect` only records the
    /// peer), or one created non-blocking (`Type::STREAM.nonblocking()`, a binding holding such
    /// a type, or a type built from flags with `SOCK_NONBLOCK`)?
    fn creates_non_waiting_socket(&self, e: &syn::Expr) -> bool {
        use crate::knowledge::blocking::{DATAGRAM_SOCKET_TYPE, SOCKET2_CONSTRUCTORS};
        let mut e = e;
        loop {
            e = match e {
                syn::Expr::Try(t) => &t.expr,
                syn::Expr::MethodCall(m)
                    if self.knowledge.is_unwrap_like(&m.method.to_string()) =>
                {
                    &m.receiver
                }
                _ => break,
            };
        }
        let syn::Expr::Call(c) = e else { return false };
        let syn::Expr::Path(f) = &*c.func else {
            return false;
        };
        SOCKET2_CONSTRUCTORS.contains(&self.resolver.resolve(&f.path).as_str())
            && c.args.iter().any(|a| {
                matches!(a, syn::Expr::Path(p)
                    if p.path.segments.last().is_some_and(|s| s.ident == DATAGRAM_SOCKET_TYPE))
                    || names_non_blocking_type(a)
                    || matches!(a, syn::Expr::Path(p)
                    if p.path.get_ident().is_some_and(|i| {
                        self.scope.non_blocking_types.contains(&i.to_string())
                    }))
            })
    }
}

/// Does `e` make a non-blocking socket type: socket2's `Type::STREAM.nonblocking()` (also
/// inside a chain, `.nonblocking().cloexec()`), or flags that include `SOCK_NONBLOCK`
/// (`Type::from(libc::SOCK_STREAM | libc::SOCK_NONBLOCK)`)?
fn names_non_blocking_type(e: &syn::Expr) -> bool {
    use crate::knowledge::blocking::{NON_BLOCKING_SOCKET_FLAG, NON_BLOCKING_TYPE_METHOD};
    struct Finds(bool);
    impl<'ast> Visit<'ast> for Finds {
        fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
            self.0 |= m.method == NON_BLOCKING_TYPE_METHOD && m.args.is_empty();
            visit::visit_expr_method_call(self, m);
        }
        fn visit_path(&mut self, p: &'ast syn::Path) {
            self.0 |= p
                .segments
                .last()
                .is_some_and(|s| s.ident == NON_BLOCKING_SOCKET_FLAG);
            visit::visit_path(self, p);
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
        fn visit_expr_block(&mut self, _: &'ast syn::ExprBlock) {}
    }
    let mut finds = Finds(false);
    finds.visit_expr(e);
    finds.0
}
