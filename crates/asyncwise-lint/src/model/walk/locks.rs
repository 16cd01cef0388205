//! Async locks (only when the file names a `Mutex` or `RwLock`): declarations (struct fields,
//! statics, `let` locals with their aliases) and the sites that hold or lend them (`.lock()`
//! futures handed to combinators, locks passed to calls, put in struct literals or returned).
//! Guards held across `.await` are found by [`guards`] per body; this
//! module records what the crate-level lock analysis needs besides.

use syn::visit::{self, Visit};

use super::super::analysis::guards;
use super::super::{Loc, Ty};
use super::Walker;

impl Walker {
    /// The async lock type (canonical path) `ty` names, looking through wrappers such as
    /// `Arc`, `LazyLock` or `OnceCell`.
    pub(super) fn async_lock_in(&self, ty: &syn::Type, depth: usize) -> Option<String> {
        if let Some(path) = self.types.ty_of(ty, &self.resolver).path()
            && self.knowledge.is_async_lock(path)
        {
            return Some(path.to_string());
        }
        let syn::Type::Path(p) = ty else { return None };
        let last = p.path.segments.last()?;
        let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
            return None;
        };
        if depth == 0 {
            return None;
        }
        args.args.iter().find_map(|a| match a {
            syn::GenericArgument::Type(t) => self.async_lock_in(t, depth - 1),
            _ => None,
        })
    }

    /// An async lock declared by `let name = Mutex::new(..)` (or `Arc::new(Mutex::new(..))`).
    pub(super) fn async_lock_local(&mut self, name: &str, init: &syn::Expr) {
        let Some(function) = self.current_fn_path() else {
            return;
        };
        let mut e = init;
        let mut shared = false;
        for _ in 0..4 {
            let syn::Expr::Call(c) = e else { return };
            let syn::Expr::Path(p) = &*c.func else { return };
            let path = self.resolver.resolve(&p.path);
            if let Some(ty) = path.strip_suffix("::new")
                && self.knowledge.is_async_lock(ty)
            {
                self.facts
                    .async_lock_decls
                    .push(crate::model::AsyncLockDeclFact {
                        id: crate::summary::LockId::Local {
                            function,
                            name: name.to_string(),
                        },
                        ty: ty.to_string(),
                        shape: String::new(),
                        shared,
                        public: false,
                        escapes: false,
                        aliases: Vec::new(),
                        loc: Loc::call(c),
                    });
                return;
            }
            let wrapper = path.rsplit("::").nth(1).unwrap_or_default();
            if !matches!(wrapper, "Arc" | "Rc" | "Box") || c.args.len() != 1 {
                return;
            }
            shared |= wrapper != "Box";
            e = &c.args[0];
        }
    }

    /// `let alias = m.clone()` / `Arc::clone(&m)` of a local async lock: another name for it;
    /// of a field's lock (`Arc::clone(&self.state)`): recorded in
    /// [`WalkFacts::field_lock_aliases`](super::WalkFacts::field_lock_aliases).
    pub(super) fn async_lock_alias(&mut self, name: &str, init: &syn::Expr) {
        let Some(function) = self.current_fn_path() else {
            return;
        };
        let identity = guards::lock_identity(
            init,
            &self.env,
            &self.types,
            &self.resolver,
            Some(&function),
        );
        let is_clone = matches!(init, syn::Expr::MethodCall(m) if m.method == "clone")
            || matches!(init, syn::Expr::Call(_));
        // `let token = Arc::clone(&self.token)`: the local is the field's lock, locked by
        // another name (often in a task spawned from a sync fn, which the async lock forces).
        if let Some(field @ crate::summary::LockId::Field { .. }) = &identity
            && is_clone
        {
            self.facts
                .field_lock_aliases
                .push((function, name.to_string(), field.clone()));
            return;
        }
        let Some(crate::summary::LockId::Local { name: of, .. }) = identity else {
            return;
        };
        if of == name || !is_clone {
            return;
        }
        for d in &mut self.facts.async_lock_decls {
            if let crate::summary::LockId::Local {
                function: f,
                name: n,
            } = &d.id
                && *f == function
                && (*n == of || d.aliases.contains(&of))
            {
                d.aliases.push(name.to_string());
            }
        }
    }

    /// `m.lock().then(|guard| async move { .. })`: the lock call's guard goes to a closure, in
    /// any function (also a sync one returning the future). Held if the closure awaits (its
    /// future runs while holding the guard) or is not a closure we can read.
    pub(super) fn async_lock_combinator(&mut self, m: &syn::ExprMethodCall) {
        let syn::Expr::MethodCall(lock) = &*m.receiver else {
            return;
        };
        if !crate::knowledge::locks::GUARD_FUTURE_COMBINATORS
            .contains(&m.method.to_string().as_str())
            || !lock.args.is_empty()
            || !crate::knowledge::locks::ASYNC_GUARD_METHODS
                .contains(&lock.method.to_string().as_str())
        {
            return;
        }
        // A known type that is not an async lock (`std::sync::Mutex::lock` returns a `Result`,
        // whose `map` is no future combinator) is not this shape.
        if let Some(path) = self.infer(&lock.receiver).path()
            && path.contains("::")
            && !self.knowledge.is_async_lock(path)
        {
            return;
        }
        let held = match m.args.first() {
            Some(syn::Expr::Closure(c)) => {
                let mut awaits = guards::AwaitFinder::default();
                awaits.visit_expr(&c.body);
                awaits.found
            }
            _ => true,
        };
        let function = self.current_fn_path();
        let id = guards::lock_identity(
            &lock.receiver,
            &self.env,
            &self.types,
            &self.resolver,
            function.as_deref(),
        );
        self.facts
            .async_lock_sites
            .push(crate::model::AsyncLockSiteFact {
                id,
                held,
                lent: false,
                into: None,
                loc: Loc::method_call(lock),
            });
    }

    /// An async lock handed to other code (`helper(&self.state)`, `Foo { m: m.clone() }`,
    /// returned): recorded as a lent site, which keeps the lock from being reported.
    pub(super) fn async_lock_lent(&mut self, e: &syn::Expr) {
        self.async_lock_lent_into(e, None);
    }

    /// [`Self::async_lock_lent`] for a struct literal's field `into`, which becomes a copy.
    pub(super) fn async_lock_lent_into(
        &mut self,
        e: &syn::Expr,
        into: Option<crate::summary::LockId>,
    ) {
        if !matches!(
            e,
            syn::Expr::Path(_)
                | syn::Expr::Field(_)
                | syn::Expr::Reference(_)
                | syn::Expr::MethodCall(_)
                | syn::Expr::Call(_)
                | syn::Expr::Paren(_)
        ) {
            return;
        }
        let function = self.current_fn_path();
        let Some(id) = guards::lock_identity(
            e,
            &self.env,
            &self.types,
            &self.resolver,
            function.as_deref(),
        ) else {
            return;
        };
        // The expression must be the lock itself, not a call made on it.
        if let syn::Expr::MethodCall(m) = e
            && !matches!(m.method.to_string().as_str(), "clone" | "as_ref")
        {
            return;
        }
        if let syn::Expr::Call(c) = e
            && !matches!(&*c.func, syn::Expr::Path(p)
                if p.path.segments.last().is_some_and(|s| s.ident == "clone"))
        {
            return;
        }
        let relevant = match &id {
            crate::summary::LockId::Local { .. } => self.facts.async_lock_decls.iter().any(|d| {
                matches!((&d.id, &id), (
                    crate::summary::LockId::Local { function: f, name: n },
                    crate::summary::LockId::Local { function: g, name: m },
                ) if f == g && (n == m || d.aliases.contains(m)))
            }),
            _ => match self.infer(e) {
                Ty::Named(path) | Ty::Locked { lock: path, .. } => {
                    self.knowledge.is_async_lock(&path)
                }
                Ty::Field { .. } => true,
                _ => false,
            },
        };
        if relevant {
            self.facts
                .async_lock_sites
                .push(crate::model::AsyncLockSiteFact {
                    id: Some(id),
                    held: true,
                    lent: true,
                    into,
                    loc: Loc::of(e),
                });
        }
    }

    /// A field of a struct literal (`Foo { m: m.clone() }`, `Self { m }`): a lock put there is
    /// lent into the struct's field of that name.
    pub(super) fn async_lock_struct_field(&mut self, e: &syn::ExprStruct, field: &syn::FieldValue) {
        // The struct by its name (`Self` is the impl's): the field is a copy.
        let owner = match e.path.segments.last() {
            Some(s) if s.ident == "Self" => self
                .items
                .impl_owner
                .as_deref()
                .map(|o| o.rsplit("::").next().unwrap_or(o).to_string()),
            Some(s) => Some(s.ident.to_string()),
            None => None,
        };
        let into = match (&field.member, owner) {
            (syn::Member::Named(name), Some(owner)) => Some(crate::summary::LockId::Field {
                owner,
                field: name.to_string(),
            }),
            _ => None,
        };
        self.async_lock_lent_into(&field.expr, into);
    }

    pub(super) fn walk_item_struct(&mut self, s: &syn::ItemStruct) {
        // How each field is held: behind a pointer with other owners, or reachable from
        // outside the crate (a read guard nobody can contend for needs neither).
        let public_struct = matches!(s.vis, syn::Visibility::Public(_));
        for f in &s.fields {
            let Some(ident) = &f.ident else { continue };
            let behind_pointer = behind_pointer(&f.ty);
            self.facts.field_holds.push((
                s.ident.to_string(),
                ident.to_string(),
                behind_pointer,
                public_struct && matches!(f.vis, syn::Visibility::Public(_)),
                matches!(f.vis, syn::Visibility::Inherited),
            ));
        }
        if self.async_lock_scan {
            let public_struct = matches!(s.vis, syn::Visibility::Public(_));
            for f in &s.fields {
                let Some(ident) = &f.ident else { continue };
                let Some(ty) = self.async_lock_in(&f.ty, 3) else {
                    continue;
                };
                let shape = type_shape(&f.ty);
                self.facts
                    .async_lock_decls
                    .push(crate::model::AsyncLockDeclFact {
                        id: crate::summary::LockId::Field {
                            owner: s.ident.to_string(),
                            field: ident.to_string(),
                        },
                        ty,
                        shared: shape.contains("Arc<") || shape.contains("Rc<"),
                        shape,
                        public: public_struct && matches!(f.vis, syn::Visibility::Public(_)),
                        escapes: false,
                        aliases: Vec::new(),
                        loc: Loc::of(f),
                    });
            }
        }
        visit::visit_item_struct(self, s);
    }

    pub(super) fn walk_item_static(&mut self, s: &syn::ItemStatic) {
        if self.async_lock_scan
            && let Some(ty) = self.async_lock_in(&s.ty, 3)
        {
            let shape = type_shape(&s.ty);
            self.facts
                .async_lock_decls
                .push(crate::model::AsyncLockDeclFact {
                    id: crate::summary::LockId::Static {
                        name: s.ident.to_string(),
                    },
                    ty,
                    shape,
                    shared: false,
                    public: matches!(s.vis, syn::Visibility::Public(_)),
                    escapes: false,
                    aliases: Vec::new(),
                    loc: Loc::of(&s.ident),
                });
        }
        visit::visit_item_static(self, s);
    }
}

