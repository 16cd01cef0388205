//! Name resolution: turns the paths a user wrote into canonical paths, through `use`
//! declarations (renames, groups, globs of known modules), local items that shadow imports and
//! the prelude, and `self::`/`super::`/`crate::` prefixes.
//!
//! Modules are keyed by their path inside the file (`crate`, `crate::net`, ...). A file that is
//! not the crate root still calls its top module `crate`: only the distinction between local
//! items and external crates matters for the rules.

/// Maps keyed by names of the file being checked: a fast, fixed hasher (foldhash), as in the
/// crate index; lookups happen for every path the walker resolves.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;

use std::sync::Arc;

use crate::knowledge::Knowledge;

/// The names visible in one module or block.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    names: HashMap<String, String>,
    globs: Vec<String>,
    /// Names a `use` has bound, with whether another `use` bound them to a different path
    /// (possible only under `#[cfg(..)]` alternatives).
    imported: HashMap<String, bool>,
    /// Aliases of `extern crate real_name as alias;` declared here.
    extern_renames: Vec<String>,
}

impl Scope {
    /// Adds the items and `use` declarations of `items` (declared in module `module`).
    pub fn add_items<'a>(&mut self, module: &str, items: impl IntoIterator<Item = &'a syn::Item>) {
        let mut local_items = Vec::new();
        for item in items {
            if !matches!(item, syn::Item::Use(_) | syn::Item::ExternCrate(_))
                && let Some(ident) = item_ident(item)
            {
                local_items.push(ident);
            }
            match item {
                syn::Item::Use(u) => {
                    self.add_use_tree(module, &mut Vec::new(), u.leading_colon.is_some(), &u.tree)
                }
                // `extern crate real_name as alias;` names the external crate (in the crate
                // root it also puts `alias` in the extern prelude of every file).
                syn::Item::ExternCrate(e) if e.rename.is_some() => {
                    if let Some((_, alias)) = &e.rename {
                        let real = match e.ident.to_string().as_str() {
                            "self" => "crate".to_string(),
                            other => other.to_string(),
                        };
                        self.names.insert(alias.to_string(), real);
                        self.extern_renames.push(alias.to_string());
                    }
                }
                other => {
                    if let Some(ident) = item_ident(other) {
                        self.names
                            .insert(ident.clone(), format!("{module}::{ident}"));
                    }
                }
            }
        }
        // `use setup::install;` names the module `setup` declared right here (2018 paths).
        let local = |path: &str| {
            let first = crate::path_text::first_segment(path);
            local_items.iter().any(|i| i == first)
        };
        for target in self.names.values_mut() {
            if local(target) {
                *target = format!("{module}::{target}");
            }
        }
        for glob in &mut self.globs {
            if local(glob) {
                *glob = format!("{module}::{glob}");
            }
        }
        // `#[cfg(feature = "sync")] use std::sync::RwLock;` beside `#[cfg(not(..))] use
        // tokio::sync::RwLock;`: which one is compiled depends on the build, so the name stays
        // unresolved rather than taking whichever came last.
        for (name, ambiguous) in &self.imported {
            if *ambiguous {
                self.names.insert(name.clone(), name.clone());
            }
        }
    }

    /// Binds `name` to `path` for a `use`, noting a second import of it from elsewhere.
    fn import(&mut self, name: String, path: String) {
        let differs = self.names.get(&name).is_some_and(|old| *old != path);
        let seen = self.imported.entry(name.clone()).or_insert(false);
        *seen |= differs;
        self.names.insert(name, path);
    }

    fn add_use_tree(
        &mut self,
        module: &str,
        prefix: &mut Vec<String>,
        absolute: bool,
        tree: &syn::UseTree,
    ) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.add_use_tree(module, prefix, absolute, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let name = n.ident.to_string();
                if name == "self" {
                    if let Some(last) = prefix.last().cloned() {
                        let path = expand_use_prefix(module, prefix, absolute);
                        self.import(last, path);
                    }
                } else {
                    prefix.push(name.clone());
                    let path = expand_use_prefix(module, prefix, absolute);
                    self.import(name, path);
                    prefix.pop();
                }
            }
            syn::UseTree::Rename(r) => {
                let alias = r.rename.to_string();
                if alias == "_" {
                    return;
                }
                let name = r.ident.to_string();
                if name == "self" {
                    let path = expand_use_prefix(module, prefix, absolute);
                    self.import(alias, path);
                } else {
                    prefix.push(name);
                    let path = expand_use_prefix(module, prefix, absolute);
                    self.import(alias, path);
                    prefix.pop();
                }
            }
            syn::UseTree::Glob(_) => self.globs.push(expand_use_prefix(module, prefix, absolute)),
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.add_use_tree(module, prefix, absolute, t);
                }
            }
        }
    }

    /// True if this scope declares nothing (blocks without items need no scope).
    pub fn is_empty(&self) -> bool {
        self.names.is_empty() && self.globs.is_empty()
    }
}

