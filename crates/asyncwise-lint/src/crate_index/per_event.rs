//! Which functions run once per event — per request, per connection, per message — over the
//! crate's call graph, from what each file says ([`crate::model::analysis::per_event`]).
//!
//! A function is *on a per-event path* when it is
//!
//! * a handler by its own signature (a route attribute, a framework extractor parameter,
//!   `Service::call`),
//! * an async fn a router or server registers as a handler (`get(list)`, `.to(show)`,
//!   `service_fn(handle)`), resolved as calls are,
//! * called from a per-event region of its caller's file (the body of a loop driven by
//!   `accept()`, `next()`, `recv()`, ..., which includes the tasks spawned there, or a closure
//!   registered as a handler),
//! * or called by a function on a per-event path: callers hot, callee hot. The edges are the
//!   calls the index resolves; for a method call on a field whose type names no function of
//!   the package (a trait object in a field), every method of that name in the package that no
//!   resolved call reaches; and for a method call on a value of unknown type (a trait object a
//!   function returned, a value bound by a `match`) or of a method a trait of the package
//!   declares without a body (`self.key()` in a default method), every such method of an
//!   `impl Trait for Type` block: a per-event path through a trait object stays one. Inherent methods are not
//!   linked from untyped values: on the nine labelled field sets those links carried paths into
//!   start-up, reload and periodic code whose methods share a common name (`update`, `load`,
//!   `start`): 7 noise and 1 wrong default findings against 3 worth acting on (two of them
//!   reached through a trait's default method, which untyped calls no longer reach: a known
//!   limit).
//!
//! Test code neither starts nor carries a path. A worklist from the roots, each function
//! marked once: linear in the calls.

use std::collections::HashSet;

use super::{CrateIndex, rfind_path_separator};

/// A set keyed by the index's own paths: foldhash, as [`super::FastMap`].
type FastSet<T> = HashSet<T, foldhash::fast::FixedState>;
use crate::summary::CallRef;

impl CrateIndex {
    /// Settles which functions are on a per-event path (see the module's docs).
    pub(super) fn settle_per_event(&mut self) {
        let n = self.fns.len();
        let mut hot = vec![false; n];
        let mut why: Vec<Option<Why>> = vec![None; n];
        let mut work = Vec::new();
        let mut mark = |g: usize, reason: Why, hot: &mut Vec<bool>, work: &mut Vec<usize>| {
            if !hot[g] {
                hot[g] = true;
                why[g] = Some(reason);
                work.push(g);
            }
        };
        for f in 0..n {
            let summary = &self.fns[f].summary;
            if summary.in_test {
                continue;
            }
            if summary.handler {
                mark(f, Why::Handler, &mut hot, &mut work);
            }
            for target in &summary.registers {
                let call = CallRef::registration(target, summary.at);
                if let Some(g) = self.resolve(f, &call)
                    && self.fns[g].summary.is_async
                {
                    mark(g, Why::Registered { by: f }, &mut hot, &mut work);
                }
            }
            for call in summary.calls.iter().filter(|c| c.per_event) {
                if let Some(g) = self.callee(f, call) {
                    let reason = Why::InRegion {
                        by: f,
                        at: call.span,
                    };
                    mark(g, reason, &mut hot, &mut work);
                }
            }
        }
        // The tables the walk from the roots needs, made only when there is a root (a library
        // without handlers or event loops has none).
        if work.is_empty() {
            self.per_event = hot;
            self.per_event_why = why;
            return;
        }
        // Types the package declares functions on (`crate::db::Store`), per package.
        let mut declared_owners: Vec<FastSet<&str>> = vec![FastSet::default(); self.packages.len()];
        for entry in &self.fns {
            let id = &entry.summary.id.0;
            if let Some(cut) = rfind_path_separator(id) {
                declared_owners[self.files[entry.file].package].insert(&id[..cut]);
            }
        }
        let mut called_exactly = vec![false; n];
        for (f, entry) in self.fns.iter().enumerate() {
            for call in &entry.summary.calls {
                if let Some(g) = self.callee(f, call) {
                    called_exactly[g] = true;
                }
            }
        }
        while let Some(f) = work.pop() {
            let entry = &self.fns[f];
            let package = self.files[entry.file].package;
            // Method calls no resolution settles (a trait object in a field: `self.store.get(k)`
            // with `store: Arc<dyn Store>`) are linked by name.
            let mut by_name: Vec<&str> = Vec::new();
            // Calls of a method a trait of the package declares without a body (`self.key()`
            // in a trait's default method, `store.get(k)` on a generic bound): its impls'.
            let mut dispatched: Vec<&str> = Vec::new();
            for call in &entry.summary.calls {
                match self.callee(f, call) {
                    Some(g) if !self.fns[g].summary.in_test => mark(
                        g,
                        Why::Called {
                            by: f,
                            at: call.span,
                        },
                        &mut hot,
                        &mut work,
                    ),
                    Some(_) => {}
                    None => match unresolved_method_name(&call.target, &declared_owners[package]) {
                        Some(name) => by_name.push(name),
                        None => dispatched.extend(
                            call.target
                                .rsplit_once("::")
                                .filter(|(owner, _)| declared_owners[package].contains(owner))
                                .map(|(_, name)| name),
                        ),
                    },
                }
            }
            // A field's declared type or an unknown owner (`self.store.get(k)` with `store:
            // Arc<dyn Store>`): every method of that name no resolved call reaches.
            for name in by_name {
                for h in self.methods_named(package, name) {
                    if h != f && !called_exactly[h] && !self.fns[h].summary.in_test {
                        mark(h, Why::ByName { by: f }, &mut hot, &mut work);
                    }
                }
            }
            // A value of unknown type (`hasher.generate_hash_key(..)` on a `Box<dyn
            // CompilerHasher>` a function returned), or a trait's method with no body: dynamic
            // dispatch reaches methods of `impl Trait for Type` blocks. Linking inherent methods
            // by name too carried paths into start-up and reload code that shares a common name
            // (`update`, `load`); linking trait default methods by name did the same (`start`).
            let untyped = entry.summary.untyped_method_calls.iter();
            for name in untyped.map(|(n, _)| n.as_str()).chain(dispatched) {
                for h in self.methods_named(package, name) {
                    let callee = &self.fns[h].summary;
                    if h != f && !called_exactly[h] && !callee.in_test && callee.trait_impl {
                        mark(h, Why::ByName { by: f }, &mut hot, &mut work);
                    }
                }
            }
        }
        self.per_event = hot;
        self.per_event_why = why;
    }

