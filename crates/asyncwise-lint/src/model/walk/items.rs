//! Items: modules (inline and `mod db;` declarations with their `#[path]`), impls, traits and
//! fns. A fn's visit records its [`FnSignature`] and [`FnItem`] (crate path, self type, set-up
//! and entry-point flags read from its attributes and return type), binds its parameters' types
//! and walks its body in a new frame (whether a fn runs once at start-up is asked of
//! [`startup`]); everything about naming and classifying items lives here,
//! so the other modules only ask [`Walker::current_fn_path`](super::Walker) or `fn_stack`.

use syn::visit::{self, Visit};

use super::super::analysis::{failure, startup};
use super::super::{Ctx, FnItem, Loc, ModDecl, Ty};
use super::Walker;
use crate::facts::{FnKind, FnSignature};

/// Where in the items the walk is: the file's module, the enclosing `impl` or trait, and the
/// attributes of the fn about to be visited. Written only here; `locks` reads `impl_owner`.
pub(super) struct ItemPlace {
    file_module: String,
    /// Inside an `impl` or trait: functions there are methods or associated functions.
    in_impl: bool,
    /// The path functions of the enclosing `impl` (its self type) or trait are declared under.
    pub(super) impl_owner: Option<String>,
    /// Inside a trait's own items (its default methods belong to every implementing type).
    in_trait: bool,
    /// Inside an `impl Trait for Type`: a call of the method by name may run another
    /// implementation, so what the trait declares counts, not what this body does.
    in_trait_impl: bool,
    /// Inside an `impl Drop for Type`: its `drop` runs while the value is destroyed.
    pub(super) in_drop_impl: bool,
    /// Inside an `impl Stream for Type` (or another polled trait, see
    /// [`POLLED_TRAITS`](crate::knowledge::spawn::POLLED_TRAITS)): its `poll*` methods run on
    /// the executor whenever the value is polled.
    in_polled_impl: bool,
    /// The function about to be visited carries a runtime entry attribute (`#[tokio::main]`).
    entry_point: bool,
    /// The function about to be visited carries a runtime `main` attribute that polls its body
    /// apart from the worker threads (see [`startup::polls_main_apart`]).
    main_apart: bool,
    /// The function about to be visited is a sync `main` that builds a multi-thread runtime by
    /// hand (see [`startup::builds_multi_thread_runtime`]): what it hands to `block_on` is
    /// polled apart from the workers.
    hands_main_apart: bool,
}

impl ItemPlace {
    pub(super) fn new(file_module: &str) -> Self {
        ItemPlace {
            file_module: file_module.to_string(),
            in_impl: false,
            impl_owner: None,
            in_trait: false,
            in_trait_impl: false,
            in_drop_impl: false,
            in_polled_impl: false,
            entry_point: false,
            main_apart: false,
            hands_main_apart: false,
        }
    }
}

impl Walker {
    pub(super) fn walk_item_mod(&mut self, m: &syn::ItemMod) {
        if m.content.is_none() {
            self.facts.mod_decls.push(ModDecl {
                parent: self.resolver.current_module.clone(),
                name: m.ident.to_string(),
                path_attr: crate::model::test_code::path_attribute(&m.attrs),
            });
        }
        let saved = self.resolver.current_module.clone();
        self.resolver.current_module = format!("{saved}::{}", m.ident);
        visit::visit_item_mod(self, m);
        self.resolver.current_module = saved;
    }

    pub(super) fn walk_item_impl(&mut self, i: &syn::ItemImpl) {
        let saved = self.env.self_ty.take();
        self.env.self_ty = self
            .types
            .ty_of(&i.self_ty, &self.resolver)
            .path()
            .map(str::to_string);
        let saved_owner = std::mem::replace(&mut self.items.impl_owner, self.env.self_ty.clone());
        let saved_in_impl = std::mem::replace(&mut self.items.in_impl, true);
        let saved_in_trait = std::mem::replace(&mut self.items.in_trait, false);
        let saved_trait_impl = std::mem::replace(&mut self.items.in_trait_impl, i.trait_.is_some());
        let implements_drop = i
            .trait_
            .as_ref()
            .is_some_and(|(_, path, _)| path.segments.last().is_some_and(|s| s.ident == "Drop"));
        let saved_drop_impl = std::mem::replace(&mut self.items.in_drop_impl, implements_drop);
        let polled = i.trait_.as_ref().is_some_and(|(_, path, _)| {
            path.segments
                .last()
                .is_some_and(|s| self.knowledge.is_polled_trait(&s.ident.to_string()))
        });
        let saved_polled_impl = std::mem::replace(&mut self.items.in_polled_impl, polled);
        visit::visit_item_impl(self, i);
        self.items.in_polled_impl = saved_polled_impl;
        self.items.in_drop_impl = saved_drop_impl;
        self.items.in_trait_impl = saved_trait_impl;
        self.items.in_trait = saved_in_trait;
        self.items.in_impl = saved_in_impl;
        self.items.impl_owner = saved_owner;
        self.env.self_ty = saved;
    }

