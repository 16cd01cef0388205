//! Light types: just enough to know that `self.peers` is a `std::sync::Mutex` or that `rx` came
//! from `std::sync::mpsc::channel()`. Anything not known is [`Ty::Unknown`], and rules never
//! guess from an unknown type.
//!
//! What only other files can tell (a field of a struct declared elsewhere, what a function of
//! the crate returns, and fields, methods and items reached from those) is a [`Ty::Chain`]: the
//! steps as written, plain data that the per-file summary carries and the crate index settles
//! ([`CrateIndex::chain_type`](crate::crate_index::CrateIndex::chain_type)). The file never
//! looks at another file, so its cached results stay right when only the other file changes.

/// Maps keyed by names of the file being checked: a fast, fixed hasher (foldhash).
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;

use super::resolve::Resolver;
use crate::knowledge::locks;
use crate::knowledge::types::{self as table, Returns};

/// A light type.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Ty {
    /// A canonical type path, wrappers (`Arc`, `Box`, references, `Result`'s `Ok`) peeled.
    Named(String),
    /// A lock whose guard dereferences to a library type the tables know
    /// (`Mutex<rusqlite::Connection>`, wrappers peeled): the lock everywhere a type is asked for
    /// ([`Ty::path`]), the value behind it once a guard method is called
    /// (`db.lock().unwrap().execute(..)`).
    Locked {
        /// The lock's canonical type path.
        lock: String,
        /// The canonical path of the type its guard dereferences to.
        inner: String,
    },
    /// A tuple (channel pairs, `(Mutex, Condvar)` pairs).
    Tuple(Vec<Ty>),
    /// The type of a field of a struct declared in another file: settled by the crate pass.
    Field {
        /// The struct's name (last path segment).
        owner: String,
        /// The field.
        field: String,
    },
    /// A type only the crate pass can settle: a field of a field of a struct declared in
    /// another file, what a function of the crate returns, and what follows from those.
    Chain(Box<TyChain>),
    /// Not known.
    #[default]
    Unknown,
}

/// A type written as the steps that reach it from a fact of another file: `site.root.join(p)`
/// with `Site` declared elsewhere is the field `Site.root`, then `join`'s return. Plain data,
/// independent of other files (summaries carry it); the crate index settles it from the
/// summaries' field types and return types, and from the tables for library methods.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct TyChain {
    /// Where it starts.
    pub base: ChainBase,
    /// What is done to it, in order.
    pub steps: Vec<ChainStep>,
}

/// The fact of another file a [`TyChain`] starts from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ChainBase {
    /// A field of a struct, by the struct's name (last path segment).
    Field {
        /// The struct's name.
        owner: String,
        /// The field.
        field: String,
    },
    /// The value a function or method of the crate returns, by its path as the calling file
    /// resolves it (`crate::config::SiteConfig::from_env`, `crate::Site::config`).
    Returns(String),
}

/// One step of a [`TyChain`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ChainStep {
    /// `.field`.
    Field(String),
    /// `.method(..)`: its return type (a method of the crate, or a table row).
    Method(String),
    /// An item of iterating it (`for entry in dir.read_dir()?`): the table's item type.
    Item,
}

/// How many steps a chain takes before it is given up as unknown: real chains are short.
const MAX_CHAIN_STEPS: usize = 6;

impl TyChain {
    /// The chain of `base` followed by `step` (unknown past [`MAX_CHAIN_STEPS`]).
    pub(crate) fn then(base: &Ty, step: ChainStep) -> Ty {
        let mut chain = match base {
            Ty::Field { owner, field } => TyChain {
                base: ChainBase::Field {
                    owner: owner.clone(),
                    field: field.clone(),
                },
                steps: Vec::new(),
            },
            Ty::Chain(c) if c.steps.len() < MAX_CHAIN_STEPS => (**c).clone(),
            _ => return Ty::Unknown,
        };
        chain.steps.push(step);
        Ty::Chain(Box::new(chain))
    }

    /// The chain that starts with what the crate function `path` returns.
    fn returns(path: String) -> Ty {
        Ty::Chain(Box::new(TyChain {
            base: ChainBase::Returns(path),
            steps: Vec::new(),
        }))
    }
}

/// Can `path` name a type or function of the crate being checked (as opposed to a library)?
fn crate_path(path: &str) -> bool {
    path.starts_with("crate::")
}

impl Ty {
    /// The canonical path, if this is a named type.
    pub fn path(&self) -> Option<&str> {
        match self {
            Ty::Named(p) | Ty::Locked { lock: p, .. } => Some(p),
            _ => None,
        }
    }

    /// The type a guard method `method` called on this value hands out, when this is a lock
    /// whose guard dereferences to a known type.
    pub fn guarded_by(&self, method: &str) -> Option<Ty> {
        match self {
            Ty::Locked { lock, inner } if locks::guards_first_argument(lock, method) => {
                Some(Ty::Named(inner.clone()))
            }
            _ => None,
        }
    }

