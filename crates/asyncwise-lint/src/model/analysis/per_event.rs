//! Which code of a file runs once per event — per request, per connection, per message of an
//! incoming stream — as far as one file's syntax shows it. The crate index carries it further
//! over the call graph (`crate_index::per_event`). The names it matches are data in
//! [`crate::knowledge::web`].
//!
//! A file says three things:
//!
//! * **Handlers by signature**: an async fn with a route attribute (`#[get("/")]`,
//!   `#[post(..)]`, `#[route(..)]`, poem's `#[handler]`, axum's `#[debug_handler]`), an async fn
//!   taking a web framework's extractor (axum's `State`, `Json`, `Query`, `Path`, ...; actix's
//!   `web::Data`, `web::Json`, `HttpRequest`, ...; rocket's `State`; poem's `web::*`), and the
//!   `call` method of an `impl Service<..> for ..` (tower, hyper, actix-service): each runs once
//!   per request. The `poll*` methods of an `impl Stream for ..` (or another trait the executor
//!   polls: `Future`, `AsyncRead`, ..., [`POLLED_TRAITS`](crate::knowledge::spawn::POLLED_TRAITS))
//!   run once per item, read or wake-up.
//! * **Registered handlers**: functions named as handlers where a router or server is built:
//!   arguments of axum's method routers (`get(f)`, `post(f)`, ..., also chained as
//!   `get(a).post(b)`), of `service_fn(f)`, `from_fn(f)` (middleware), and of the methods
//!   `.to(f)`, `.service(f)`, `.handler(f)`, `.and_then(f)` (warp), `.fallback(f)`. The crate
//!   index keeps those that resolve to an async fn of the crate. A closure given to such a
//!   call (`service_fn(|req| handle(req, state.clone()))`) is a per-event region itself.
//! * **Per-event regions**: the body of a loop whose iteration awaits the next event of a
//!   source — `accept()`, `next()`/`try_next()` on a stream, `recv_from()` on a socket, also as
//!   a `select!` branch (a channel's `recv()` is not: command mailboxes beside timers ran rarely
//!   on the field sets) — with everything in it, tasks it spawns included (one
//!   per connection or message), except the handlers of the loop's `select!` branches that
//!   wait for something else: a `SIGHUP` branch beside `listener.accept()` reloads the
//!   configuration once per signal, not once per connection. A loop driven by a timer (`interval.tick()`) or over a
//!   collection is not: it runs as often as the program chooses.

use syn::visit::{self, Visit};

use crate::knowledge::web::{
    EVENT_SOURCES, EXTRACTOR_TYPES, REGISTERING_FNS, REGISTERING_METHODS, ROUTE_ATTRIBUTES,
    WEB_CRATES,
};
use crate::model::Loc;
use crate::model::resolve::Resolver;

/// What makes a region run once per event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// The body of a loop whose iteration awaits the next event (the call's name).
    EventLoop(&'static str),
    /// A closure registered as a handler (`service_fn(|req| ..)`).
    HandlerClosure,
}

/// The per-event facts of one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PerEventFacts {
    /// Regions whose code runs once per event, with why.
    pub regions: Vec<(Loc, Why)>,
    /// Handlers by their own signature, by the location of their name (as
    /// [`FnItem::loc`](crate::model::FnItem::loc)).
    pub handlers: Vec<Loc>,
    /// Functions registered as handlers: where the registering call is, and the path it names
    /// (resolved as far as the file can).
    pub registered: Vec<(Loc, String)>,
    /// Handlers of the other branches of a `select!` that drives an event loop (a signal, a
    /// timer, a command channel beside `listener.accept()`): each runs when its own future
    /// wins, not once per event, so it is cut out of the loop's region.
    pub other_branches: Vec<Loc>,
}