    /// Notes saying why function `f` is on a per-event path, from the function that starts the
    /// path down to `f`'s caller: a handler, a loop's body, a call, a call by name. At most
    /// [`WHY_NOTES`] notes, the nearest to `f`; empty when `f` is on no path.
    pub fn per_event_notes(&self, f: usize) -> PerEventNotes {
        use crate::diagnostic::Note;
        let name = |g: usize| self.fns[g].summary.id.short().to_string();
        let mut notes = Vec::new();
        let mut from_request = false;
        let mut seen = FastSet::default();
        let mut g = f;
        while notes.len() < WHY_NOTES && seen.insert(g) {
            let Some(Some(why)) = self.per_event_why.get(g) else {
                break;
            };
            let (by, at, message) = match *why {
                // A sync `poll*` handler is one of a polled trait's impl (see
                // `model::analysis::per_event`).
                Why::Handler
                    if !self.fns[g].summary.is_async
                        && self.fns[g]
                            .summary
                            .id
                            .short()
                            .rsplit("::")
                            .next()
                            .is_some_and(|n| n.starts_with("poll")) =>
                {
                    (
                        g,
                        self.fns[g].summary.at,
                        format!(
                            "`{}` is a `poll` method of a trait the executor polls (`Future`, `Stream`, `AsyncRead`, ...): it runs on a worker thread once per item, read or wake-up",
                            name(g)
                        ),
                    )
                }
                Why::Handler => (
                    g,
                    self.fns[g].summary.at,
                    format!(
                        "`{}` is a request handler (a route attribute, a framework's extractor parameter or `Service::call`){PER_REQUEST}",
                        name(g)
                    ),
                ),
                Why::Registered { by } => (
                    g,
                    self.fns[g].summary.at,
                    format!(
                        "`{}` is registered as a handler by `{}`{PER_REQUEST}",
                        name(g),
                        name(by)
                    ),
                ),
                Why::InRegion { by, at } => (
                    by,
                    at,
                    format!(
                        "`{}` is called in a loop of `{}`{PER_EVENT_LOOP}",
                        name(g),
                        name(by)
                    ),
                ),
                Why::Called { by, at } => (
                    by,
                    at,
                    format!("`{}` calls `{}` on a per-event path", name(by), name(g)),
                ),
                Why::ByName { by } => (
                    by,
                    self.fns[by].summary.at,
                    format!(
                        "`{}` calls a method named `{}` on a value of unknown type, taken to reach `{}` on a per-event path",
                        name(by),
                        self.fns[g]
                            .summary
                            .id
                            .0
                            .rsplit("::")
                            .next()
                            .unwrap_or_default(),
                        name(g)
                    ),
                ),
            };
            notes.push(Note::in_file(self.path_of(by), at, message));
            match *why {
                Why::Handler | Why::Registered { .. } => {
                    from_request = true;
                    break;
                }
                Why::InRegion { .. } => break,
                Why::Called { by, .. } | Why::ByName { by } => g = by,
            }
        }
        notes.reverse();
        PerEventNotes {
            notes,
            from_request,
        }
    }

