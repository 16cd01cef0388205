//! Call facts: every call, method call and `for` loop's iteration becomes a [`CallFact`] with
//! its resolved callee (a path, a method on an inferred receiver type, a read or write through
//! a blocking I/O type), its context and caller, whether it is awaited (`.await`, `block_on`) or
//! discarded (`;`, `let _`, `drop`), and whether it runs once at start-up (directly in `main`,
//! a set-up fn, or a fn `main` awaits directly). A call site is also where a spawn, a polling
//! receive, a concurrency-limited stream chain or a lent async lock is seen; those facts are
//! built by [`spawns`](super::spawns), [`channels`](super::channels) and [`locks`](super::locks).

use syn::visit::{self, Visit};

use super::super::analysis::bounds;
use super::super::analysis::channels::is_polling_receive;
use super::super::{CallFact, Callee, Ctx, Loc, Ty};
use super::{Walker, addr, call_addr};
use crate::knowledge::{blocking, iterators};

impl Walker {
    pub(super) fn record_call(&mut self, callee: Callee, loc: Loc, awaited: bool) {
        let ctx = self.ctx();
        let depth = self.frames.len();
        let outside_loops = self.frame().loops.is_empty();
        let awaited_path = match &callee {
            Callee::Path(path) if awaited => Some(path.as_str()),
            _ => None,
        };
        let place = self.startup.record_call(depth, outside_loops, awaited_path);
        let per_run = place.in_own_body
            && self
                .frame()
                .loops
                .iter()
                .all(|l| l.kind == bounds::FOR_LOOP);
        self.facts.calls.push(CallFact {
            callee,
            loc,
            ctx,
            awaited,
            startup: place.startup,
            caller: self.fn_stack.last().copied(),
            callee_loc: None,
            await_allowed: ctx == Ctx::Async && !self.frame().sync_closure,
            top_level: place.top_level,
            per_run,
            in_arm: self.scope.arm_depth > 0,
            own_frame: self.in_own_frame(),
            polled_apart: false,
            cfg: self.cfgs.clone(),
        });
    }

    /// Records a read or write through `io` when its type is one that blocks.
    pub(super) fn record_io(&mut self, via: &str, io: Option<&syn::Expr>, loc: Loc) {
        if let Some(ty) = io.map(|e| self.infer(e))
            && let Some(path) = ty.path()
            && self.knowledge.is_blocking_io_type(path)
        {
            let callee = Callee::ReadsWrites {
                via: via.to_string(),
                io: path.to_string(),
            };
            self.record_call(callee, loc, false);
        }
    }

    pub(super) fn walk_expr_await(&mut self, a: &syn::ExprAwait) {
        if let Some(x) = call_addr(&a.base) {
            self.uses.mark_awaited(x);
        }
        // `pool.render(move || ..).instrument(span).await`: a wrapper that keeps its future's
        // output (`instrument`, `boxed`) is awaited with the future it wraps, so the wrapped
        // call is awaited too.
        let mut base = &*a.base;
        while let syn::Expr::MethodCall(m) = base
            && self.knowledge.is_future_wrapper(&m.method.to_string())
        {
            base = &m.receiver;
            if let Some(x) = call_addr(base) {
                self.uses.mark_awaited(x);
            }
        }
        visit::visit_expr_await(self, a);
    }