impl PerEventFacts {
    /// Is `loc` inside a per-event region?
    ///
    /// ```
    /// use asyncwise_lint::model::Loc;
    /// use asyncwise_lint::model::analysis::per_event::{PerEventFacts, Why};
    /// let facts = PerEventFacts {
    ///     regions: vec![(Loc { start: (3, 0), end: (9, 1) }, Why::HandlerClosure)],
    ///     ..Default::default()
    /// };
    /// assert!(facts.in_region(Loc { start: (4, 4), end: (4, 20) }));
    /// assert!(!facts.in_region(Loc { start: (10, 4), end: (10, 20) }));
    /// ```
    pub fn in_region(&self, loc: Loc) -> bool {
        self.regions.iter().any(|(r, _)| r.encloses(loc))
            && !self.other_branches.iter().any(|b| b.encloses(loc))
    }
}

/// Reads a file's per-event facts; `resolver` resolves paths from the file's top level.
pub fn analyse(file: &syn::File, resolver: &mut Resolver) -> PerEventFacts {
    let mut v = Visitor {
        resolver,
        facts: PerEventFacts::default(),
        service_impl: false,
        polled_impl: false,
    };
    v.visit_file(file);
    v.facts
}

/// The event source a loop's own iteration awaits (header and body; not in closures, async
/// blocks, nested loops or items): an awaited `.accept()`, `.next()`, ... or one named in a
/// `select!` branch.
/// With it, the handlers of the `select!` branches that do not wait for that source.
fn loop_driver(header: Option<&syn::Expr>, body: &syn::Block) -> Option<(&'static str, Vec<Loc>)> {
    let mut scan = DriverScan {
        found: None,
        other_branches: Vec::new(),
    };
    if let Some(h) = header {
        scan.visit_expr(h);
    }
    scan.visit_block(body);
    scan.found.map(|found| (found, scan.other_branches))
}

struct DriverScan {
    found: Option<&'static str>,
    /// Handlers of the branches of the driving `select!` whose future is no event source.
    other_branches: Vec<Loc>,
}

fn event_source(name: &str) -> Option<&'static str> {
    EVENT_SOURCES.iter().find(|s| **s == name).copied()
}

/// The event source a `select!` branch's future calls: `listener.accept()`, also behind
/// `.fuse()` or another adapter of the call.
fn source_call(future: &syn::Expr) -> Option<&'static str> {
    let mut e = future;
    loop {
        match e {
            syn::Expr::MethodCall(m) => {
                if let Some(found) = event_source(&m.method.to_string()) {
                    return Some(found);
                }
                e = &m.receiver;
            }
            syn::Expr::Paren(p) => e = &p.expr,
            syn::Expr::Reference(r) => e = &r.expr,
            _ => return None,
        }
    }
}