fn item_ident(item: &syn::Item) -> Option<String> {
    let ident = match item {
        syn::Item::Fn(f) => &f.sig.ident,
        syn::Item::Mod(m) => &m.ident,
        syn::Item::Struct(s) => &s.ident,
        syn::Item::Enum(e) => &e.ident,
        syn::Item::Union(u) => &u.ident,
        syn::Item::Trait(t) => &t.ident,
        syn::Item::Type(t) => &t.ident,
        syn::Item::Const(c) => &c.ident,
        syn::Item::Static(s) => &s.ident,
        syn::Item::ExternCrate(e) => {
            return e.rename.as_ref().map(|(_, r)| r.to_string());
        }
        _ => return None,
    };
    Some(ident.to_string())
}

fn expand_use_prefix(module: &str, segments: &[String], absolute: bool) -> String {
    if absolute {
        return segments.join("::");
    }
    let mut base = match segments.first().map(String::as_str) {
        Some("crate") => "crate".to_string(),
        Some("self") => module.to_string(),
        Some("super") => parent(module),
        _ => return segments.join("::"),
    };
    let mut rest = &segments[1..];
    while rest.first().map(String::as_str) == Some("super") {
        base = parent(&base);
        rest = &rest[1..];
    }
    for s in rest {
        base.push_str("::");
        base.push_str(s);
    }
    base
}

fn parent(module: &str) -> String {
    match crate::path_text::rfind_separator(module) {
        Some(i) => module[..i].to_string(),
        None => module.to_string(),
    }
}

/// How many lookup steps one resolution may take through local modules, their imports and
/// their glob imports (`use super::*` in nested test modules). Modules may import each other in
/// cycles, so every step of every path through the lookup spends from this one budget.
const LOOKUP_BUDGET: usize = 16;

/// Standard prelude names whose canonical path matters to the rules.
const PRELUDE: &[(&str, &str)] = &[
    ("drop", "std::mem::drop"),
    ("Box", "std::boxed::Box"),
    ("Vec", "std::vec::Vec"),
    ("String", "std::string::String"),
    ("Option", "std::option::Option"),
    ("Result", "std::result::Result"),
];

/// Resolves paths: module scopes (pre-computed for every module of the file) plus a stack of
/// block scopes for the code being walked.
#[derive(Debug)]
pub struct Resolver {
    modules: HashMap<String, Scope>,
    /// Every proper `::`-prefix of a module path in `modules` (`crate` and `crate::net` for
    /// `crate::net::tcp`): the only paths a child lookup can succeed from.
    parents: std::collections::HashSet<String, foldhash::fast::FixedState>,
    /// The module being walked.
    pub current_module: String,
    blocks: Vec<Scope>,
    /// Glob imports of external modules resolve a name only to what these tables know.
    knowledge: Arc<Knowledge>,
}

