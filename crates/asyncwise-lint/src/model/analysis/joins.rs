//! Tasks whose handles are kept and joined, but whose results nobody reads: the handles go into
//! a collection (`handles.push(tokio::spawn(f))`, `let handles: Vec<_> = xs.map(|x|
//! tokio::spawn(..)).collect()`, `set.spawn(f)` on a `JoinSet`) that the same function later
//! drains while discarding what comes out (`join_all(handles).await;`, `let _ =
//! try_join_all(handles).await;`, `try_join_all(handles).await?;` which keeps only the join
//! errors, `while let Some(_) = set.join_next().await {}`, `set.join_all().await;`). A task's
//! error value reaches only its `JoinHandle`'s output, so it is lost there exactly as when the
//! handle is dropped; `detached_task` reads these facts.
//!
//! Names are matched within one function body (closures and async blocks included, nested
//! items not): a collection is the binding of that name in the function. The spawns are found by
//! their resolved path (the spawner table) or, on a `JoinSet`, by a `spawn` method on the name
//! that is drained with `join_next`/`join_all`.

use syn::visit::{self, Visit};

use crate::knowledge::spawn;
use crate::model::Loc;
use crate::model::resolve::Resolver;

/// A spawn whose output is discarded where its collection is joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadJoin {
    /// Where the spawn call starts (line, column), as the walker's spawn facts give it.
    pub spawn: (usize, usize),
    /// The join that discards the results.
    pub join: Loc,
    /// The collection's name.
    pub collection: String,
}

/// The unread joins of a file.
pub(crate) fn unread_joins(file: &syn::File, resolver: &Resolver) -> Vec<UnreadJoin> {
    let mut out = Vec::new();
    let mut fns = Bodies { bodies: Vec::new() };
    fns.visit_file(file);
    for body in fns.bodies {
        let mut scan = Scan {
            resolver,
            collected: Vec::new(),
            set_spawns: Vec::new(),
            joins: Vec::new(),
        };
        scan.visit_block(body);
        for (name, join) in &scan.joins {
            for (collection, at) in scan.collected.iter().chain(&scan.set_spawns) {
                if collection == name {
                    out.push(UnreadJoin {
                        spawn: *at,
                        join: *join,
                        collection: name.clone(),
                    });
                }
            }
        }
    }
    out.sort_by_key(|u| u.spawn);
    out.dedup_by_key(|u| u.spawn);
    out
}

/// Every function body of the file (free functions, methods, trait defaults).
struct Bodies<'ast> {
    bodies: Vec<&'ast syn::Block>,
}

impl<'ast> Visit<'ast> for Bodies<'ast> {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.bodies.push(&f.block);
        visit::visit_item_fn(self, f);
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.bodies.push(&f.block);
        visit::visit_impl_item_fn(self, f);
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if let Some(b) = &f.default {
            self.bodies.push(b);
        }
        visit::visit_trait_item_fn(self, f);
    }
}

struct Scan<'r> {
    resolver: &'r Resolver,
    /// Spawns whose handle goes into a collection: (collection, spawn start).
    collected: Vec<(String, (usize, usize))>,
    /// `name.spawn(..)` calls: (name, call start); a `JoinSet` when the name is drained.
    set_spawns: Vec<(String, (usize, usize))>,
    /// Joins that discard what they return: (collection, join).
    joins: Vec<(String, Loc)>,
}