    fn from_returns(r: Returns, receiver: &Ty) -> Ty {
        match r {
            Returns::Type(t) => Ty::Named(t.into()),
            Returns::Pair(a, b) => Ty::Tuple(vec![Ty::Named(a.into()), Ty::Named(b.into())]),
            Returns::SameAsReceiver => receiver.clone(),
        }
    }
}

/// Struct field types and type aliases of one file, by type name.
#[derive(Debug, Default)]
pub struct TypeTable {
    fields: HashMap<String, HashMap<String, Ty>>,
    aliases: HashMap<String, Ty>,
    /// The written target of each alias with a generic argument (`type Shared =
    /// State<Arc<AppState>>`): an extractor pattern through the alias needs its argument.
    generic_aliases: HashMap<String, syn::Type>,
    /// Enum variants with one unnamed field: (enum, variant) -> the field's type (unknown when
    /// it cannot be told).
    variants: HashMap<(String, String), Ty>,
    /// Statics (`static ARGON: OnceLock<Argon2> = ..`), by name.
    statics: HashMap<String, Ty>,
    /// Functions without parameters that hand out a static of the file (`fn bucket() ->
    /// &'static Mutex<Bucket> { BUCKET.get_or_init(..) }`): function name -> static name.
    static_accessors: HashMap<String, String>,
}

impl TypeTable {
    /// Collects structs and type aliases of every module of the file.
    pub fn new(file: &syn::File, resolver: &mut Resolver) -> Self {
        let mut t = TypeTable::default();
        let root = resolver.current_module.clone();
        let mut accessors = Vec::new();
        t.collect(&file.items, &root, resolver, &mut accessors);
        resolver.current_module = root;
        // Only statics of this file: a function named like another's static says nothing.
        let mut declared = std::collections::HashSet::new();
        collect_static_names(&file.items, &mut declared);
        t.static_accessors = accessors
            .into_iter()
            .filter(|(_, name)| declared.contains(name))
            .collect();
        t
    }

    /// `ty` as written, or, when it names an alias of this file with a generic argument
    /// (`Shared` for `type Shared = State<Arc<AppState>>`), the alias's target.
    pub fn expand_alias<'t>(&'t self, ty: &'t syn::Type) -> &'t syn::Type {
        let syn::Type::Path(p) = ty else { return ty };
        match p.path.segments.iter().collect::<Vec<_>>().as_slice() {
            [only] if p.qself.is_none() && only.arguments.is_none() => self
                .generic_aliases
                .get(&only.ident.to_string())
                .unwrap_or(ty),
            _ => ty,
        }
    }

    /// The static that the parameterless function `name` of this file hands out, if it does.
    pub fn static_accessor(&self, name: &str) -> Option<&str> {
        self.static_accessors.get(name).map(String::as_str)
    }

    fn collect(
        &mut self,
        items: &[syn::Item],
        module: &str,
        resolver: &mut Resolver,
        accessors: &mut Vec<(String, String)>,
    ) {
        resolver.current_module = module.to_string();
        for item in items {
            match item {
                syn::Item::Fn(f) if f.sig.inputs.is_empty() => {
                    if let Some(name) = handed_out_static(&f.block) {
                        accessors.push((f.sig.ident.to_string(), name));
                    }
                }
                syn::Item::Type(alias) => {
                    let ty = self.ty_of(&alias.ty, resolver);
                    self.aliases.insert(alias.ident.to_string(), ty);
                    if alias.generics.params.is_empty() && first_generic(&alias.ty).is_some() {
                        self.generic_aliases
                            .insert(alias.ident.to_string(), (*alias.ty).clone());
                    }
                }
                syn::Item::Struct(s) => {
                    let mut fields = HashMap::default();
                    for (i, f) in s.fields.iter().enumerate() {
                        let name = f
                            .ident
                            .as_ref()
                            .map_or_else(|| i.to_string(), ToString::to_string);
                        let ty = self.ty_of(&f.ty, resolver);
                        if ty != Ty::Unknown {
                            fields.insert(name, ty);
                        }
                    }
                    self.fields.insert(s.ident.to_string(), fields);
                }
                syn::Item::Enum(e) => {
                    for v in &e.variants {
                        if let syn::Fields::Unnamed(f) = &v.fields
                            && f.unnamed.len() == 1
                        {
                            let ty = self.ty_of(&f.unnamed[0].ty, resolver);
                            self.variants
                                .insert((e.ident.to_string(), v.ident.to_string()), ty);
                        }
                    }
                }
                syn::Item::Static(st) => {
                    let ty = self.ty_of(&st.ty, resolver);
                    if ty != Ty::Unknown {
                        self.statics.insert(st.ident.to_string(), ty);
                    }
                }
                syn::Item::Mod(m) => {
                    if let Some((_, inner)) = &m.content {
                        let child = format!("{module}::{}", m.ident);
                        self.collect(inner, &child, resolver, accessors);
                        resolver.current_module = module.to_string();
                    }
                }
                _ => {}
            }
        }
    }