impl Resolver {
    /// Builds the module scopes of a file that is the crate root.
    #[cfg(test)]
    pub fn new(file: &syn::File) -> Self {
        Self::with_root(file, "crate", Knowledge::builtin())
    }

    /// Builds the module scopes of a file whose top module is `root` (`crate::net::tcp` for
    /// `src/net/tcp.rs`): local items resolve to their crate path and `super::` leaves the file,
    /// while a path the user writes with `crate::` stays as written.
    pub fn with_root(file: &syn::File, root: &str, knowledge: Arc<Knowledge>) -> Self {
        let mut r = Resolver {
            modules: HashMap::default(),
            parents: Default::default(),
            current_module: root.into(),
            blocks: Vec::new(),
            knowledge,
        };
        r.add_module(root, &file.items);
        r
    }

    fn add_module(&mut self, path: &str, items: &[syn::Item]) {
        let mut scope = Scope::default();
        scope.add_items(path, items);
        self.modules.insert(path.to_string(), scope);
        // Every `::`-prefix of a module's path may be asked for this child.
        let mut end = path.len();
        while let Some(at) = crate::path_text::rfind_separator(&path[..end]) {
            self.parents.insert(path[..at].to_string());
            end = at;
        }
        for item in items {
            if let syn::Item::Mod(m) = item
                && let Some((_, inner)) = &m.content
            {
                self.add_module(&format!("{path}::{}", m.ident), inner);
            }
        }
    }

    /// Pushes a block scope (items and `use`s declared inside a block).
    pub fn push_block(&mut self, scope: Scope) {
        self.blocks.push(scope);
    }

    /// Pops the innermost block scope.
    pub fn pop_block(&mut self) {
        self.blocks.pop();
    }

    /// Resolves a path given as segments to its canonical form.
    pub fn resolve_segments(&self, segments: &[String], absolute: bool) -> String {
        if absolute || segments.is_empty() {
            return segments.join("::");
        }
        let first = segments[0].as_str();
        match first {
            "crate" => return self.resolve_in_module("crate", &segments[1..], LOOKUP_BUDGET),
            "self" => {
                return self.resolve_in_module(&self.current_module, &segments[1..], LOOKUP_BUDGET);
            }
            "super" => {
                let mut module = parent(&self.current_module);
                let mut rest = &segments[1..];
                while rest.first().map(String::as_str) == Some("super") {
                    module = parent(&module);
                    rest = &rest[1..];
                }
                return self.resolve_in_module(&module, rest, LOOKUP_BUDGET);
            }
            _ => {}
        }
        let scopes = self
            .blocks
            .iter()
            .rev()
            .chain(self.modules.get(&self.current_module));
        for scope in scopes.clone() {
            if let Some(base) = scope.names.get(first) {
                return self.follow_local(join(base, &segments[1..]), LOOKUP_BUDGET);
            }
        }
        for scope in scopes {
            if let Some(found) = self.through_globs(&scope.globs, segments, LOOKUP_BUDGET) {
                return found;
            }
        }
        if let Some((_, p)) = PRELUDE.iter().find(|(n, _)| *n == first) {
            return join(p, &segments[1..]);
        }
        segments.join("::")
    }

    /// A name imported from a module of this file (`use super::unbounded as q;`) is resolved
    /// again in that module, so re-exports of `use`d names are followed.
    fn follow_local(&self, path: String, budget: usize) -> String {
        let Some(budget) = budget.checked_sub(1) else {
            return path;
        };
        if path == "crate" || !path.starts_with("crate::") {
            return path;
        }
        // Borrowed segments, on the stack for paths of up to 8 segments: this runs for every
        // name imported from the crate.
        let mut inline = [""; 8];
        let mut count = 0;
        let mut spilled = Vec::new();
        for segment in path_segments(&path).skip(1) {
            if count < inline.len() && spilled.is_empty() {
                inline[count] = segment;
                count += 1;
            } else {
                if spilled.is_empty() {
                    spilled.extend_from_slice(&inline[..count]);
                }
                spilled.push(segment);
            }
        }
        let segments = if spilled.is_empty() {
            &inline[..count]
        } else {
            &spilled[..]
        };
        let resolved = self.resolve_in_module("crate", segments, budget);
        if resolved.starts_with("crate::") {
            path
        } else {
            resolved
        }
    }