    pub(super) fn walk_item_trait(&mut self, t: &syn::ItemTrait) {
        let owner = format!("{}::{}", self.resolver.current_module, t.ident);
        let saved_owner = self.items.impl_owner.replace(owner);
        let saved_in_impl = std::mem::replace(&mut self.items.in_impl, true);
        let saved_in_trait = std::mem::replace(&mut self.items.in_trait, true);
        visit::visit_item_trait(self, t);
        self.items.in_trait = saved_in_trait;
        self.items.in_impl = saved_in_impl;
        self.items.impl_owner = saved_owner;
    }

    pub(super) fn walk_item_fn(&mut self, f: &syn::ItemFn) {
        // `#[tokio::main] async fn run()` is a program's entry point whatever its name.
        self.items.entry_point = startup::is_runtime_entry(&f.attrs, &self.knowledge);
        self.items.main_apart = startup::polls_main_apart(&f.attrs);
        self.items.hands_main_apart = f.sig.asyncness.is_none()
            && f.sig.ident == "main"
            && startup::builds_multi_thread_runtime(&f.block);
        self.visit_fn(&f.sig, &f.block);
    }

    pub(super) fn walk_impl_item_fn(&mut self, f: &syn::ImplItemFn) {
        // `#[tokio::main] async fn start(..)` in an `impl` builds its runtime too.
        self.items.entry_point = startup::is_runtime_entry(&f.attrs, &self.knowledge);
        self.items.main_apart = startup::polls_main_apart(&f.attrs);
        self.visit_fn(&f.sig, &f.block);
    }

    pub(super) fn walk_trait_item_fn(&mut self, f: &syn::TraitItemFn) {
        if let Some(block) = &f.default {
            self.visit_fn(&f.sig, block);
        }
    }

    /// The named type a signature returns, `Self` as the `impl`'s type.
    fn declared_return(&self, output: &syn::ReturnType) -> Option<String> {
        let syn::ReturnType::Type(_, ty) = output else {
            return None;
        };
        match self.types.ty_of(ty, &self.resolver) {
            Ty::Named(path) if path == "Self" => {
                self.items.impl_owner.clone().filter(|_| self.items.in_impl)
            }
            Ty::Named(path) | Ty::Locked { lock: path, .. } => Some(path),
            _ => None,
        }
    }

    fn visit_fn(&mut self, sig: &syn::Signature, block: &syn::Block) {
        let saved_in_impl = self.items.in_impl;
        let saved_polled_impl = self.items.in_polled_impl;
        self.visit_fn_inner(sig, block);
        self.items.in_impl = saved_in_impl;
        self.items.in_polled_impl = saved_polled_impl;
    }