/// Is a field of type `ty` held behind a pointer that can have other owners: a reference, an
/// `Arc`/`Rc`/`Weak`, also inside an `Option` or `Box`? Only the outer type counts: the values
/// of a `DashMap<K, Arc<V>>` being shared says nothing about the map.
fn behind_pointer(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Reference(_) | syn::Type::Ptr(_) => true,
        syn::Type::Paren(p) => behind_pointer(&p.elem),
        syn::Type::Group(g) => behind_pointer(&g.elem),
        syn::Type::Path(p) => {
            let Some(last) = p.path.segments.last() else {
                return false;
            };
            match last.ident.to_string().as_str() {
                "Arc" | "Rc" | "Weak" => true,
                "Option" | "Box" => match &last.arguments {
                    syn::PathArguments::AngleBracketed(args) => args
                        .args
                        .iter()
                        .any(|a| matches!(a, syn::GenericArgument::Type(t) if behind_pointer(t))),
                    _ => false,
                },
                _ => false,
            }
        }
        // A trait object or anything else we cannot see into: as if shared.
        _ => true,
    }
}

/// A type written without spaces (`Arc<tokio::sync::Mutex<Option<T>>>`): what lock
/// declarations record as their shape.
fn type_shape(ty: &syn::Type) -> String {
    quote::ToTokens::to_token_stream(ty)
        .to_string()
        .split_whitespace()
        .collect()
}