    /// Resolves `segments` through glob imports: an external module's glob covers the name only
    /// if a knowledge table knows the result; a local module's glob (`use super::*;` in test
    /// modules, possibly nested) looks the name up in that module, its imports and its globs.
    fn through_globs<S: AsRef<str>>(
        &self,
        globs: &[String],
        segments: &[S],
        budget: usize,
    ) -> Option<String> {
        let budget = budget.checked_sub(1)?;
        let first = segments.first()?;
        // Breadth-first over the glob-imported modules, each visited once: modules that glob
        // each other (test modules with `use super::*`, preludes) would otherwise branch
        // exponentially.
        let mut queue: std::collections::VecDeque<&String> = globs.iter().collect();
        let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
        while let Some(glob) = queue.pop_front() {
            if !seen.insert(glob.as_str()) {
                continue;
            }
            if glob == "crate" || glob.starts_with("crate::") {
                let Some(scope) = self.modules.get(glob) else {
                    continue;
                };
                if let Some(base) = scope.names.get(first.as_ref()) {
                    let found = self.follow_local(join(base, &segments[1..]), budget);
                    if !found.starts_with("crate") {
                        return Some(found);
                    }
                    continue;
                }
                queue.extend(scope.globs.iter());
                continue;
            }
            let candidate = join(glob, segments);
            if self.knowledge.is_known_path(&candidate) {
                return Some(candidate);
            }
        }
        None
    }

    fn resolve_in_module<S: AsRef<str>>(&self, module: &str, rest: &[S], budget: usize) -> String {
        let Some(budget) = budget.checked_sub(1) else {
            return join(module, rest);
        };
        if let Some(first) = rest.first() {
            let first = first.as_ref();
            // Most modules hold no inline module: no child path to build and look up.
            if self.parents.contains(module) {
                let child = format!("{module}::{first}");
                if self.modules.contains_key(&child) {
                    return self.resolve_in_module(&child, &rest[1..], budget);
                }
            }
            if let Some(scope) = self.modules.get(module) {
                if let Some(base) = scope.names.get(first) {
                    return join(base, &rest[1..]);
                }
                if let Some(found) = self.through_globs(&scope.globs, rest, budget) {
                    return found;
                }
            }
        }
        join(module, rest)
    }

    /// What the run knows about libraries (inference and guard liveness ask it too).
    pub fn knowledge(&self) -> &Knowledge {
        &self.knowledge
    }

    /// Names that modules of this file import from elsewhere in the crate (`pub use
    /// db::Store;` in `lib.rs`): (the name's path in its module, the path it stands for). The
    /// crate index follows these to reach items re-exported by another file.
    pub fn crate_aliases(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .modules
            .iter()
            .flat_map(|(module, scope)| {
                scope.names.iter().filter_map(move |(name, target)| {
                    // Items declared here map to `module::name` themselves: not aliases.
                    let declared_here = target
                        .strip_prefix(module.as_str())
                        .and_then(|rest| rest.strip_prefix("::"))
                        == Some(name.as_str());
                    let extern_rename = scope.extern_renames.contains(name);
                    (target.starts_with("crate::") && !declared_here || extern_rename)
                        .then(|| (format!("{module}::{name}"), target.clone()))
                })
            })
            .collect();
        out.sort();
        out
    }

