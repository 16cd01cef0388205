//! Struct fields a file may write or hand out: every use of a field (`x.field`) other than a
//! call of a method that only reads a concurrent map or a read/write lock
//! ([`READ_ONLY_LOCK_METHODS`](crate::knowledge::locks::READ_ONLY_LOCK_METHODS): `get`,
//! `iter`, `read`, ...).
//!
//! `lock_across_await` asks, over every file of the crate, whether a lock whose *read* guard
//! is held across an await is ever written: a shard read guard of a `DashMap` that nothing
//! writes after it is built blocks nobody, since only writers wait for a read guard. The
//! answer must err towards "written": a field passed by reference to a call, cloned (an `Arc`
//! shared with a task), borrowed mutably, assigned, used in a macro whose tokens are not code
//! we read, or reached through a local bound to `&x.field` and then used so, counts as a
//! write. A field initialised from a local that is cloned or handed to other code in the same
//! function counts too (the local's other copies may write it).
//!
//! Which struct a use is of is known for `self.field` (the `impl`'s type) and for a base whose
//! type the function names (a parameter `ctx: &Arc<Context>`, `State(ctx): State<Ctx>`, a
//! typed `let`): the outermost named type after peeling references and single-argument
//! wrappers. Anything else is recorded without an owner, which matches every struct with a
//! field of that name. The crate pass trusts a named owner only when the crate declares that
//! field on it.

use std::collections::{BTreeSet, HashMap, HashSet};

use syn::visit::{self, Visit};

use crate::facts::FieldWrite;
use crate::knowledge::locks::READ_ONLY_LOCK_METHODS;

/// The fields `file` may write or hand out (deduplicated).
pub fn analyse(file: &syn::File) -> Vec<FieldWrite> {
    let mut v = Uses {
        returns: return_types(file),
        ..Uses::default()
    };
    v.visit_file(file);
    v.out
        .into_iter()
        .map(|(owner, field, method)| FieldWrite {
            owner,
            field,
            method,
        })
        .collect()
}

/// The struct each function of the file returns, by the function's name (`Result`/`Option`
/// and smart pointers peeled); a name declared twice with different types is left out.
fn return_types(file: &syn::File) -> HashMap<String, Option<String>> {
    #[derive(Default)]
    struct Returns(HashMap<String, Option<String>>);
    impl Returns {
        fn add(&mut self, sig: &syn::Signature) {
            let syn::ReturnType::Type(_, ty) = &sig.output else {
                return;
            };
            let ty = returned_name(ty);
            let slot = self.0.entry(sig.ident.to_string()).or_insert(ty.clone());
            if *slot != ty {
                *slot = None;
            }
        }
    }
    impl<'ast> Visit<'ast> for Returns {
        fn visit_signature(&mut self, sig: &'ast syn::Signature) {
            self.add(sig);
        }
    }
    let mut r = Returns::default();
    r.visit_file(file);
    r.0
}

/// [`type_name`] with `Result<T, E>` read as `T`.
fn returned_name(ty: &syn::Type) -> Option<String> {
    if let syn::Type::Path(p) = ty
        && let Some(last) = p.path.segments.last()
        && last.ident == "Result"
        && let syn::PathArguments::AngleBracketed(args) = &last.arguments
        && let Some(syn::GenericArgument::Type(ok)) = args.args.first()
    {
        return returned_name(ok);
    }
    type_name(ty)
}

#[derive(Default)]
struct FnScope {
    /// Locals whose type the function names: the local and its type's name.
    typed: HashMap<String, String>,
    /// Locals bound to `&base.field`: another name for the field (owner, field).
    aliases: HashMap<String, (Option<String>, String)>,
    /// Locals cloned, handed to a call, captured by a closure or async block, or named in a
    /// macro: their value may have other owners.
    shared: HashSet<String>,
    /// Struct literal fields initialised from a bare local: (local, owner, field).
    stored: Vec<(String, Option<String>, String)>,
}

#[derive(Default)]
struct Uses {
    /// The `impl`'s self type (last segment), innermost last.
    impl_owner: Vec<Option<String>>,
    scopes: Vec<FnScope>,
    /// Inside a closure or async block of the current function.
    captured: usize,
    out: BTreeSet<(Option<String>, String, Option<String>)>,
    /// What each function of the file returns (see [`return_types`]).
    returns: HashMap<String, Option<String>>,
}