    pub(super) fn walk_expr_call(&mut self, c: &syn::ExprCall) {
        let loc = Loc::call(c);
        let me = addr(c);
        let path = match &*c.func {
            syn::Expr::Path(p) if p.qself.is_none() => Some(self.resolver.resolve(&p.path)),
            _ => None,
        };
        let Some(path) = path else {
            visit::visit_expr_call(self, c);
            return;
        };
        if self.knowledge.is_block_on_fn(&path) {
            // `block_on(tokio::spawn(..))` waits for the task like `.await` does.
            let on_caller = self.polls_on_caller_thread();
            for arg in &c.args {
                if let Some(a) = call_addr(arg) {
                    self.uses.mark_awaited(a);
                }
                if on_caller {
                    self.mark_on_caller_thread(arg);
                }
            }
        }
        if path == "std::mem::drop" {
            for arg in &c.args {
                if let Some(a) = call_addr(arg) {
                    self.uses.mark_discarded(a);
                }
            }
        }
        self.record_call(Callee::Path(path.clone()), loc, self.uses.is_awaited(me));
        if let Some(call) = self.facts.calls.last_mut() {
            call.callee_loc = Some(Loc::expr(&c.func));
            call.polled_apart = self.polled_apart.calls.remove(&me);
        }
        if self.knowledge.is_task_abort(&path) {
            self.facts.task_aborts.push(loc);
        }
        if self.knowledge.is_reader_fn(&path) {
            self.record_io(&path, c.args.first(), loc);
        }
        if c.args.first().is_some_and(names_kernel_fs)
            && self
                .knowledge
                .blocking_fn(&path)
                .is_some_and(|b| b.cost == crate::knowledge::blocking::Cost::Filesystem)
        {
            self.facts.non_waiting_calls.push(loc);
        }
        if self.knowledge.is_spawn_fn(&path) {
            // A configured wrapper may take a name or options first (`spawn_named("conn", fut)`).
            let future = c
                .args
                .iter()
                .find(|a| !matches!(a, syn::Expr::Lit(_) | syn::Expr::Reference(_)))
                .or(c.args.first());
            self.spawn_fact(me, loc, path.clone(), future, false);
        } else if self.knowledge.may_be_spawn_wrapper(&path)
            && let Some(future) = c.args.last()
        {
            // `runtime::spawn(conn.run())`: a task if the workspace's `spawn` is a wrapper,
            // which the crate index settles.
            self.spawn_fact(me, loc, path.clone(), Some(future), false);
            if let Some(spawn) = self.facts.spawns.pop() {
                self.facts.wrapper_spawns.push(spawn);
            }
        }
        self.visit_expr(&c.func);
        let is_arc_clone = path.ends_with("Arc::clone") || path.ends_with("Rc::clone");
        if self.async_lock_scan && !is_arc_clone && path != "std::mem::drop" {
            for arg in &c.args {
                self.async_lock_lent(arg);
            }
        }
        // A closure stored for later (`Box::new(move || ..)`) runs who knows where, like one
        // handed to a call whose future is awaited.
        self.visit_args(
            &c.args,
            self.knowledge.offloads_closure(&path),
            self.uses.is_awaited(me) || self.knowledge.stores_closure(&path),
            false,
            None,
        );
    }

    pub(super) fn walk_expr_method_call(&mut self, m: &syn::ExprMethodCall) {
        let loc = Loc::method_call(m);
        let me = addr(m);
        let name = m.method.to_string();
        if self.knowledge.is_block_on_method(&name) {
            let apart = self.hands_futures_apart();
            // A runtime in a local (`rt.block_on(..)` with `let rt = Runtime::new()?`) may be
            // one this function builds to run a program whose tasks lock the same locks.
            let local_runtime = matches!(&*m.receiver, syn::Expr::Path(p)
                if p.path.get_ident().is_some_and(|i| i.to_string().starts_with(char::is_lowercase)));
            let on_caller = !apart && !local_runtime && self.polls_on_caller_thread();
            for arg in &m.args {
                if let Some(a) = call_addr(arg) {
                    self.uses.mark_awaited(a);
                }
                if apart {
                    self.mark_polled_apart(arg);
                }
                if on_caller {
                    self.mark_on_caller_thread(arg);
                }
            }
        }
        // `ex.spawn(..).detach()`: the spawn's handle is given up as surely as a discarded one.
        if m.args.is_empty()
            && self.knowledge.is_detach_method(&name)
            && let Some(a) = call_addr(&m.receiver)
        {
            self.uses.mark_discarded(a);
        }
        if m.args.is_empty() && self.knowledge.is_task_abort(&name) {
            self.facts.task_aborts.push(loc);
        }
        if is_polling_receive(&name, m.args.first()) {
            self.facts.polling_receives.push(loc);
        }
        // The socket's place: a local (`sock`) or a field (`self.socket`).
        let receiver_name = match &*m.receiver {
            syn::Expr::Path(_) | syn::Expr::Field(_) => super::super::ir::place_of(&m.receiver),
            _ => None,
        };
        // `sock.set_nonblocking(true)`: later `connect`/`accept` calls on `sock` return at once.
        if name == blocking::NON_BLOCKING_SETTER
            && let Some(socket) = &receiver_name
            && matches!(m.args.first(), Some(syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Bool(b), .. })) if b.value)
        {
            self.scope.non_waiting_sockets.push(socket.clone());
        }
        let mut receiver = self.infer(&m.receiver);
        if blocking::MODE_DEPENDENT_SOCKET_METHODS.contains(&name.as_str())
            && receiver.path() == Some(blocking::SOCKET2)
            && receiver_name
                .as_ref()
                .is_some_and(|s| self.scope.non_waiting_sockets.contains(s))
        {
            self.facts.non_waiting_calls.push(loc);
        }
        // std parses a numeric address before it asks the resolver: no lookup happens.
        if name == "to_socket_addrs" && numeric_address(&m.receiver, &receiver) {
            receiver = Ty::Named("std::net::SocketAddr".to_string());
        }
        if let Some(path) = receiver.path()
            && self.knowledge.is_spawn_method(path, &name)
        {
            let owned = self.knowledge.owns_spawned_tasks(path);
            let future = m.args.iter().nth(self.knowledge.spawn_future_arg(path));
            self.spawn_fact(me, loc, format!("{path}::{name}"), future, owned);
        }
        // Asked before the name moves into the call fact.
        let per_element = iterators::PER_ELEMENT_ADAPTERS.contains(&name.as_str());
        let combinator = per_element
            || iterators::FN_CALLING_COMBINATORS.contains(&name.as_str())
            || iterators::INLINE_CLOSURE_RUNNERS.contains(&name.as_str());
        let offloads = self.knowledge.is_offload_method(&name);
        let calls_fn_args = iterators::FN_CALLING_COMBINATORS.contains(&name.as_str());
        self.record_call(
            Callee::Method { name, receiver },
            loc,
            self.uses.is_awaited(me),
        );
        if let Some(call) = self.facts.calls.last_mut() {
            call.polled_apart = self.polled_apart.calls.remove(&me);
        }
        if calls_fn_args {
            self.record_fn_args(&m.args);
        }
        if iterators::CONCURRENCY_LIMITED_CONSUMERS
            .iter()
            .any(|c| m.method == c)
            && !m
                .args
                .first()
                .is_some_and(|a| matches!(a, syn::Expr::Path(p) if p.path.is_ident("None")))
        {
            let mut chain = &*m.receiver;
            while let syn::Expr::MethodCall(inner) = chain {
                self.uses.mark_concurrency_limited(addr(inner));
                chain = &inner.receiver;
            }
        }
        self.visit_expr(&m.receiver);
        let limited = self.uses.is_concurrency_limited(me);
        let adapter_loop = (per_element && bounds::is_iteration(&m.receiver)).then(|| {
            let fixed = bounds::iterations(&m.receiver, &self.scope.constant_names);
            let mut scope = self.loop_scope(
                m,
                loc,
                "iterator closure",
                fixed,
                bounds::is_chunked(&m.receiver),
            );
            scope.concurrency_limited = limited;
            scope
        });
        if self.async_lock_scan {
            self.async_lock_combinator(m);
            for arg in &m.args {
                self.async_lock_lent(arg);
            }
        }
        self.visit_args(
            &m.args,
            offloads,
            self.uses.is_awaited(me),
            combinator,
            adapter_loop,
        );
    }
}