impl<'ast> Visit<'ast> for DriverScan {
    fn visit_expr_await(&mut self, a: &'ast syn::ExprAwait) {
        let mut base = &*a.base;
        while let syn::Expr::Paren(p) = base {
            base = &p.expr;
        }
        if let syn::Expr::MethodCall(m) = base
            && self.found.is_none()
        {
            self.found = event_source(&m.method.to_string());
        }
        visit::visit_expr_await(self, a);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let select = mac
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "select" || s.ident == "select_biased");
        if select && self.found.is_none() {
            let arms = crate::model::macros::select_arms(mac).unwrap_or_default();
            self.found = arms
                .iter()
                .filter_map(|arm| arm.future.as_ref())
                .find_map(source_call);
            if self.found.is_some() {
                self.other_branches = arms
                    .iter()
                    .filter(|arm| arm.future.as_ref().and_then(source_call).is_none())
                    .map(|arm| Loc::of(&arm.handler))
                    .collect();
            }
        }
    }

    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_expr_loop(&mut self, _: &'ast syn::ExprLoop) {}
    fn visit_expr_while(&mut self, _: &'ast syn::ExprWhile) {}
    fn visit_expr_for_loop(&mut self, _: &'ast syn::ExprForLoop) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

struct Visitor<'r> {
    resolver: &'r mut Resolver,
    facts: PerEventFacts,
    /// Inside `impl Service<..> for ..`.
    service_impl: bool,
    /// Inside an impl of a trait the executor polls (`impl Stream for ..`).
    polled_impl: bool,
}

impl Visitor<'_> {
    /// A loop driven by events (see [`loop_driver`]): its body is per-event code.
    fn event_loop(&mut self, header: Option<&syn::Expr>, body: &syn::Block) {
        if let Some((name, other_branches)) = loop_driver(header, body) {
            self.facts
                .regions
                .push((block_loc(body), Why::EventLoop(name)));
            self.facts.other_branches.extend(other_branches);
        }
    }

    fn signature(&mut self, sig: &syn::Signature, attrs: &[syn::Attribute]) {
        let name = Loc::from_span(sig.ident.span());
        if self.service_impl && sig.ident == "call" {
            self.facts.handlers.push(name);
            return;
        }
        if self.polled_impl && sig.ident.to_string().starts_with("poll") {
            self.facts.handlers.push(name);
            return;
        }
        if sig.asyncness.is_none() {
            return;
        }
        let routed = attrs.iter().any(|a| {
            a.path()
                .segments
                .last()
                .is_some_and(|s| ROUTE_ATTRIBUTES.iter().any(|r| s.ident == r))
        });
        let extracts = sig.inputs.iter().any(|arg| match arg {
            syn::FnArg::Typed(t) => self.is_extractor(&t.ty),
            syn::FnArg::Receiver(_) => false,
        });
        if routed || extracts {
            self.facts.handlers.push(name);
        }
    }

    fn is_extractor(&self, ty: &syn::Type) -> bool {
        let ty = match ty {
            syn::Type::Reference(r) => &*r.elem,
            other => other,
        };
        let syn::Type::Path(p) = ty else { return false };
        if p.qself.is_some() {
            return false;
        }
        let path = self.resolver.resolve(&p.path);
        EXTRACTOR_TYPES.iter().any(|e| {
            if e.ends_with("::") {
                path.starts_with(e)
            } else {
                path == *e
            }
        })
    }

    fn register_args<'a>(&mut self, at: Loc, args: impl Iterator<Item = &'a syn::Expr>) {
        for arg in args {
            match arg {
                syn::Expr::Path(p) if p.qself.is_none() => {
                    let target = self.resolver.resolve(&p.path);
                    self.facts.registered.push((at, target));
                }
                syn::Expr::Closure(c) => {
                    self.facts
                        .regions
                        .push((Loc::of(&c.body), Why::HandlerClosure));
                }
                _ => {}
            }
        }
    }
}