/// The struct a written type names: references and single-argument generic wrappers
/// (`Arc<T>`, `State<Arc<T>>`, `Option<T>`) peeled, the last segment of what is left.
fn type_name(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Reference(r) => type_name(&r.elem),
        syn::Type::Paren(p) => type_name(&p.elem),
        syn::Type::Path(p) if p.qself.is_none() => {
            let last = p.path.segments.last()?;
            if let syn::PathArguments::AngleBracketed(args) = &last.arguments {
                let types: Vec<&syn::Type> = args
                    .args
                    .iter()
                    .filter_map(|a| match a {
                        syn::GenericArgument::Type(t) => Some(t),
                        _ => None,
                    })
                    .collect();
                if let [inner] = types.as_slice() {
                    return type_name(inner);
                }
            }
            Some(last.ident.to_string())
        }
        _ => None,
    }
}

/// `&e`, `(e)` peeled.
fn peel(mut e: &syn::Expr) -> &syn::Expr {
    loop {
        e = match e {
            syn::Expr::Reference(r) if r.mutability.is_none() => &r.expr,
            syn::Expr::Paren(p) => &p.expr,
            _ => return e,
        }
    }
}

fn local_name(e: &syn::Expr) -> Option<String> {
    match e {
        syn::Expr::Path(p) if p.qself.is_none() => p
            .path
            .get_ident()
            .map(|i| i.to_string())
            .filter(|n| n != "self"),
        _ => None,
    }
}

impl Uses {
    fn scope(&mut self) -> Option<&mut FnScope> {
        self.scopes.last_mut()
    }

    /// The struct `base` is of, when it can be told.
    fn owner_of(&self, base: &syn::Expr) -> Option<String> {
        match peel(base) {
            syn::Expr::Path(p) if p.path.is_ident("self") => self.impl_owner.last().cloned()?,
            e => {
                let name = local_name(e)?;
                self.scopes.last()?.typed.get(&name).cloned()
            }
        }
    }

    /// The struct a `let` initializer's value is of, when it says: a copy or reference of a
    /// typed local (`context.clone()`, `Arc::clone(&context)`), a struct literal, or a call of
    /// a type's associated function (`Store::new(..)`).
    fn type_of_init(&self, init: &syn::Expr) -> Option<String> {
        match peel(init) {
            syn::Expr::Await(a) => self.type_of_init(&a.base),
            syn::Expr::Try(t) => self.type_of_init(&t.expr),
            syn::Expr::MethodCall(m) if m.method == "clone" && m.args.is_empty() => {
                self.owner_of(&m.receiver)
            }
            // A function of this file, by the type it declares it returns.
            syn::Expr::MethodCall(m) => self.returns.get(&m.method.to_string()).cloned()?,
            syn::Expr::Call(c) if matches!(&*c.func, syn::Expr::Path(p) if p.path.segments.len() == 1) =>
            {
                let syn::Expr::Path(p) = &*c.func else {
                    return None;
                };
                let name = p.path.segments.first()?.ident.to_string();
                self.returns.get(&name).cloned()?
            }
            syn::Expr::Call(c) => {
                let syn::Expr::Path(p) = &*c.func else {
                    return None;
                };
                let segments = crate::model::resolve::segments(&p.path);
                match segments.as_slice() {
                    [.., wrapper, clone]
                        if clone == "clone" && matches!(wrapper.as_str(), "Arc" | "Rc") =>
                    {
                        c.args.first().and_then(|a| self.owner_of(a))
                    }
                    [.., ty, _] if ty.starts_with(|ch: char| ch.is_ascii_uppercase()) => {
                        matches!(ty.as_str(), "Arc" | "Rc" | "Box" | "Some" | "Ok")
                            .then(|| c.args.first().and_then(|a| self.type_of_init(a)))
                            .unwrap_or_else(|| self.named(ty))
                    }
                    _ => None,
                }
            }
            syn::Expr::Struct(st) => self.named(&st.path.segments.last()?.ident.to_string()),
            e @ syn::Expr::Path(_) => self.owner_of(e),
            _ => None,
        }
    }

    /// A type by its name, `Self` as the `impl`'s.
    fn named(&self, ty: &str) -> Option<String> {
        match ty {
            "Self" => self.impl_owner.last().cloned().flatten(),
            other => Some(other.to_string()),
        }
    }

    fn write(&mut self, owner: Option<String>, field: String) {
        self.out.insert((owner, field, None));
    }

    /// A method other than a read-only one called on a field.
    fn write_by(&mut self, owner: Option<String>, field: String, method: String) {
        self.out.insert((owner, field, Some(method)));
    }