    /// The type of field `name` of the struct whose canonical or plain name is `owner`.
    pub fn field(&self, owner: &str, name: &str) -> Ty {
        let short = crate::path_text::last_segment(owner);
        self.fields
            .get(short)
            .and_then(|f| f.get(name))
            .cloned()
            .unwrap_or_default()
    }

    /// The type of the one field of variant `variant` of the enum named like `owner`, when
    /// this file declares that enum and variant (`Command::Serve(serve::Args)`).
    pub fn variant(&self, owner: &str, variant: &str) -> Option<&Ty> {
        let short = crate::path_text::last_segment(owner);
        self.variants.get(&(short.to_string(), variant.to_string()))
    }

    /// The type of the static `name` declared in this file, if known.
    pub fn static_ty(&self, name: &str) -> Option<&Ty> {
        self.statics.get(name)
    }

    /// Does this file declare a struct named like `owner` (canonical or plain)?
    pub fn declares(&self, owner: &str) -> bool {
        self.fields
            .contains_key(crate::path_text::last_segment(owner))
    }

    /// Every type alias of the file whose target is a named type: (alias, the target's last
    /// path segment). `type AppData = web::Data<Arc<State>>` gives (`AppData`, `State`).
    pub fn named_aliases(&self) -> impl Iterator<Item = (&str, &str)> {
        self.aliases.iter().filter_map(|(alias, ty)| {
            ty.path()
                .map(|p| (alias.as_str(), p.rsplit("::").next().unwrap_or(p)))
        })
    }

    /// Every struct field of the file whose type is a named type: (struct, field, type path,
    /// and for a lock whose guard dereferences to a named type, that type).
    pub fn named_fields(&self) -> impl Iterator<Item = (&str, &str, &str, Option<&str>)> {
        self.fields.iter().flat_map(|(owner, fields)| {
            fields.iter().filter_map(move |(name, ty)| {
                let guarded = match ty {
                    Ty::Locked { inner, .. } => Some(inner.as_str()),
                    _ => None,
                };
                ty.path()
                    .map(|p| (owner.as_str(), name.as_str(), p, guarded))
            })
        })
    }

    /// Converts a written type to a light type.
    pub fn ty_of(&self, ty: &syn::Type, resolver: &Resolver) -> Ty {
        match ty {
            syn::Type::Reference(r) => self.ty_of(&r.elem, resolver),
            syn::Type::Paren(p) => self.ty_of(&p.elem, resolver),
            syn::Type::Group(g) => self.ty_of(&g.elem, resolver),
            syn::Type::Tuple(t) => {
                Ty::Tuple(t.elems.iter().map(|e| self.ty_of(e, resolver)).collect())
            }
            syn::Type::Path(p) if p.qself.is_none() => {
                let Some(last) = p.path.segments.last() else {
                    return Ty::Unknown;
                };
                let name = last.ident.to_string();
                if table::TRANSPARENT_WRAPPERS.contains(&name.as_str()) || name == "Result" {
                    if let syn::PathArguments::AngleBracketed(args) = &last.arguments
                        && let Some(syn::GenericArgument::Type(inner)) = args.args.first()
                    {
                        return self.ty_of(inner, resolver);
                    }
                    return Ty::Unknown;
                }
                if p.path.segments.len() == 1
                    && let Some(alias) = self.aliases.get(&name)
                {
                    return alias.clone();
                }
                let path = resolver.resolve(&p.path);
                if table::SHARED_STATE_WRAPPERS.contains(&path.as_str()) {
                    return first_generic(ty)
                        .map_or(Ty::Unknown, |inner| self.ty_of(inner, resolver));
                }
                // Only a library type the tables know: a crate's own type reached through a
                // lock stays as before (measured on the field sets, following its methods
                // through guards added start-up noise and nothing worth acting on).
                if locks::guard_is_first_argument(&path)
                    && let Some(Ty::Named(inner)) =
                        first_generic(ty).map(|inner| self.ty_of(inner, resolver))
                    && resolver.knowledge().is_known_path(&inner)
                {
                    return Ty::Locked { lock: path, inner };
                }
                Ty::Named(path)
            }
            _ => Ty::Unknown,
        }
    }
}

/// Names of every static of `items`, inline modules included.
fn collect_static_names(items: &[syn::Item], out: &mut std::collections::HashSet<String>) {
    for item in items {
        match item {
            syn::Item::Static(st) => {
                out.insert(st.ident.to_string());
            }
            syn::Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    collect_static_names(inner, out);
                }
            }
            _ => {}
        }
    }
}