impl Scan<'_> {
    /// The start of `e` when it is a call of a task-spawning function (through parentheses).
    fn spawn_call(&self, e: &syn::Expr) -> Option<(usize, usize)> {
        match e {
            syn::Expr::Paren(p) => self.spawn_call(&p.expr),
            syn::Expr::Call(c) => match &*c.func {
                syn::Expr::Path(p) if p.qself.is_none() => self
                    .resolver
                    .knowledge()
                    .is_spawn_fn(&self.resolver.resolve(&p.path))
                    .then(|| Loc::call(c).start),
                _ => None,
            },
            _ => None,
        }
    }

    /// A join of a collection whose value is thrown away: the collection's name.
    fn discarded_join(&self, e: &syn::Expr) -> Option<String> {
        let e = match e {
            // `try_join_all(handles).await?;` keeps only the join error.
            syn::Expr::Try(t) => &*t.expr,
            other => other,
        };
        let syn::Expr::Await(a) = e else { return None };
        match &*a.base {
            // `join_all(handles)`, `futures::future::try_join_all(handles.into_iter())`
            syn::Expr::Call(c) => {
                let syn::Expr::Path(p) = &*c.func else {
                    return None;
                };
                let path = self.resolver.resolve(&p.path);
                let (root, name) = (
                    path.split("::").next().unwrap_or(""),
                    path.rsplit("::").next().unwrap_or(""),
                );
                let joins = matches!(name, "join_all" | "try_join_all")
                    && spawn::JOIN_FNS.contains(&name)
                    && matches!(root, "futures" | "futures_util" | "tokio" | "join_all");
                if !joins || c.args.len() != 1 {
                    return None;
                }
                collection_name(&c.args[0])
            }
            // `set.join_all().await;` (tokio's `JoinSet::join_all`)
            syn::Expr::MethodCall(m) if m.method == "join_all" && m.args.is_empty() => {
                collection_name(&m.receiver)
            }
            _ => None,
        }
    }
}

/// `handles`, `handles.into_iter()`, `handles.drain(..)`, `&mut handles`: the collection's name.
fn collection_name(e: &syn::Expr) -> Option<String> {
    match e {
        syn::Expr::Path(p) => p.path.get_ident().map(ToString::to_string),
        syn::Expr::Reference(r) => collection_name(&r.expr),
        syn::Expr::Paren(p) => collection_name(&p.expr),
        syn::Expr::MethodCall(m)
            if matches!(m.method.to_string().as_str(), "into_iter" | "drain") =>
        {
            collection_name(&m.receiver)
        }
        _ => None,
    }
}

/// The value of a closure's body: the expression itself, or a block's tail.
fn closure_value(e: &syn::Expr) -> Option<&syn::Expr> {
    match e {
        syn::Expr::Block(b) => match b.block.stmts.last()? {
            syn::Stmt::Expr(tail, None) => Some(tail),
            _ => None,
        },
        other => Some(other),
    }
}

/// `while let Some(_) = set.join_next().await {}`, `while set.join_next().await.is_some() {}`:
/// the drained `JoinSet`'s name.
fn discarding_drain(w: &syn::ExprWhile) -> Option<String> {
    let next_of = |e: &syn::Expr| -> Option<String> {
        let syn::Expr::Await(a) = e else { return None };
        let syn::Expr::MethodCall(m) = &*a.base else {
            return None;
        };
        spawn::DRAIN_METHODS
            .contains(&m.method.to_string().as_str())
            .then(|| collection_name(&m.receiver))
            .flatten()
    };
    match &*w.cond {
        syn::Expr::Let(l) => {
            let discards = match &*l.pat {
                syn::Pat::TupleStruct(ts) => {
                    ts.elems.len() == 1 && matches!(ts.elems[0], syn::Pat::Wild(_))
                }
                syn::Pat::Wild(_) => true,
                _ => false,
            };
            if discards { next_of(&l.expr) } else { None }
        }
        syn::Expr::MethodCall(m) if m.method == "is_some" => next_of(&m.receiver),
        _ => None,
    }
}