    /// A field expression used other than through a read-only method: a write.
    fn field_use(&mut self, f: &syn::ExprField) {
        if let syn::Member::Named(name) = &f.member {
            let owner = self.owner_of(&f.base);
            self.write(owner, name.to_string());
        }
        self.projection_base(&f.base);
    }

    /// The base of a field expression: projecting through a field (`self.inner.map`) neither
    /// writes nor hands out the outer one.
    fn projection_base(&mut self, base: &syn::Expr) {
        match base {
            syn::Expr::Field(inner) => self.projection_base(&inner.base),
            other => self.visit_expr(other),
        }
    }

    /// A local used as a value here (not as a method receiver).
    fn local_use(&mut self, name: &str) {
        let captured = self.captured > 0;
        let Some(scope) = self.scope() else { return };
        if let Some((owner, field)) = scope.aliases.get(name).cloned() {
            self.write(owner, field);
            return;
        }
        if captured && let Some(scope) = self.scope() {
            scope.shared.insert(name.to_string());
        }
    }

    fn enter_fn(&mut self, sig: &syn::Signature, block: &syn::Block) {
        let mut scope = FnScope::default();
        for input in &sig.inputs {
            let syn::FnArg::Typed(t) = input else {
                continue;
            };
            let name = match &*t.pat {
                syn::Pat::Ident(i) => Some(i.ident.to_string()),
                syn::Pat::TupleStruct(ts) if ts.elems.len() == 1 => match &ts.elems[0] {
                    syn::Pat::Ident(i) => Some(i.ident.to_string()),
                    _ => None,
                },
                _ => None,
            };
            if let (Some(name), Some(ty)) = (name, type_name(&t.ty)) {
                scope.typed.insert(name, ty);
            }
        }
        let captured = std::mem::take(&mut self.captured);
        self.scopes.push(scope);
        self.visit_block(block);
        if let Some(scope) = self.scopes.pop() {
            for (local, owner, field) in scope.stored {
                if scope.shared.contains(&local) {
                    self.write(owner, field);
                }
            }
        }
        self.captured = captured;
    }

    /// Tokens of a macro we do not read as code: `.field` not followed by a read-only method
    /// call is a write, and every identifier may be a local handed to other code.
    fn tokens(&mut self, tokens: proc_macro2::TokenStream) {
        let trees: Vec<proc_macro2::TokenTree> = tokens.into_iter().collect();
        let is_dot = |t: Option<&proc_macro2::TokenTree>| matches!(t, Some(proc_macro2::TokenTree::Punct(p)) if p.as_char() == '.');
        let is_call = |t: Option<&proc_macro2::TokenTree>| matches!(t, Some(proc_macro2::TokenTree::Group(g)) if g.delimiter() == proc_macro2::Delimiter::Parenthesis);
        // Is `.name(` at `i` a read-only method call?
        let read_only_call = |i: usize| {
            is_dot(trees.get(i))
                && matches!(trees.get(i + 1), Some(proc_macro2::TokenTree::Ident(m))
                    if READ_ONLY_LOCK_METHODS.contains(&m.to_string().as_str()))
                && is_call(trees.get(i + 2))
        };
        for (i, t) in trees.iter().enumerate() {
            match t {
                proc_macro2::TokenTree::Group(g) => self.tokens(g.stream()),
                proc_macro2::TokenTree::Ident(id) => {
                    let name = id.to_string();
                    if i > 0 && is_dot(trees.get(i - 1)) {
                        // A method name, or a field.
                        if is_call(trees.get(i + 1)) || read_only_call(i + 1) {
                            continue;
                        }
                        let owner = match trees.get(i.wrapping_sub(2)) {
                            Some(proc_macro2::TokenTree::Ident(b)) if b == "self" => {
                                self.impl_owner.last().cloned().flatten()
                            }
                            _ => None,
                        };
                        match (
                            trees.get(i + 2),
                            is_dot(trees.get(i + 1)),
                            is_call(trees.get(i + 3)),
                        ) {
                            (Some(proc_macro2::TokenTree::Ident(m)), true, true) => {
                                self.write_by(owner, name, m.to_string());
                            }
                            _ => self.write(owner, name),
                        }
                        continue;
                    }
                    if read_only_call(i + 1) {
                        continue;
                    }
                    self.local_use(&name);
                    if let Some(scope) = self.scope() {
                        scope.shared.insert(name);
                    }
                }
                _ => {}
            }
        }
    }
}