/// The static a function body hands out as its value: `&NAME`, `&*NAME`,
/// `NAME.get_or_init(..)`, `NAME.get().unwrap()` (a `OnceLock`/`LazyLock` initialised there or
/// elsewhere).
fn handed_out_static(body: &syn::Block) -> Option<String> {
    let mut e = block_value(body)?;
    for _ in 0..6 {
        e = match e {
            syn::Expr::Reference(r) => &r.expr,
            syn::Expr::Paren(p) => &p.expr,
            syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => &u.expr,
            syn::Expr::MethodCall(m)
                if matches!(
                    m.method.to_string().as_str(),
                    "get_or_init" | "get" | "unwrap" | "expect" | "deref"
                ) =>
            {
                &m.receiver
            }
            syn::Expr::Path(p) if p.qself.is_none() => {
                return p.path.get_ident().map(ToString::to_string);
            }
            _ => return None,
        };
    }
    None
}

/// Bindings in scope with their light types, innermost scope last.
#[derive(Debug, Clone, Default)]
pub struct TypeEnv {
    scopes: Vec<Vec<(String, Ty)>>,
    /// The `Self` type of the enclosing `impl`, if known.
    pub self_ty: Option<String>,
}

impl TypeEnv {
    /// Opens a scope.
    pub fn push(&mut self) {
        self.scopes.push(Vec::new());
    }

    /// Closes the innermost scope.
    pub fn pop(&mut self) {
        self.scopes.pop();
    }

    /// Binds `name` (shadowing earlier bindings).
    pub fn bind(&mut self, name: String, ty: Ty) {
        if self.scopes.is_empty() {
            self.scopes.push(Vec::new());
        }
        if let Some(s) = self.scopes.last_mut() {
            s.push((name, ty));
        }
    }

    /// The type of binding `name`.
    pub fn get(&self, name: &str) -> Ty {
        for scope in self.scopes.iter().rev() {
            if let Some((_, t)) = scope.iter().rev().find(|(n, _)| n == name) {
                return t.clone();
            }
        }
        Ty::Unknown
    }

    /// The field type of the enum variant a one-field tuple pattern names, matched against a
    /// value of type `ty`: `Self::Variant` names a variant of the `impl`'s type, `Enum::Variant`
    /// of `Enum`, a bare `Variant` of the matched value's type.
    fn variant_field(&self, path: &syn::Path, ty: &Ty, types: &TypeTable) -> Option<Ty> {
        let segments = super::resolve::segments(path);
        let (variant, owner) = match segments.as_slice() {
            [.., owner, variant] if owner == "Self" => (variant, self.self_ty.clone()?),
            [.., owner, variant] => (variant, owner.clone()),
            [variant] => (variant, ty.path()?.to_string()),
            [] => return None,
        };
        types.variant(&owner, variant).cloned()
    }

    /// Binds every identifier of `pat` to the matching part of `ty`.
    pub fn bind_pat(&mut self, pat: &syn::Pat, ty: Ty, types: &TypeTable, resolver: &Resolver) {
        match pat {
            syn::Pat::Ident(i) => {
                if let Some((_, sub)) = &i.subpat {
                    self.bind_pat(sub, ty.clone(), types, resolver);
                }
                self.bind(i.ident.to_string(), ty);
            }
            syn::Pat::Type(t) => {
                // `State(state): State<AppState>`: the extractor's one field has the type of
                // its one generic argument.
                if let (syn::Pat::TupleStruct(ts), Some(inner)) =
                    (&*t.pat, first_generic(types.expand_alias(&t.ty)))
                    && ts.elems.len() == 1
                {
                    let inner = types.ty_of(inner, resolver);
                    self.bind_pat(&ts.elems[0], inner, types, resolver);
                    return;
                }
                let annotated = types.ty_of(&t.ty, resolver);
                let ty = if annotated == Ty::Unknown {
                    ty
                } else {
                    annotated
                };
                self.bind_pat(&t.pat, ty, types, resolver);
            }
            syn::Pat::Reference(r) => self.bind_pat(&r.pat, ty, types, resolver),
            syn::Pat::Paren(p) => self.bind_pat(&p.pat, ty, types, resolver),
            syn::Pat::Tuple(t) => {
                let parts = match ty {
                    Ty::Tuple(parts) => parts,
                    _ => Vec::new(),
                };
                for (i, p) in t.elems.iter().enumerate() {
                    self.bind_pat(
                        p,
                        parts.get(i).cloned().unwrap_or_default(),
                        types,
                        resolver,
                    );
                }
            }
            // `Self::Serve(args)`, `Command::Serve(args)` of an enum this file declares: the
            // variant's field type.
            syn::Pat::TupleStruct(ts)
                if ts.elems.len() == 1
                    && let Some(field) = self.variant_field(&ts.path, &ty, types) =>
            {
                self.bind_pat(&ts.elems[0], field, types, resolver);
            }
            // `Ok(x)`/`Some(x)` patterns: light types already peel `Result`.
            syn::Pat::TupleStruct(ts) => {
                for p in &ts.elems {
                    self.bind_pat(
                        p,
                        if ts.elems.len() == 1 {
                            ty.clone()
                        } else {
                            Ty::Unknown
                        },
                        types,
                        resolver,
                    );
                }
            }
            syn::Pat::Struct(s) => {
                for f in &s.fields {
                    self.bind_pat(&f.pat, Ty::Unknown, types, resolver);
                }
            }
            syn::Pat::Slice(s) => {
                for p in &s.elems {
                    self.bind_pat(p, Ty::Unknown, types, resolver);
                }
            }
            syn::Pat::Or(o) => {
                for p in &o.cases {
                    self.bind_pat(p, Ty::Unknown, types, resolver);
                }
            }
            _ => {}
        }
    }
}