    fn visit_fn_inner(&mut self, sig: &syn::Signature, block: &syn::Block) {
        let module = match crate::path_text::split_last(&self.resolver.current_module) {
            Some((_, last)) => last.to_string(),
            None => self.items.file_module.clone(),
        };
        let kind = match (self.items.in_impl, sig.receiver().is_some()) {
            (false, _) => FnKind::Free,
            (true, true) => FnKind::Method,
            (true, false) => FnKind::Associated,
        };
        // A `Result` the body never ends in the error of, or only after logging it, is no
        // silent failure to report; a trait's method may run another implementation, so there
        // the declaration counts. Exits that pass on a callee's error are logged when that
        // callee logs its own, which the function table settles.
        let declares_result = (returns_result(&sig.output)
            || returns_future_of_result(&sig.output))
            && !self.items.in_trait
            && !self.items.in_trait_impl;
        let exits = declares_result
            .then(|| failure::error_exits_in(block, &self.knowledge, Some(&self.resolver)))
            .flatten()
            .map(|calls| {
                calls
                    .into_iter()
                    .map(|call| self.qualify_self(call))
                    .collect::<Option<Vec<_>>>()
            });
        let (returns_result, logged_if) = match exits {
            _ if !declares_result => (
                returns_result(&sig.output) || returns_future_of_result(&sig.output),
                Vec::new(),
            ),
            Some(Some(calls)) => (!calls.is_empty(), calls),
            // A silent exit, or a call on `Self` outside an `impl`.
            Some(None) | None => (true, Vec::new()),
        };
        // Read by another crate of the workspace, which sees no function table of this one: an
        // exit silent by itself, or the names of the callees whose errors it passes on, which
        // the crate index follows.
        let may_fail = (sig.asyncness.is_some() || returns_future_of_result(&sig.output))
            && declares_result
            && returns_result;
        let fails_silently = may_fail && logged_if.is_empty();
        let passes_on_errors_of = if may_fail {
            logged_if.iter().map(|call| call.name.clone()).collect()
        } else {
            Vec::new()
        };
        self.facts.functions.push(FnSignature {
            name: sig.ident.to_string(),
            module,
            kind,
            // A plain fn declared to return a future of a `Result` is called like an async fn that
            // returns one: the call is the task, and its error is the task's value.
            returns_future: sig.asyncness.is_some() || returns_future_of_result(&sig.output),
            returns_result,
            declares_result,
            logged_if,
            owner: self
                .items
                .impl_owner
                .as_deref()
                .filter(|_| self.items.in_impl && !self.items.in_trait)
                .map(|owner| crate::path_text::last_segment(owner).to_string()),
            arity: sig
                .inputs
                .iter()
                .filter(|i| matches!(i, syn::FnArg::Typed(_)))
                .count(),
            // Settled once the body is lowered (`hand_off_async_fn`).
            never_suspends: false,
            plain_getter: kind == FnKind::Method
                && sig.inputs.len() == 1
                && self
                    .declared_return(&sig.output)
                    .is_some_and(|ty| !crate::knowledge::locks::names_guard(&ty)),
        });
        // A fn nested in a body is a block item, named as the resolver names block items.
        let owner = match (&self.items.impl_owner, self.items.in_impl) {
            (Some(owner), true) => owner.clone(),
            _ if !self.fn_stack.is_empty() => {
                format!("{}::{{block}}", self.resolver.current_module)
            }
            _ => self.resolver.current_module.clone(),
        };
        // A method that returns the value it builds is a constructor (judged before the body
        // resets `in_impl` for the fns nested in it).
        let constructor = self.items.in_impl
            && startup::constructs_self(&sig.output, self.items.impl_owner.as_deref());
        // A set-up name (`new`, `create`) on a request handler (a gRPC service's `create`
        // taking a `Request`) names an action per request, not a start-up step.
        let handler = self
            .facts
            .per_event
            .handlers
            .contains(&Loc::from_span(sig.ident.span()));
        let named_setup = !handler && self.knowledge.is_setup_fn(&sig.ident.to_string());
        let item = self.facts.fn_items.len();
        self.facts.fn_items.push(FnItem {
            path: format!("{owner}::{}", sig.ident),
            self_ty: self
                .items
                .in_impl
                .then(|| self.items.impl_owner.clone())
                .flatten(),
            is_async: sig.asyncness.is_some(),
            arity: sig
                .inputs
                .iter()
                .filter(|i| matches!(i, syn::FnArg::Typed(_)))
                .count(),
            loc: Loc::from_span(sig.ident.span()),
            body: Loc {
                start: Loc::from_span(block.brace_token.span.open()).start,
                end: Loc::from_span(block.brace_token.span.close()).end,
            },
            setup: sig.asyncness.is_some()
                && (self.items.entry_point || constructor || named_setup),
            named_setup,
            main_apart: std::mem::take(&mut self.items.main_apart) && sig.asyncness.is_some()
                || std::mem::take(&mut self.items.hands_main_apart) && sig.asyncness.is_none(),
            returns: self.declared_return(&sig.output),
            fails_silently,
            passes_on_errors_of,
        });
        self.fn_stack.push(item);
        self.mut_self.push(
            sig.receiver()
                .is_some_and(|r| r.reference.is_some() && r.mutability.is_some()),
        );
        let saved_env = std::mem::take(&mut self.env);
        self.env.self_ty = saved_env.self_ty.clone();
        self.env.push();
        for input in &sig.inputs {
            if let syn::FnArg::Typed(t) = input {
                // `State(store): State<Arc<Store>>`: an extractor newtype's field is its type
                // argument (also through an alias, `State(store): Shared`).
                if let syn::Pat::TupleStruct(ts) = &*t.pat
                    && ts.elems.len() == 1
                    && let Some(inner) = single_type_argument(self.types.expand_alias(&t.ty))
                {
                    let ty = self.types.ty_of(inner, &self.resolver);
                    self.env
                        .bind_pat(&ts.elems[0], ty, &self.types, &self.resolver);
                    continue;
                }
                let ty = self.types.ty_of(&t.ty, &self.resolver);
                self.env.bind_pat(&t.pat, ty, &self.types, &self.resolver);
            }
        }
        // `fn poll_next(..)` of an `impl Stream`: the executor calls it, so its body is
        // async context though the fn is not `async` (nested fns are not).
        let polled = std::mem::take(&mut self.items.in_polled_impl);
        let ctx = if sig.asyncness.is_some()
            || polled && self.items.in_impl && sig.ident.to_string().starts_with("poll")
        {
            Ctx::Async
        } else {
            Ctx::Sync
        };
        self.items.in_impl = false;
        if ctx == Ctx::Async {
            self.hand_off_async_fn(sig, block, item);
        }
        // `main` and set-up functions (`new`, `open`, `init`, ...) run once, before or while
        // the program starts: blocking directly in their bodies is the pedantic form.
        let entry = std::mem::take(&mut self.items.entry_point);
        let is_main = ctx == Ctx::Async && (entry || named_setup || constructor);
        let entered = self.startup.enter_fn(
            &sig.ident.to_string(),
            entry,
            is_main,
            self.frames.len() + 1,
        );
        self.with_frame(ctx, Vec::new(), |w| w.visit_block(block));
        if self.async_lock_scan
            && let Some(syn::Stmt::Expr(tail, None)) = block.stmts.last()
        {
            self.async_lock_lent(tail);
        }
        self.startup.leave_fn(entered);
        self.fn_stack.pop();
        self.mut_self.pop();
        self.env = saved_env;
    }
}