    /// Is function `f` on a per-event path: a request handler, or reached from one, from an
    /// event loop's body or from a task spawned there (see the module's docs)?
    pub fn is_per_event(&self, f: usize) -> bool {
        self.per_event.get(f).copied().unwrap_or(false)
    }

    /// Is function `f` on a per-event path that a request handler starts (a handler itself, or a
    /// function a handler reaches through calls), rather than an event loop's body? Image work
    /// (`Cost::Cpu`) is default only there: an upload or a proxied image decoded per request.
    pub fn reached_from_request_handler(&self, f: usize) -> bool {
        let mut seen = FastSet::default();
        let mut g = f;
        while seen.insert(g) {
            match self.per_event_why.get(g) {
                Some(Some(Why::Handler | Why::Registered { .. })) => return true,
                Some(Some(Why::Called { by, .. } | Why::ByName { by })) => g = *by,
                _ => return false,
            }
        }
        false
    }

    /// Is the call at `span` of function `f` a filesystem-class blocking call made in async code
    /// outside any per-event region of its file, in a function on a per-event path: the default
    /// form only because of that path, which [`CrateIndex::per_event_notes`] explains?
    pub fn is_filesystem_on_event_path(&self, f: usize, span: &crate::diagnostic::Span) -> bool {
        self.is_per_event(f) && self.filesystem_outside_regions(f, span)
    }

    /// Is the call at `span` of function `f` a filesystem-class blocking call made in async
    /// code outside any per-event region of its file, in a function not on a per-event path?
    /// Such a call runs as often as the program chooses (start-up, a command, a reload, a
    /// periodic save): the pedantic form of `blocking_in_async`.
    pub fn is_filesystem_off_event(&self, f: usize, span: &crate::diagnostic::Span) -> bool {
        !self.is_per_event(f) && self.filesystem_outside_regions(f, span)
    }

    /// Is the call at `span` one of function `f`'s filesystem-class blocking calls made in
    /// async code outside every per-event region of its file (`FnSummary::off_event_fs`)?
    fn filesystem_outside_regions(&self, f: usize, span: &crate::diagnostic::Span) -> bool {
        self.fns.get(f).is_some_and(|entry| {
            entry
                .summary
                .off_event_fs
                .iter()
                .any(|s| s.start == span.start)
        })
    }
}

/// How the note of a request handler that starts a per-event path ends.
const PER_REQUEST: &str = ": it runs once per request";
/// How it ends when an event loop's body (or a task spawned there) starts the path.
const PER_EVENT_LOOP: &str = " driven by incoming events (or a task spawned there): once per event";

/// The notes of [`CrateIndex::per_event_notes`], and whether the path they show starts at a
/// request handler.
#[derive(Debug, Default)]
pub struct PerEventNotes {
    /// Why the function is on the path, from the start of the path down to its caller.
    pub notes: Vec<crate::diagnostic::Note>,
    /// The notes name the request handler that starts the path: a finding there is reached
    /// from served requests, so the serial-module approximation of `blocking_in_async`'s
    /// pedantic form (a module of a binary that itself starts nothing concurrent) does not
    /// apply to it ([`Marks::on_request_path`](crate::diagnostic::Marks::on_request_path)). A
    /// path started by an event loop is weaker evidence (a command's loop over signals or a
    /// file watcher is one too): on the field sets, the two findings it would have kept were
    /// noise.
    pub from_request: bool,
}