/// Infers the light type of an expression.
pub fn infer(expr: &syn::Expr, env: &TypeEnv, types: &TypeTable, resolver: &Resolver) -> Ty {
    infer_within(expr, env, types, resolver, MAX_INFER_DEPTH)
}

/// How far inference follows receivers and wrappers. Every call site infers its receiver, so
/// an unbounded walk would make a long method chain quadratic; real chains are far shorter.
const MAX_INFER_DEPTH: usize = 64;

/// A unit struct used as a value (`Pbkdf2.verify_password(..)` after `use pbkdf2::Pbkdf2;`):
/// its type is the imported path, when the tables know that type.
fn unit_struct_value(path: &syn::Path, name: &str, resolver: &Resolver) -> Ty {
    if !name.starts_with(char::is_uppercase) {
        return Ty::Unknown;
    }
    let resolved = resolver.resolve(path);
    if resolved.contains("::") && resolver.knowledge().is_known_path(&resolved) {
        Ty::Named(resolved)
    } else {
        Ty::Unknown
    }
}

/// `Pbkdf2::SHA512`, `Params::DEFAULT`: an associated constant named in upper snake case, of a
/// type a table knows, is a preset of that type by Rust's naming convention (a `const` of the
/// type's own `impl`), so the value is of the type. Another constant's type is not guessed.
fn associated_const_value(path: &syn::Path, resolver: &Resolver) -> Ty {
    let n = path.segments.len();
    if n < 2 {
        return Ty::Unknown;
    }
    let constant = path.segments[n - 1].ident.to_string();
    let upper_snake = constant
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && constant.starts_with(|c: char| c.is_ascii_uppercase());
    let owner = path.segments[n - 2].ident.to_string();
    if !upper_snake || !owner.starts_with(char::is_uppercase) || owner == "Self" {
        return Ty::Unknown;
    }
    let mut ty = path.clone();
    ty.segments.pop();
    ty.segments.pop_punct();
    unit_struct_value(&ty, &owner, resolver)
}