    /// Glob imports of crate modules declared at module level (`use crate::db::*;`), by the
    /// module that declares them: names they bring in are settled by the crate index.
    pub fn crate_globs(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .modules
            .iter()
            .flat_map(|(module, scope)| {
                scope
                    .globs
                    .iter()
                    .filter(|g| g.starts_with("crate::") || *g == "crate")
                    .map(move |g| (module.clone(), g.clone()))
            })
            .collect();
        out.sort();
        out
    }

    /// Resolves a syn path.
    pub fn resolve(&self, path: &syn::Path) -> String {
        self.resolve_segments(&segments(path), path.leading_colon.is_some())
    }
}

/// A path's segment names, as written (`["tokio", "spawn"]` for `tokio::spawn::<F>`).
pub(crate) fn segments(path: &syn::Path) -> Vec<String> {
    path.segments.iter().map(|s| s.ident.to_string()).collect()
}

fn join(base: &str, rest: &[impl AsRef<str>]) -> String {
    // Sized once: paths are joined for every name the walker resolves.
    let len = base.len() + rest.iter().map(|s| 2 + s.as_ref().len()).sum::<usize>();
    let mut out = String::with_capacity(len);
    out.push_str(base);
    for s in rest {
        out.push_str("::");
        out.push_str(s.as_ref());
    }
    out
}