impl Walker {
    /// Is a `block_on` here a sync `main`'s, on the multi-thread runtime it builds by hand
    /// ([`FnItem::main_apart`](crate::model::FnItem::main_apart) of a sync fn), outside every
    /// async frame of it (a closure run on a thread of its own is fine: that thread is no
    /// worker either)?
    fn hands_futures_apart(&self) -> bool {
        let in_apart_main = self
            .fn_stack
            .last()
            .and_then(|&i| self.facts.fn_items.get(i))
            .is_some_and(|f| f.main_apart && !f.is_async);
        let Some(depth) = self.startup.body_depth() else {
            return false;
        };
        in_apart_main
            && self
                .frames
                .get(depth..)
                .is_none_or(|inner| inner.iter().all(|frame| frame.ctx != Ctx::Async))
    }

    /// Is a `block_on` here one of sync code other than a `main` that builds the runtime (a
    /// binding's method, a sync API over an async one)? Its future is polled on the calling
    /// thread, which is no runtime worker. In async code `block_on` is a finding of its own.
    fn polls_on_caller_thread(&self) -> bool {
        let in_main = self
            .fn_stack
            .last()
            .and_then(|&i| self.facts.fn_items.get(i))
            .is_some_and(|f| f.main_apart || f.path.rsplit("::").next() == Some("main"));
        !in_main && self.frames.last().is_some_and(|f| f.ctx != Ctx::Async)
    }

    /// Marks an async block handed to such a `block_on` (through parentheses and
    /// `Box::pin(..)`), unless it spawns tasks: they run on the workers beside it and may lock
    /// what it holds.
    fn mark_on_caller_thread(&mut self, arg: &syn::Expr) {
        let Some(HandedFuture::Block(block)) = handed_future(arg) else {
            return;
        };
        let knowledge = &self.knowledge;
        let spawns = crate::model::tokens::any_ident(quote::ToTokens::to_token_stream(arg), &|i| {
            knowledge.is_spawn_name(&i.to_string())
        });
        if !spawns {
            self.polled_apart.on_caller_thread.insert(block);
        }
    }

    /// Marks what a sync `main` hands to its runtime's `block_on`: an async block, walked as
    /// `main`'s own frame, or a call whose future is polled there; through `Box::pin(..)` and
    /// parentheses. A future made earlier and named here is not followed.
    fn mark_polled_apart(&mut self, arg: &syn::Expr) {
        match handed_future(arg) {
            Some(HandedFuture::Block(block)) => {
                self.polled_apart.blocks.insert(block);
            }
            Some(HandedFuture::Call(call)) => {
                self.polled_apart.calls.insert(call);
            }
            None => {}
        }
    }