fn infer_within(
    expr: &syn::Expr,
    env: &TypeEnv,
    types: &TypeTable,
    resolver: &Resolver,
    depth: usize,
) -> Ty {
    let Some(depth) = depth.checked_sub(1) else {
        return Ty::Unknown;
    };
    let infer = |e: &syn::Expr, env: &TypeEnv, types: &TypeTable, resolver: &Resolver| {
        infer_within(e, env, types, resolver, depth)
    };
    match expr {
        syn::Expr::Path(p) if p.qself.is_none() => {
            if let Some(ident) = p.path.get_ident() {
                let name = ident.to_string();
                if name == "self" {
                    return env.self_ty.clone().map(Ty::Named).unwrap_or_default();
                }
                return match env.get(&name) {
                    Ty::Unknown => types
                        .static_ty(&name)
                        .cloned()
                        .unwrap_or_else(|| unit_struct_value(&p.path, &name, resolver)),
                    known => known,
                };
            }
            associated_const_value(&p.path, resolver)
        }
        syn::Expr::Field(f) => {
            let base = infer(&f.base, env, types, resolver);
            let member = match &f.member {
                syn::Member::Named(i) => i.to_string(),
                syn::Member::Unnamed(i) => i.index.to_string(),
            };
            match base {
                Ty::Named(owner) if let Some(ty) = table::library_field(&owner, &member) => {
                    Ty::Named(ty.to_string())
                }
                Ty::Named(owner) => match types.field(&owner, &member) {
                    Ty::Unknown
                        if !types.declares(&owner)
                            && (owner.starts_with("crate::") || !owner.contains("::")) =>
                    {
                        Ty::Field {
                            owner: owner.rsplit("::").next().unwrap_or(&owner).to_string(),
                            field: member,
                        }
                    }
                    known => known,
                },
                Ty::Tuple(parts) => member
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| parts.get(i).cloned())
                    .unwrap_or_default(),
                // `site.config.root`, `load()?.root`: settled by the crate pass.
                base @ (Ty::Field { .. } | Ty::Chain(_)) => {
                    TyChain::then(&base, ChainStep::Field(member))
                }
                Ty::Locked { .. } | Ty::Unknown => Ty::Unknown,
            }
        }
        syn::Expr::Paren(p) => infer(&p.expr, env, types, resolver),
        syn::Expr::Group(g) => infer(&g.expr, env, types, resolver),
        syn::Expr::Reference(r) => infer(&r.expr, env, types, resolver),
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => {
            infer(&u.expr, env, types, resolver)
        }
        syn::Expr::Try(t) => infer(&t.expr, env, types, resolver),
        // `report!(ImageReader::new(r).with_guessed_format())?`: a crate's wrapper macro around
        // one expression keeps that expression's value (see `passes_value_through`).
        syn::Expr::Macro(m) => {
            let name = m
                .mac
                .path
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default();
            if !crate::knowledge::macros::passes_value_through(&name) {
                return Ty::Unknown;
            }
            m.mac
                .parse_body::<syn::Expr>()
                .map_or(Ty::Unknown, |inner| infer(&inner, env, types, resolver))
        }
        // `db.lock().await`: an async lock's guard, the value behind the lock. Other awaited
        // values stay unknown (a future's output is not what the tables record).
        syn::Expr::Await(a) => match &*a.base {
            syn::Expr::MethodCall(m)
                if locks::ASYNC_GUARD_METHODS.contains(&m.method.to_string().as_str()) =>
            {
                match infer(&m.receiver, env, types, resolver) {
                    recv @ Ty::Locked { .. } => {
                        recv.guarded_by(&m.method.to_string()).unwrap_or_default()
                    }
                    // A field typed in another file: the crate pass settles the lock step.
                    recv @ (Ty::Field { .. } | Ty::Chain(_)) => {
                        TyChain::then(&recv, ChainStep::Method(m.method.to_string()))
                    }
                    _ => Ty::Unknown,
                }
            }
            _ => Ty::Unknown,
        },
        syn::Expr::Tuple(t) => Ty::Tuple(
            t.elems
                .iter()
                .map(|e| infer(e, env, types, resolver))
                .collect(),
        ),
        syn::Expr::MethodCall(m) => {
            let method = m.method.to_string();
            let recv = infer(&m.receiver, env, types, resolver);
            if table::VALUE_PASSTHROUGH.contains(&method.as_str()) {
                return recv;
            }
            if let Some(inner) = recv.guarded_by(&method) {
                return inner;
            }
            match &recv {
                Ty::Named(path) => match resolver.knowledge().method_returns(path, &method) {
                    Some(r) => Ty::from_returns(r, &recv),
                    // A method of the crate's own type: what it returns is in its signature,
                    // perhaps in another file.
                    None if crate_path(path) => TyChain::returns(format!("{path}::{method}")),
                    None => Ty::Unknown,
                },
                Ty::Locked { lock, .. } => match resolver.knowledge().method_returns(lock, &method)
                {
                    Some(r) => Ty::from_returns(r, &recv),
                    None => Ty::Unknown,
                },
                Ty::Field { .. } | Ty::Chain(_) => TyChain::then(&recv, ChainStep::Method(method)),
                Ty::Tuple(_) | Ty::Unknown => Ty::Unknown,
            }
        }
        syn::Expr::Call(c) => {
            let syn::Expr::Path(p) = &*c.func else {
                return Ty::Unknown;
            };
            if p.qself.is_some() {
                return Ty::Unknown;
            }
            let path = resolver.resolve(&p.path);
            if let Some(r) = resolver.knowledge().returns_for_function(&path) {
                return Ty::from_returns(r, &Ty::Unknown);
            }
            // A compression stream over memory finishes without I/O: typed apart from one
            // over a file, which the blocking rows name.
            if crate::knowledge::blocking::wraps_first_argument(&path)
                && c.args
                    .first()
                    .is_some_and(|a| in_memory(a, env, types, resolver, depth))
            {
                return Ty::Named(crate::knowledge::blocking::IN_MEMORY_CODER.into());
            }
            let segments = &p.path.segments;
            if segments.len() >= 2 {
                let assoc = segments[segments.len() - 1].ident.to_string();
                let owner = segments[segments.len() - 2].ident.to_string();
                if table::IO_WRAPPERS.contains(&owner.as_str()) {
                    let inner = match assoc.as_str() {
                        "new" => c.args.first(),
                        "with_capacity" => c.args.iter().nth(1),
                        _ => None,
                    };
                    return inner.map_or(Ty::Unknown, |a| infer(a, env, types, resolver));
                }
                if table::TRANSPARENT_WRAPPERS.contains(&owner.as_str())
                    && (assoc == "new" || assoc == "clone" || assoc == "from")
                {
                    return c
                        .args
                        .first()
                        .map_or(Ty::Unknown, |a| infer(a, env, types, resolver));
                }
                if table::SELF_CONSTRUCTORS.contains(&assoc.as_str()) || assoc.starts_with("new_") {
                    if owner == "Self" {
                        return env.self_ty.clone().map(Ty::Named).unwrap_or_default();
                    }
                    if let Some(owner_path) = path.rsplit_once("::").map(|(o, _)| o.to_string()) {
                        return Ty::Named(owner_path);
                    }
                }
                // `Self::from_env()`: the `impl`'s function.
                if owner == "Self"
                    && segments.len() == 2
                    && let Some(self_ty) = &env.self_ty
                    && crate_path(self_ty)
                {
                    return TyChain::returns(format!("{self_ty}::{assoc}"));
                }
            }
            // `config::SiteConfig::from_env()`, `crate::open_db()`: the crate function's
            // declared return type, perhaps in another file.
            if crate_path(&path) {
                return TyChain::returns(path);
            }
            Ty::Unknown
        }
        syn::Expr::Cast(c) => types.ty_of(&c.ty, resolver),
        // `if cfg { Argon2::default() } else { Argon2::new(..) }`, `match`, a block: the type
        // its branches' values agree on (a branch that diverges, `return`, `panic!()`, or whose
        // type is not known, does not count against it; none known gives none).
        syn::Expr::Block(b) if b.label.is_none() => {
            block_value(&b.block).map_or(Ty::Unknown, |tail| infer(tail, env, types, resolver))
        }
        syn::Expr::If(i) => {
            let Some((_, els)) = &i.else_branch else {
                return Ty::Unknown;
            };
            let then = block_value(&i.then_branch)
                .map_or(Ty::Unknown, |tail| infer(tail, env, types, resolver));
            agree([then, infer(els, env, types, resolver)])
        }
        syn::Expr::Match(m) => agree(
            m.arms
                .iter()
                .map(|arm| infer(&arm.body, env, types, resolver)),
        ),
        // `Store { .. }`, `Self { .. }`: a value of the named struct.
        syn::Expr::Struct(s) if s.qself.is_none() => {
            if s.path.is_ident("Self") {
                return env.self_ty.clone().map(Ty::Named).unwrap_or_default();
            }
            Ty::Named(resolver.resolve(&s.path))
        }
        _ => Ty::Unknown,
    }
}