/// How many notes [`CrateIndex::per_event_notes`] gives at most: the nearest steps of a path
/// say most about it.
const WHY_NOTES: usize = 3;

/// Why a function was put on a per-event path: its first reason, kept for the notes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Why {
    /// A handler by its own signature.
    Handler,
    /// Registered as a handler by function `by`.
    Registered { by: usize },
    /// Called at `at` in a per-event region of function `by`.
    InRegion {
        by: usize,
        at: crate::diagnostic::Span,
    },
    /// Called at `at` by function `by`, itself on a per-event path.
    Called {
        by: usize,
        at: crate::diagnostic::Span,
    },
    /// Linked by name from a method call of function `by` on a value of unknown type.
    ByName { by: usize },
}

/// The method name of an unresolved method call whose receiver may be a trait object or a
/// generic parameter: a call on a field of a struct declared elsewhere (`field:App.store::get`,
/// with `store: Arc<dyn Store>`), or a method of a type of this crate no function of the
/// package is declared on (`I::preprocess` with `compiler: I`). A method of another crate's
/// type (`md5::Md5::update`) is never linked. Names of std traits' methods (`from`, `default`,
/// `clone`, ...) are never linked: too common to say which function runs.
pub(super) fn unresolved_method_name<'t, S: std::hash::BuildHasher>(
    target: &'t str,
    declared_owners: &HashSet<&str, S>,
) -> Option<&'t str> {
    let name = match target.strip_prefix(crate::summary::FIELD_PREFIX) {
        Some(rest) => rest.rsplit_once("::")?.1,
        None => {
            let (owner, name) = target.rsplit_once("::")?;
            let last = owner.rsplit("::").next().unwrap_or(owner);
            // A type of another crate (`md5::Md5::update` after `md5::Md5::new()`): its
            // methods are that crate's, never this package's.
            let foreign = owner.contains("::") && !owner.starts_with("crate::");
            if foreign || !last.starts_with(char::is_uppercase) || declared_owners.contains(owner) {
                return None;
            }
            name
        }
    };
    (!COMMON_TRAIT_METHODS.contains(&name)).then_some(name)
}

/// Methods of std traits and conventional constructors: an unresolved call of one of these
/// names says nothing about which of the package's functions runs.
const COMMON_TRAIT_METHODS: &[&str] = &[
    "new",
    "default",
    "from",
    "into",
    "try_from",
    "try_into",
    "clone",
    "fmt",
    "eq",
    "cmp",
    "partial_cmp",
    "hash",
    "drop",
    "deref",
    "deref_mut",
    "as_ref",
    "as_mut",
    "borrow",
    "to_string",
    "from_str",
    "from_iter",
    "into_iter",
    "next",
    "poll",
    "poll_next",
    "build",
];

#[cfg(test)]
mod tests {
    use crate::crate_index::{CrateIndex, FileInput, PackageInput};
    use crate::model::{FileContext, FileModel};

    fn index(files: &[(&str, &str)]) -> CrateIndex {
        let files = files
            .iter()
            .map(|(path, src)| {
                let ast = syn::parse_file(src).expect("test source parses");
                let path = std::path::Path::new(path);
                let cx = FileContext {
                    module: crate::engine::layout::module_path(path),
                    ..Default::default()
                };
                let model = FileModel::build_in(path, src, &ast, &cx);
                let mut items = crate::summary::summarize(&model);
                let tests = crate::model::TestCode::of(&ast);
                crate::summary::mark_execution(&mut items, &model, |l| tests.contains_line(l), &[]);
                crate::summary::mark_trait_impls(&mut items, &ast);
                FileInput {
                    path: path.into(),
                    rel: path.into(),
                    items,
                }
            })
            .collect();
        CrateIndex::build(vec![PackageInput {
            files,
            ..Default::default()
        }])
    }

    fn hot(index: &CrateIndex, id: &str) -> bool {
        let f = (0..index.fns.len())
            .find(|&f| index.fns[f].summary.id.0 == id)
            .unwrap_or_else(|| panic!("no function {id}"));
        index.is_per_event(f)
    }