/// `T` in `Wrapper<T>`, when that is the type's only generic argument.
fn single_type_argument(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(p) = ty else { return None };
    let syn::PathArguments::AngleBracketed(args) = &p.path.segments.last()?.arguments else {
        return None;
    };
    match args.args.iter().collect::<Vec<_>>().as_slice() {
        [syn::GenericArgument::Type(inner)] => Some(inner),
        _ => None,
    }
}

fn returns_result(output: &syn::ReturnType) -> bool {
    let syn::ReturnType::Type(_, ty) = output else {
        return false;
    };
    names_result(ty)
}

fn names_result(ty: &syn::Type) -> bool {
    let syn::Type::Path(p) = ty else {
        return false;
    };
    p.path
        .segments
        .last()
        .is_some_and(|s| s.ident.to_string().ends_with("Result"))
}

/// The declared return type is a future whose output is a `Result`: `impl Future<Output =
/// Result<..>>`, a boxed one (`Pin<Box<dyn Future<Output = Result<..>>>>`), or a `BoxFuture`
/// alias whose type argument is a `Result`.
fn returns_future_of_result(output: &syn::ReturnType) -> bool {
    let syn::ReturnType::Type(_, ty) = output else {
        return false;
    };
    future_of_result(ty)
}

fn future_of_result(ty: &syn::Type) -> bool {
    let bounds = match ty {
        syn::Type::ImplTrait(t) => &t.bounds,
        syn::Type::TraitObject(t) => &t.bounds,
        syn::Type::Paren(p) => return future_of_result(&p.elem),
        syn::Type::Group(g) => return future_of_result(&g.elem),
        syn::Type::Path(p) => {
            let Some(last) = p.path.segments.last() else {
                return false;
            };
            let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
                return false;
            };
            let mut types = args.args.iter().filter_map(|a| match a {
                syn::GenericArgument::Type(t) => Some(t),
                _ => None,
            });
            return match last.ident.to_string().as_str() {
                "Pin" | "Box" => types.next().is_some_and(future_of_result),
                name if name.ends_with("BoxFuture") => types.next().is_some_and(names_result),
                _ => false,
            };
        }
        _ => return false,
    };
    bounds.iter().any(|b| {
        let syn::TypeParamBound::Trait(t) = b else {
            return false;
        };
        let Some(last) = t.path.segments.last() else {
            return false;
        };
        let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
            return false;
        };
        last.ident == "Future"
            && args.args.iter().any(|a| {
                matches!(a, syn::GenericArgument::AssocType(assoc)
                    if assoc.ident == "Output" && names_result(&assoc.ty))
            })
    })
}