/// Line/column positions (1-based line, 0-based column) of a syntax node's first and last
/// character: cheap to keep, turned into a full [`Span`](crate::Span) only when reported.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Loc {
    /// Start (line, column).
    pub start: (usize, usize),
    /// End (line, column).
    pub end: (usize, usize),
}

impl Loc {
    /// The location of a syntax node.
    pub fn of(node: &impl syn::spanned::Spanned) -> Loc {
        Loc::from_span(node.span())
    }

    /// The location of an expression: what [`Loc::of`] gives, without tokenising a plain path
    /// (`foo`, `a::b::c`, the callee of most calls).
    pub fn expr(e: &syn::Expr) -> Loc {
        if let syn::Expr::Path(p) = e
            && p.attrs.is_empty()
            && p.qself.is_none()
            && let Some(last) = p.path.segments.last()
            && p.path.segments.iter().all(|s| s.arguments.is_none())
        {
            let start = match (&p.path.leading_colon, p.path.segments.first()) {
                (Some(colon), _) => colon.spans[0],
                (None, Some(first)) => first.ident.span(),
                (None, None) => last.ident.span(),
            };
            return Loc::between(start, last.ident.span());
        }
        Loc::of(e)
    }

    /// The location of a `let` statement from `let` to `;` (attributes, if any, come before
    /// `let`: ask [`Loc::of`] then).
    pub fn local(l: &syn::Local) -> Loc {
        Loc::between(l.let_token.span, l.semi_token.span)
    }

    /// The location of a block, from its opening to its closing brace: what [`Loc::of`] gives,
    /// without re-tokenising the block's statements.
    pub fn block(b: &syn::Block) -> Loc {
        Loc::between(b.brace_token.span.open(), b.brace_token.span.close())
    }

    /// The location of a proc-macro2 span.
    pub fn from_span(span: proc_macro2::Span) -> Loc {
        let (s, e) = (span.start(), span.end());
        Loc {
            start: (s.line, s.column),
            end: (e.line, e.column),
        }
    }

    /// The location of a call, from its first token to its closing parenthesis.
    ///
    /// Unlike [`Loc::of`], this costs no re-tokenising of the arguments (which may hold whole
    /// async blocks), so recording every call stays linear in the file's size.
    pub fn call(c: &syn::ExprCall) -> Loc {
        Loc::between(first_token(&c.func), c.paren_token.span.close())
    }

    /// The location of a method call, from the start of its receiver chain to its closing
    /// parenthesis.
    pub fn method_call(m: &syn::ExprMethodCall) -> Loc {
        Loc::between(first_token(&m.receiver), m.paren_token.span.close())
    }

    /// The location of a macro invocation, from its path to its closing delimiter.
    pub fn mac(m: &syn::Macro) -> Loc {
        let start = m
            .path
            .segments
            .first()
            .map_or_else(|| m.delimiter.span().open(), |s| s.ident.span());
        Loc::between(start, m.delimiter.span().close())
    }