impl<'ast> Visit<'ast> for Visitor<'_> {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        let saved = self.resolver.current_module.clone();
        self.resolver.current_module = format!("{saved}::{}", m.ident);
        visit::visit_item_mod(self, m);
        self.resolver.current_module = saved;
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        let saved = self.service_impl;
        self.service_impl = i
            .trait_
            .as_ref()
            .is_some_and(|(_, path, _)| path.segments.last().is_some_and(|s| s.ident == "Service"));
        let saved_polled = std::mem::replace(
            &mut self.polled_impl,
            i.trait_.as_ref().is_some_and(|(_, path, _)| {
                path.segments.last().is_some_and(|s| {
                    crate::knowledge::spawn::POLLED_TRAITS
                        .iter()
                        .any(|t| s.ident == t)
                })
            }),
        );
        visit::visit_item_impl(self, i);
        self.service_impl = saved;
        self.polled_impl = saved_polled;
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        let saved = std::mem::take(&mut self.service_impl);
        let saved_polled = std::mem::take(&mut self.polled_impl);
        self.signature(&f.sig, &f.attrs);
        visit::visit_item_fn(self, f);
        self.service_impl = saved;
        self.polled_impl = saved_polled;
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.signature(&f.sig, &f.attrs);
        let saved = std::mem::take(&mut self.service_impl);
        let saved_polled = std::mem::take(&mut self.polled_impl);
        visit::visit_impl_item_fn(self, f);
        self.polled_impl = saved_polled;
        self.service_impl = saved;
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if f.default.is_some() {
            self.signature(&f.sig, &f.attrs);
        }
        visit::visit_trait_item_fn(self, f);
    }

    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if let syn::Expr::Path(p) = &*c.func
            && let Some(last) = p.path.segments.last()
            && REGISTERING_FNS.iter().any(|r| last.ident == r)
        {
            let path = self.resolver.resolve(&p.path);
            let root = path.split("::").next().unwrap_or_default();
            let web = WEB_CRATES.contains(&root);
            // An unresolved bare `service_fn`/`from_fn` (a glob import) still names the adapter;
            // a bare `get` could be anything.
            let adapter = last.ident.to_string().contains("_fn") && !path.starts_with("crate::");
            if web || adapter {
                self.register_args(Loc::call(c), c.args.iter());
            }
        }
        visit::visit_expr_call(self, c);
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        if REGISTERING_METHODS.iter().any(|r| m.method == r) {
            // Closures only for the methods that take nothing else (`.to(|req| ..)`): a closure
            // given to `and_then` or `get` is ordinary code.
            let at = Loc::method_call(m);
            for arg in &m.args {
                match arg {
                    syn::Expr::Path(_) => self.register_args(at, std::iter::once(arg)),
                    syn::Expr::Closure(_) if matches!(m.method.to_string().as_str(), "to") => {
                        self.register_args(at, std::iter::once(arg));
                    }
                    _ => {}
                }
            }
        }
        visit::visit_expr_method_call(self, m);
    }

    fn visit_expr_loop(&mut self, l: &'ast syn::ExprLoop) {
        self.event_loop(None, &l.body);
        visit::visit_expr_loop(self, l);
    }

    fn visit_expr_while(&mut self, w: &'ast syn::ExprWhile) {
        self.event_loop(Some(&w.cond), &w.body);
        visit::visit_expr_while(self, w);
    }

    fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
        self.event_loop(Some(&f.expr), &f.body);
        visit::visit_expr_for_loop(self, f);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        // Code in awaiting macros (`select!` handlers, `join!` futures) is code too.
        let name = crate::model::macros::name(mac);
        if crate::knowledge::macros::AWAITING_MACROS.contains(&name.as_str()) {
            match crate::model::macros::body(mac) {
                crate::model::macros::MacroBody::Exprs(exprs) => {
                    exprs.iter().for_each(|e| self.visit_expr(e));
                }
                crate::model::macros::MacroBody::Stmts(stmts) => {
                    stmts.iter().for_each(|st| self.visit_stmt(st));
                }
                crate::model::macros::MacroBody::Opaque => {}
            }
        }
        // Rocket's `routes![a, b::c]`: the routes are handlers.
        if mac
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "routes")
            && let Ok(paths) = mac.parse_body_with(
                syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
            )
        {
            let at = Loc::mac(mac);
            for p in paths {
                let target = self.resolver.resolve(&p);
                self.facts.registered.push((at, target));
            }
        }
        visit::visit_macro(self, mac);
    }
}