impl<'ast> Visit<'ast> for Scan<'_> {
    fn visit_item(&mut self, _: &'ast syn::Item) {
        // Nested items are bodies of their own.
    }

    fn visit_stmt(&mut self, s: &'ast syn::Stmt) {
        match s {
            syn::Stmt::Expr(e, Some(_)) => {
                if let Some(name) = self.discarded_join(e) {
                    self.joins.push((name, Loc::expr(e)));
                }
            }
            syn::Stmt::Local(l) => {
                if let Some(init) = &l.init {
                    if matches!(l.pat, syn::Pat::Wild(_))
                        && let Some(name) = self.discarded_join(&init.expr)
                    {
                        self.joins.push((name, Loc::expr(&init.expr)));
                    }
                    // `let handles: Vec<_> = xs.iter().map(|x| tokio::spawn(..)).collect();`
                    let name = match &l.pat {
                        syn::Pat::Ident(i) => Some(i.ident.to_string()),
                        syn::Pat::Type(t) => match &*t.pat {
                            syn::Pat::Ident(i) => Some(i.ident.to_string()),
                            _ => None,
                        },
                        _ => None,
                    };
                    if let Some(name) = name
                        && let syn::Expr::MethodCall(collect) = &*init.expr
                        && collect.method == "collect"
                        && let syn::Expr::MethodCall(map) = &*collect.receiver
                        && map.method == "map"
                        && let Some(syn::Expr::Closure(c)) = map.args.first()
                        && let Some(at) = closure_value(&c.body).and_then(|v| self.spawn_call(v))
                    {
                        self.collected.push((name, at));
                    }
                }
            }
            _ => {}
        }
        visit::visit_stmt(self, s);
    }

    fn visit_expr_while(&mut self, w: &'ast syn::ExprWhile) {
        if let Some(name) = discarding_drain(w) {
            self.joins.push((name, Loc::expr(&w.cond)));
        }
        visit::visit_expr_while(self, w);
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        let method = m.method.to_string();
        if let Some(name) = collection_name(&m.receiver)
            .filter(|_| !matches!(&*m.receiver, syn::Expr::MethodCall(_)))
        {
            if method == "push"
                && let Some(arg) = m.args.first()
                && let Some(at) = self.spawn_call(arg)
            {
                self.collected.push((name, at));
            } else if matches!(method.as_str(), "spawn" | "spawn_local" | "spawn_on") {
                self.set_spawns.push((name, Loc::method_call(m).start));
            }
        }
        visit::visit_expr_method_call(self, m);
    }
}

#[cfg(test)]
mod tests {
    use super::unread_joins;
    use crate::knowledge::Knowledge;
    use crate::model::resolve::Resolver;

    fn spawns(src: &str) -> Vec<(usize, usize)> {
        let ast = syn::parse_file(src).expect("parses");
        let resolver = Resolver::with_root(&ast, "crate", Knowledge::builtin());
        unread_joins(&ast, &resolver)
            .into_iter()
            .map(|u| u.spawn)
            .collect()
    }

    #[test]
    fn pushed_handles_joined_and_discarded() {
        let src = "use futures::future::join_all;\n\
                   async fn run(xs: Vec<u8>) {\n\
                   let mut workers = Vec::new();\n\
                   for x in xs { workers.push(tokio::spawn(work(x))); }\n\
                   join_all(workers).await;\n\
                   }";
        assert_eq!(spawns(src), vec![(4, 27)]);
    }

    #[test]
    fn results_read_or_other_collections_are_not_unread() {
        let read = "use futures::future::join_all;\n\
                    async fn run(xs: Vec<u8>) -> Vec<u8> {\n\
                    let mut workers = Vec::new();\n\
                    for x in xs { workers.push(tokio::spawn(work(x))); }\n\
                    let out = join_all(workers).await;\n\
                    out.into_iter().filter_map(|r| r.ok()).collect()\n\
                    }";
        assert!(spawns(read).is_empty());
        let other = "use futures::future::join_all;\n\
                     async fn run(xs: Vec<u8>, others: Vec<Fut>) {\n\
                     let mut workers = Vec::new();\n\
                     for x in xs { workers.push(tokio::spawn(work(x))); }\n\
                     join_all(others).await;\n\
                     for w in workers { w.await.unwrap(); }\n\
                     }";
        assert!(spawns(other).is_empty());
    }

    #[test]
    fn collected_maps_try_joins_and_drained_sets() {
        let src = "use futures::future::try_join_all;\n\
                   async fn a(xs: Vec<u8>) -> Result<(), E> {\n\
                   let hs: Vec<_> = xs.into_iter().map(|x| tokio::spawn(work(x))).collect();\n\
                   try_join_all(hs).await?;\n\
                   Ok(())\n\
                   }\n\
                   async fn b(xs: Vec<u8>) {\n\
                   let mut set = tokio::task::JoinSet::new();\n\
                   for x in xs { set.spawn(work(x)); }\n\
                   while let Some(_) = set.join_next().await {}\n\
                   }";
        assert_eq!(spawns(src), vec![(3, 40), (9, 14)]);
    }
}