    /// Does this location contain `inner` (both ends included)?
    ///
    /// ```
    /// use asyncwise_lint::model::Loc;
    /// let body = Loc { start: (3, 0), end: (9, 1) };
    /// assert!(body.encloses(Loc { start: (4, 4), end: (4, 20) }));
    /// assert!(!body.encloses(Loc { start: (8, 4), end: (10, 2) }));
    /// ```
    pub fn encloses(&self, inner: Loc) -> bool {
        self.start <= inner.start && inner.end <= self.end
    }

    fn between(start: proc_macro2::Span, end: proc_macro2::Span) -> Loc {
        let (s, e) = (start.start(), end.end());
        Loc {
            start: (s.line, s.column),
            end: (e.line, e.column),
        }
    }
}

/// The value expression of a block: its tail expression (no `;`).
fn block_value(b: &syn::Block) -> Option<&syn::Expr> {
    match b.stmts.last()? {
        syn::Stmt::Expr(e, None) => Some(e),
        _ => None,
    }
}

/// The one named type the known ones of `tys` agree on; unknown when none is known or two
/// known ones differ.
fn agree(tys: impl IntoIterator<Item = Ty>) -> Ty {
    let mut found = Ty::Unknown;
    for ty in tys {
        match (&found, ty) {
            // What the crate pass may settle does not count against a known type.
            (_, Ty::Unknown) | (Ty::Named(_), Ty::Chain(_)) => {}
            (Ty::Chain(_), known @ Ty::Named(_)) => found = known,
            (Ty::Unknown, known) => found = known,
            (seen, known) if *seen == known => {}
            _ => return Ty::Unknown,
        }
    }
    found
}

/// Is `e` bytes in memory: a slice of a buffer (`&bytes[..]`, `buf.as_slice()`), a byte
/// string, `vec![..]`, or a value of one of the
/// [`MEMORY_BUFFER_TYPES`](crate::knowledge::blocking::MEMORY_BUFFER_TYPES) (`Vec::new()`, a
/// `Vec` bound by a `let`, `Cursor::new(..)`), also behind `&`/`&mut`?
fn in_memory(
    e: &syn::Expr,
    env: &TypeEnv,
    types: &TypeTable,
    resolver: &Resolver,
    depth: usize,
) -> bool {
    match e {
        syn::Expr::Reference(r) => in_memory(&r.expr, env, types, resolver, depth),
        syn::Expr::Paren(p) => in_memory(&p.expr, env, types, resolver, depth),
        syn::Expr::Index(_) => true,
        syn::Expr::Lit(l) => matches!(l.lit, syn::Lit::ByteStr(_)),
        syn::Expr::Macro(m) => m.mac.path.is_ident("vec"),
        syn::Expr::MethodCall(m)
            if matches!(
                m.method.to_string().as_str(),
                "as_slice" | "as_mut_slice" | "as_bytes" | "to_vec"
            ) =>
        {
            true
        }
        _ => match infer_within(e, env, types, resolver, depth) {
            Ty::Named(path) => crate::knowledge::blocking::MEMORY_BUFFER_TYPES
                .contains(&crate::path_text::last_segment(&path)),
            _ => false,
        },
    }
}

fn first_generic(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(p) = ty else { return None };
    let syn::PathArguments::AngleBracketed(args) = &p.path.segments.last()?.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(t) => Some(t),
        _ => None,
    }
}

/// The span of an expression's first token, found without tokenising the expression.
fn first_token(e: &syn::Expr) -> proc_macro2::Span {
    use syn::spanned::Spanned as _;
    match e {
        syn::Expr::MethodCall(m) => first_token(&m.receiver),
        syn::Expr::Call(c) => first_token(&c.func),
        syn::Expr::Field(f) => first_token(&f.base),
        syn::Expr::Await(a) => first_token(&a.base),
        syn::Expr::Try(t) => first_token(&t.expr),
        syn::Expr::Index(i) => first_token(&i.expr),
        syn::Expr::Paren(p) => p.paren_token.span.open(),
        syn::Expr::Path(p) => match (&p.qself, p.path.leading_colon, p.path.segments.first()) {
            (Some(q), _, _) => q.lt_token.span,
            (None, Some(c), _) => c.spans[0],
            (None, None, Some(seg)) => seg.ident.span(),
            (None, None, None) => e.span(),
        },
        syn::Expr::Macro(m) => m
            .mac
            .path
            .segments
            .first()
            .map_or_else(|| e.span(), |s| s.ident.span()),
        syn::Expr::Lit(l) => l.lit.span(),
        syn::Expr::Reference(r) => r.and_token.span,
        syn::Expr::Unary(u) => match u.op {
            syn::UnOp::Deref(t) => t.span,
            syn::UnOp::Not(t) => t.span,
            syn::UnOp::Neg(t) => t.span,
            _ => e.span(),
        },
        _ => e.span(),
    }
}