/// A block's location, braces included.
fn block_loc(b: &syn::Block) -> Loc {
    Loc {
        start: Loc::from_span(b.brace_token.span.open()).start,
        end: Loc::from_span(b.brace_token.span.close()).end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FileModel;

    fn facts(src: &str) -> PerEventFacts {
        let ast = syn::parse_file(src).expect("test source parses");
        FileModel::build(std::path::Path::new("src/lib.rs"), src, &ast).per_event
    }

    #[test]
    fn an_accept_loop_body_is_a_region_and_a_tick_loop_is_not() {
        let f = facts(
            "async fn serve(l: tokio::net::TcpListener) {\n\
             loop {\n\
             let (s, _) = l.accept().await.unwrap();\n\
             tokio::spawn(async move { handle(s).await });\n\
             }\n\
             }\n\
             async fn tick(mut i: tokio::time::Interval) {\n\
             loop {\n\
             i.tick().await;\n\
             save();\n\
             }\n\
             }",
        );
        assert_eq!(f.regions.len(), 1);
        assert_eq!(f.regions[0].1, Why::EventLoop("accept"));
        assert_eq!(f.regions[0].0.start.0, 2);
        assert!(f.in_region(Loc {
            start: (4, 26),
            end: (4, 34)
        }));
        assert!(!f.in_region(Loc {
            start: (10, 0),
            end: (10, 6)
        }));
    }

    #[test]
    fn a_select_branch_on_next_drives_the_loop() {
        let f = facts(
            "async fn run(mut s: S, mut stop: R) {\n\
             loop {\n\
             tokio::select! {\n\
             Some(m) = s.next() => { work(m); }\n\
             _ = stop.changed() => break,\n\
             }\n\
             }\n\
             }",
        );
        assert_eq!(f.regions.len(), 1);
        assert_eq!(f.regions[0].1, Why::EventLoop("next"));
    }

    #[test]
    fn the_other_branches_of_a_driving_select_are_not_per_event() {
        let src = "async fn run(l: L, mut hup: Signal) {\n\
                   loop {\n\
                   tokio::select! {\n\
                   _ = hup.recv() => { reload(); }\n\
                   c = l.accept() => { serve(c); }\n\
                   }\n\
                   after();\n\
                   }\n\
                   }";
        let f = facts(src);
        let at = |line: usize, col: usize| Loc {
            start: (line, col),
            end: (line, col + 8),
        };
        assert_eq!(f.regions.len(), 1);
        assert!(
            !f.in_region(at(4, 20)),
            "the SIGHUP branch's reload: once per signal"
        );
        assert!(
            f.in_region(at(5, 24)),
            "the accept branch's handler: once per connection"
        );
        assert!(
            f.in_region(at(7, 0)),
            "code after the select: every iteration"
        );
    }

    #[test]
    fn handlers_by_attribute_extractor_and_service_impl() {
        let f = facts(
            "use axum::extract::State;\n\
             use actix_web::web;\n\
             #[get(\"/\")] async fn index() {}\n\
             async fn list(State(s): State<App>) {}\n\
             async fn page(data: web::Data<App>) {}\n\
             async fn helper(p: &std::path::Path) {}\n\
             impl tower::Service<Req> for Svc { fn call(&mut self, r: Req) -> F { todo!() } }",
        );
        let lines: Vec<usize> = f.handlers.iter().map(|l| l.start.0).collect();
        assert_eq!(lines, vec![3, 4, 5, 7]);
    }

    #[test]
    fn registered_handlers_are_resolved_paths_and_closures_are_regions() {
        let f = facts(
            "use axum::routing::{get, post};\n\
             mod api { pub async fn upload() {} }\n\
             async fn index() {}\n\
             fn router() -> Router {\n\
             Router::new().route(\"/\", get(index).post(api::upload))\n\
             }\n\
             fn actix(cfg: &mut Cfg) { cfg.route(\"/x\", web::get().to(show)); }\n\
             fn serve_raw() { let s = hyper::service::service_fn(|req| respond(req)); }\n\
             fn not_a_router(m: &HashMap<K, V>) { m.get(&key); }",
        );
        let mut targets: Vec<&str> = f.registered.iter().map(|(_, t)| t.as_str()).collect();
        targets.sort_unstable();
        // `show` is not declared in the file: left for the crate index (a glob import).
        assert_eq!(targets, vec!["crate::api::upload", "crate::index", "show"]);
        assert_eq!(f.regions.len(), 1);
        assert_eq!(f.regions[0].1, Why::HandlerClosure);
    }
}