    /// `password.map(hash::password)`: a function named by its path as the argument of a
    /// combinator that calls it ([`iterators::FN_CALLING_COMBINATORS`]) is a call of that
    /// function, here. Only paths that cannot be a local variable holding a closure: two or more
    /// segments (`hash::password`, `Self::parse`), or a name a `use` or an item of the module
    /// gives.
    fn record_fn_args(&mut self, args: &syn::punctuated::Punctuated<syn::Expr, syn::Token![,]>) {
        for arg in args {
            let syn::Expr::Path(p) = arg else { continue };
            if p.qself.is_some() {
                continue;
            }
            let path = self.resolver.resolve(&p.path);
            // A single name resolves to a path only through a `use` or an item of the module;
            // a local variable stays a bare name.
            let named = p.path.segments.len() >= 2 || path.contains("::");
            // A tuple struct or variant constructor (`Some`, `Ok`, `Wrapper`) is no function.
            let constructor = p
                .path
                .segments
                .last()
                .is_some_and(|s| s.ident.to_string().starts_with(char::is_uppercase));
            if named && !constructor {
                self.record_call(Callee::Path(path), Loc::of(arg), false);
            }
        }
    }
}

/// Is `e` a path under one of the kernel's virtual filesystems: a string literal, or a
/// `format!` whose template starts with one (`format!("/proc/{pid}/stat")`)?
fn names_kernel_fs(e: &syn::Expr) -> bool {
    use crate::knowledge::blocking::under_kernel_fs;
    let e = match e {
        syn::Expr::Reference(r) => &*r.expr,
        other => other,
    };
    match e {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => under_kernel_fs(&s.value()),
        syn::Expr::Macro(m) if m.mac.path.is_ident("format") => m
            .mac
            .parse_body_with(
                syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated,
            )
            .ok()
            .and_then(|args| args.into_iter().next())
            .is_some_and(|first| match first {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => under_kernel_fs(&s.value()),
                _ => false,
            }),
        _ => false,
    }
}

/// Is `e` (of inferred type `ty`) a numeric socket address, which `to_socket_addrs` turns into
/// a `SocketAddr` without a lookup: a `SocketAddr` (V4, V6), an `(ip, port)` pair of an IP
/// address type, a string literal that parses as a socket address, or a pair whose host is a
/// literal that parses as an IP address (std's `ToSocketAddrs` docs and impls).
fn numeric_address(e: &syn::Expr, ty: &Ty) -> bool {
    use crate::knowledge::blocking::{IP_ADDRESS_TYPES, NUMERIC_ADDRESS_TYPES};
    let ip_typed = |t: &Ty| t.path().is_some_and(|p| IP_ADDRESS_TYPES.contains(&p));
    match ty {
        Ty::Named(p) if NUMERIC_ADDRESS_TYPES.contains(&p.as_str()) => return true,
        Ty::Tuple(parts) if parts.len() == 2 && ip_typed(&parts[0]) => return true,
        _ => {}
    }
    let literal = |e: &syn::Expr| match e {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => Some(s.value()),
        _ => None,
    };
    match e {
        syn::Expr::Paren(p) => numeric_address(&p.expr, &Ty::Unknown),
        syn::Expr::Tuple(t) if t.elems.len() == 2 => {
            literal(&t.elems[0]).is_some_and(|host| host.parse::<std::net::IpAddr>().is_ok())
        }
        _ => literal(e).is_some_and(|a| a.parse::<std::net::SocketAddr>().is_ok()),
    }
}

/// The future an argument of `block_on` is, by node address: an async block or a call,
/// through parentheses and `Box::pin(..)` (a `pin!(..)` macro is not followed).
enum HandedFuture {
    Block(usize),
    Call(usize),
}

fn handed_future(arg: &syn::Expr) -> Option<HandedFuture> {
    match arg {
        syn::Expr::Async(a) => Some(HandedFuture::Block(addr(a))),
        syn::Expr::Paren(p) => handed_future(&p.expr),
        syn::Expr::Call(c)
            if matches!(&*c.func, syn::Expr::Path(p)
                if p.path.segments.last().is_some_and(|s| s.ident == "pin"))
                && c.args.len() == 1 =>
        {
            c.args.first().and_then(handed_future)
        }
        syn::Expr::Call(c) => Some(HandedFuture::Call(addr(c))),
        syn::Expr::MethodCall(m) => Some(HandedFuture::Call(addr(m))),
        _ => None,
    }
}