impl<'ast> Visit<'ast> for Uses {
    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        self.impl_owner.push(type_name(&i.self_ty));
        visit::visit_item_impl(self, i);
        self.impl_owner.pop();
    }

    fn visit_item_trait(&mut self, t: &'ast syn::ItemTrait) {
        self.impl_owner.push(None);
        visit::visit_item_trait(self, t);
        self.impl_owner.pop();
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.impl_owner.push(None);
        self.enter_fn(&f.sig, &f.block);
        self.impl_owner.pop();
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.enter_fn(&f.sig, &f.block);
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if let Some(block) = &f.default {
            self.enter_fn(&f.sig, block);
        }
    }

    fn visit_local(&mut self, l: &'ast syn::Local) {
        if let Some(init) = &l.init {
            let name = match &l.pat {
                syn::Pat::Ident(i) => Some(i.ident.to_string()),
                syn::Pat::Type(t) => match &*t.pat {
                    syn::Pat::Ident(i) => {
                        if let Some(ty) = type_name(&t.ty)
                            && let Some(scope) = self.scope()
                        {
                            scope.typed.insert(i.ident.to_string(), ty);
                        }
                        Some(i.ident.to_string())
                    }
                    _ => None,
                },
                _ => None,
            };
            // `let map = &self.map;`: another name for the field, judged by its own uses.
            if let (Some(name), syn::Expr::Reference(r)) = (&name, &*init.expr)
                && r.mutability.is_none()
                && let syn::Expr::Field(f) = peel(&r.expr)
                && let syn::Member::Named(field) = &f.member
                && init.diverge.is_none()
            {
                let owner = self.owner_of(&f.base);
                let field = field.to_string();
                self.projection_base(&f.base);
                if let Some(scope) = self.scope() {
                    scope.aliases.insert(name.clone(), (owner, field));
                }
                return;
            }
            if let Some(name) = &name
                && !matches!(l.pat, syn::Pat::Type(_))
            {
                let ty = self.type_of_init(&init.expr);
                if let Some(scope) = self.scope() {
                    // Rebound to something else: no longer the field, and typed anew.
                    scope.aliases.remove(name);
                    match ty {
                        Some(ty) => scope.typed.insert(name.clone(), ty),
                        None => scope.typed.remove(name),
                    };
                }
            }
        }
        visit::visit_local(self, l);
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        let method = m.method.to_string();
        let read_only = READ_ONLY_LOCK_METHODS.contains(&method.as_str());
        match peel(&m.receiver) {
            syn::Expr::Field(f) if read_only => self.projection_base(&f.base),
            syn::Expr::Path(_) if read_only => {}
            // `let map = &self.map; map.insert(..)`: the field's method.
            recv @ syn::Expr::Path(_)
                if local_name(recv).is_some_and(|n| {
                    self.scopes
                        .last()
                        .is_some_and(|s| s.aliases.contains_key(&n))
                }) =>
            {
                let name = local_name(recv).unwrap_or_default();
                if let Some((owner, field)) = self
                    .scopes
                    .last()
                    .and_then(|s| s.aliases.get(&name))
                    .cloned()
                {
                    self.write_by(owner, field, method);
                }
            }
            syn::Expr::Field(f) => {
                if let syn::Member::Named(name) = &f.member {
                    let owner = self.owner_of(&f.base);
                    self.write_by(owner, name.to_string(), method);
                }
                self.projection_base(&f.base);
            }
            recv => {
                if method == "clone"
                    && let Some(name) = local_name(recv)
                    && let Some(scope) = self.scope()
                {
                    scope.shared.insert(name);
                }
                self.visit_expr(&m.receiver);
            }
        }
        for a in &m.args {
            self.visit_expr(a);
        }
    }

    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        self.visit_expr(&c.func);
        for a in &c.args {
            if let Some(name) = local_name(peel(a))
                && let Some(scope) = self.scope()
            {
                scope.shared.insert(name);
            }
            self.visit_expr(a);
        }
    }

    fn visit_expr_field(&mut self, f: &'ast syn::ExprField) {
        self.field_use(f);
    }

    fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
        if let Some(name) = p.path.get_ident() {
            self.local_use(&name.to_string());
        }
    }

    fn visit_expr_struct(&mut self, s: &'ast syn::ExprStruct) {
        let owner = s
            .path
            .segments
            .last()
            .and_then(|seg| self.named(&seg.ident.to_string()));
        for fv in &s.fields {
            if let syn::Member::Named(field) = &fv.member
                && let Some(local) = local_name(peel(&fv.expr))
                && let Some(scope) = self.scope()
            {
                scope.stored.push((local, owner.clone(), field.to_string()));
                continue;
            }
            // `Self { map: other.clone() }`: a copy of a lock another value holds.
            if let syn::Member::Named(field) = &fv.member
                && matches!(peel(&fv.expr), syn::Expr::MethodCall(mc) if mc.method == "clone")
            {
                self.write(owner.clone(), field.to_string());
            }
            self.visit_expr(&fv.expr);
        }
        if let Some(rest) = &s.rest {
            self.visit_expr(rest);
        }
    }

    fn visit_expr_closure(&mut self, c: &'ast syn::ExprClosure) {
        self.captured += 1;
        visit::visit_expr_closure(self, c);
        self.captured -= 1;
    }

    fn visit_expr_async(&mut self, a: &'ast syn::ExprAsync) {
        self.captured += 1;
        visit::visit_expr_async(self, a);
        self.captured -= 1;
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.tokens(m.tokens.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writes(src: &str) -> Vec<(Option<String>, String)> {
        let file: syn::File = syn::parse_str(src).expect("test source parses");
        analyse(&file)
            .into_iter()
            .map(|w| (w.owner, w.field))
            .collect()
    }

    #[test]
    fn a_local_is_typed_by_what_a_function_of_the_file_returns() {
        let w = writes(
            "struct Versions { sinks: HashMap<String, u32> } impl P { fn load(&self) -> Result<Versions, E> { todo!() } fn save(&self) { let mut v = self.load().unwrap_or_default(); let mut w = self.load()?; w.sinks.insert(1, 2); } }",
        );
        assert!(w.contains(&of("Versions", "sinks")), "{w:?}");
    }

    fn of(owner: &str, field: &str) -> (Option<String>, String) {
        (Some(owner.to_string()), field.to_string())
    }

    #[test]
    fn reads_through_read_only_methods_are_no_writes() {
        let w = writes(
            "impl Reg { fn names(&self) -> usize { let m = &self.map; m.len() + self.map.iter().count() + self.map.get(&1).map(|r| *r).unwrap_or(0) } }",
        );
        assert!(!w.contains(&of("Reg", "map")), "{w:?}");
    }

    #[test]
    fn a_writer_method_a_clone_or_a_reference_handed_out_is_a_write() {
        for body in [
            "self.map.insert(1, 2);",
            "let m = self.map.clone();",
            "fill(&self.map);",
            "let m = &self.map; fill(m);",
            "let m = &self.map; m.insert(1, 2);",
            "println!(\"{:?}\", self.map.entry(1));",
        ] {
            let w = writes(&format!("impl Reg {{ fn f(&self) {{ {body} }} }}"));
            assert!(w.contains(&of("Reg", "map")), "{body}: {w:?}");
        }
    }

    #[test]
    fn the_owner_is_the_parameters_named_type_or_none() {
        let w = writes(
            "async fn h(State(ctx): State<Arc<Ctx>>, other: Other) { ctx.map.insert(1, 2); other.thing.map.insert(1, 2); x().map.clear(); }",
        );
        assert!(w.contains(&of("Ctx", "map")), "{w:?}");
        assert!(
            w.contains(&of("Other", "thing")) || w.contains(&(None, "map".into())),
            "{w:?}"
        );
        assert!(w.contains(&(None, "map".to_string())), "{w:?}");
    }

    #[test]
    fn a_copy_of_a_typed_local_keeps_its_type() {
        let w = writes(
            "fn run(ctx: Arc<Ctx>) { let ctx = ctx.clone(); spawn(async move { ctx.map.set(1).await; }); let other = make(); other.map.clear(); }",
        );
        assert!(w.contains(&of("Ctx", "map")), "{w:?}");
        assert!(w.contains(&(None, "map".to_string())), "{w:?}");
    }

    #[test]
    fn a_field_built_from_a_local_that_is_shared_elsewhere_is_written() {
        let shared = writes(
            "impl Reg { fn new() -> Self { let m = Arc::new(DashMap::new()); let m2 = m.clone(); spawn(async move { m2.insert(1, 2); }); Self { map: m } } }",
        );
        assert!(shared.contains(&of("Reg", "map")), "{shared:?}");
        let filled = writes(
            "impl Reg { fn new() -> Self { let map = Arc::new(DashMap::new()); for i in 0..3 { map.insert(i, i); } Self { map } } }",
        );
        assert!(!filled.contains(&of("Reg", "map")), "{filled:?}");
    }
}