    #[test]
    fn a_registered_handler_and_what_it_calls_are_per_event() {
        let index = index(&[
            (
                "src/main.rs",
                "use axum::routing::get;\n\
                 mod pages;\n\
                 fn app() -> Router { Router::new().route(\"/\", get(pages::home)) }\n\
                 async fn reload() { pages::render(); }",
            ),
            (
                "src/pages.rs",
                "pub async fn home() -> String { render() }\n\
                 pub fn render() -> String { String::new() }\n\
                 pub fn unused() {}",
            ),
        ]);
        assert!(hot(&index, "crate::pages::home"));
        assert!(hot(&index, "crate::pages::render"));
        assert!(!hot(&index, "crate::pages::unused"));
        // A caller of a hot function is not made hot by it.
        assert!(!hot(&index, "crate::reload"));
    }

    #[test]
    fn a_task_spawned_per_connection_is_per_event_and_a_periodic_task_is_not() {
        let index = index(&[(
            "src/lib.rs",
            "pub async fn serve(l: tokio::net::TcpListener) {\n\
             loop {\n\
             let (s, _) = l.accept().await.unwrap();\n\
             tokio::spawn(async move { client(s).await });\n\
             }\n\
             }\n\
             async fn client(s: S) { greet(&s); }\n\
             fn greet(s: &S) {}\n\
             pub async fn checkpoint(mut i: tokio::time::Interval) {\n\
             loop { i.tick().await; save().await; }\n\
             }\n\
             async fn save() {}",
        )]);
        assert!(hot(&index, "crate::client"));
        assert!(hot(&index, "crate::greet"));
        assert!(!hot(&index, "crate::serve"));
        assert!(!hot(&index, "crate::save"));
    }

    #[test]
    fn handlers_by_signature_reach_trait_methods_through_untyped_calls() {
        let index = index(&[(
            "src/lib.rs",
            "use axum::extract::State;\n\
             pub async fn get_blob(State(app): State<App>) { app.store.fetch().await; }\n\
             struct App { store: Box<dyn Store> }\n\
             struct Disk;\n\
             impl Store for Disk { async fn fetch(&self) {} }\n\
             #[cfg(test)] mod tests { async fn t(State(a): State<A>) { super::helper(); } }\n\
             fn helper() {}",
        )]);
        assert!(hot(&index, "crate::get_blob"));
        assert!(hot(&index, "crate::Disk::fetch"));
        // Test code is never a root.
        assert!(!hot(&index, "crate::helper"));
    }

    #[test]
    fn untyped_calls_reach_trait_methods_and_not_inherent_methods_of_the_same_name() {
        let index = index(&[(
            "src/lib.rs",
            "pub async fn serve(l: tokio::net::TcpListener) {\n\
             loop {\n\
             let (s, _) = l.accept().await.unwrap();\n\
             tokio::spawn(client(s));\n\
             }\n\
             }\n\
             async fn client(s: S) {\n\
             let codec = upstream::codec_for(&s);\n\
             codec.decode().await;\n\
             let feed = upstream::feed_for(&s);\n\
             feed.refresh().await;\n\
             }\n\
             struct Dictionary;\n\
             impl Codec for Dictionary { async fn decode(&self) {} }\n\
             struct Feeds;\n\
             impl Feeds { async fn refresh(&self) {} }",
        )]);
        assert!(hot(&index, "crate::client"));
        assert!(hot(&index, "crate::Dictionary::decode"));
        assert!(!hot(&index, "crate::Feeds::refresh"));
    }

    #[test]
    fn unresolved_methods_are_linked_by_name_only_on_unknown_types_and_uncommon_names() {
        use super::unresolved_method_name;
        let declared: std::collections::HashSet<&str> = ["crate::db::Store"].into();
        assert_eq!(
            unresolved_method_name("field:App.store::fetch", &declared),
            Some("fetch")
        );
        // A generic parameter: no function of the package is declared on `I`.
        assert_eq!(
            unresolved_method_name("crate::compiler::I::preprocess", &declared),
            Some("preprocess")
        );
        // A type of another crate: its methods are that crate's.
        assert_eq!(unresolved_method_name("md5::Md5::update", &declared), None);
        assert_eq!(
            unresolved_method_name("tokio::net::TcpStream::peek", &declared),
            None
        );
        // A declared type's missing method, a common trait method, a free function: not linked.
        assert_eq!(
            unresolved_method_name("crate::db::Store::gone", &declared),
            None
        );
        assert_eq!(
            unresolved_method_name("crate::net::Addr::from", &declared),
            None
        );
        assert_eq!(
            unresolved_method_name("crate::util::helper", &declared),
            None
        );
    }
}