/// The segments of a path string, as `path.split("::")` gives them, without setting up a
/// substring searcher for every call: [`Resolver::follow_local`] splits every name imported
/// from the crate.
fn path_segments(path: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(path);
    std::iter::from_fn(move || {
        let text = rest?;
        match text.as_bytes().windows(2).position(|w| w == b"::") {
            Some(at) => {
                rest = Some(&text[at + 2..]);
                Some(&text[..at])
            }
            None => {
                rest = None;
                Some(text)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn path_segments_split_as_str_split_does() {
        for path in [
            "crate::a::b",
            "crate",
            "",
            "a:::b",
            "::a::",
            "a::::b",
            "x:y::z",
        ] {
            assert_eq!(
                super::path_segments(path).collect::<Vec<_>>(),
                path.split("::").collect::<Vec<_>>(),
                "{path}"
            );
        }
    }

    use super::Resolver;

    fn resolve_in(file: &str, path: &str) -> String {
        let file = syn::parse_file(file).expect("test source parses");
        let r = Resolver::new(&file);
        r.resolve(&syn::parse_str::<syn::Path>(path).expect("test path parses"))
    }

    #[test]
    fn renames_groups_and_self_imports() {
        let src = "use std::thread::{self, sleep as nap}; use tokio::sync::mpsc::unbounded_channel as queue;";
        assert_eq!(resolve_in(src, "nap"), "std::thread::sleep");
        assert_eq!(resolve_in(src, "thread::spawn"), "std::thread::spawn");
        assert_eq!(
            resolve_in(src, "queue"),
            "tokio::sync::mpsc::unbounded_channel"
        );
    }

    #[test]
    fn cfg_alternative_imports_leave_the_name_unresolved() {
        let src = "#[cfg(feature = \"a\")] use tokio::sync::RwLock; \
                   #[cfg(not(feature = \"a\"))] use std::sync::RwLock; \
                   #[cfg(unix)] use std::fs::read; #[cfg(not(unix))] use std::fs::read;";
        assert_eq!(resolve_in(src, "RwLock"), "RwLock");
        assert_eq!(resolve_in(src, "RwLock::new"), "RwLock::new");
        // one path imported under two cfgs is not ambiguous
        assert_eq!(resolve_in(src, "read"), "std::fs::read");
    }

    #[test]
    fn extern_crate_renames_name_the_external_crate() {
        let src = "extern crate chat_core as chat; extern crate self as me;";
        assert_eq!(
            resolve_in(src, "chat::utils::hash"),
            "chat_core::utils::hash"
        );
        let file = syn::parse_file(src).unwrap();
        let aliases = Resolver::new(&file).crate_aliases();
        assert!(aliases.contains(&("crate::chat".to_string(), "chat_core".to_string())));
    }

    #[test]
    fn local_modules_and_items_shadow_std() {
        let src = "mod fs { pub fn read() {} } fn sleep() {}";
        assert_eq!(resolve_in(src, "fs::read"), "crate::fs::read");
        assert_eq!(resolve_in(src, "sleep"), "crate::sleep");
    }

    #[test]
    fn globs_resolve_only_known_paths() {
        // The order of the globs must not matter: `std::fs::*` covers functions, not `Mutex`.
        let src = "use std::fs::*; use std::sync::*;";
        assert_eq!(resolve_in(src, "Mutex"), "std::sync::Mutex");
        assert_eq!(resolve_in(src, "metadata"), "std::fs::metadata");
        assert_eq!(resolve_in(src, "Whatever"), "Whatever");
    }

    #[test]
    fn reexports_through_local_modules_are_followed() {
        let src = "use flume::unbounded; mod inner { pub use super::unbounded as q; }";
        let file = syn::parse_file(src).expect("parses");
        let mut r = Resolver::new(&file);
        r.current_module = "crate::inner".into();
        assert_eq!(
            r.resolve(&syn::parse_str("q").expect("path")),
            "flume::unbounded"
        );
    }

    #[test]
    fn nested_super_globs() {
        let src = "use tokio::sync::mpsc; mod a { use super::*; mod b { use super::*; } }";
        let file = syn::parse_file(src).expect("parses");
        let mut r = Resolver::new(&file);
        r.current_module = "crate::a::b".into();
        let p = syn::parse_str("mpsc::unbounded_channel").expect("path");
        assert_eq!(r.resolve(&p), "tokio::sync::mpsc::unbounded_channel");
    }

    #[test]
    fn modules_importing_each_other_terminate() {
        // log's `__private_api.rs`: globs and re-exports that go round in circles.
        let src = "mod a { pub use super::b::*; pub use crate::c::x; } mod b { pub use super::a::*; } \
                   mod c { pub use crate::a::x; } use a::*; use c::x as y;";
        assert_eq!(resolve_in(src, "nothing_here"), "nothing_here");
        assert!(resolve_in(src, "y").ends_with("c::x"));
        assert_eq!(resolve_in(src, "crate::a::x"), "crate::c::x");
    }

    #[test]
    fn densely_glob_importing_modules_stay_linear() {
        // hdrhistogram's tests: every module globs the others. Visiting each module once per
        // lookup keeps this instant; exploring every path would not finish (11^16 paths).
        let n = 12;
        let mut src = String::new();
        for i in 0..n {
            src.push_str(&format!("mod m{i} {{ "));
            for j in (0..n).filter(|j| *j != i) {
                src.push_str(&format!("pub use super::m{j}::*; "));
            }
            src.push_str("}\n");
        }
        src.push_str("use m0::*;");
        assert_eq!(resolve_in(&src, "missing"), "missing");
    }

    #[test]
    fn a_file_below_the_root_resolves_to_crate_paths() {
        let src = "pub fn copy_files() {} mod inner { pub fn f() {} }";
        let file = syn::parse_file(src).expect("parses");
        let r = Resolver::with_root(
            &file,
            "crate::setup",
            crate::knowledge::Knowledge::builtin(),
        );
        let p = |s: &str| r.resolve(&syn::parse_str(s).expect("path"));
        assert_eq!(p("copy_files"), "crate::setup::copy_files");
        assert_eq!(p("inner::f"), "crate::setup::inner::f");
        assert_eq!(p("self::inner::f"), "crate::setup::inner::f");
        assert_eq!(p("super::db::load"), "crate::db::load");
        assert_eq!(p("crate::db::load"), "crate::db::load");
        assert_eq!(p("crate::setup::copy_files"), "crate::setup::copy_files");
    }

    #[test]
    fn prelude_names() {
        assert_eq!(resolve_in("", "drop"), "std::mem::drop");
    }
}
