//! Per-file results that cross threads: findings, deferred findings and the file's summary.
//!
//! The syn tree of a file never leaves the thread that parsed it (proc-macro2 spans are not
//! `Send`), so everything the crate pass needs is copied into these plain-data types.

use serde::{Deserialize, Serialize};

use crate::diagnostic::Diagnostic;

/// A finding that holds only if a fact about the crate holds; settled by the crate pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deferred {
    /// The finding to report if the condition holds.
    pub diagnostic: Diagnostic,
    /// The condition.
    pub requires: Requirement,
}

/// Conditions on the crate that deferred findings depend on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Requirement {
    /// Every one of these holds (none of them [`Requirement::ReceiverType`] or another
    /// `AllOf`; a [`Requirement::SpawnWrapper`] among them is left to the crate index once the
    /// others hold).
    AllOf(Vec<Requirement>),
    /// Some function of the crate with this name is `async` and declared to return a `Result`.
    AsyncFnReturnsResult(FnRef),
    /// A task's error can reach its handle unlogged: the function of one of `tries` (calls
    /// whose error a `?` of the task passes on) is not known to log every error it returns
    /// ([`calls_log_their_errors`]), or `ends` (the call the task ends in) holds as
    /// [`Requirement::AsyncFnReturnsResult`].
    ErrorUnlogged {
        /// The calls whose errors the task's `?`s pass on.
        tries: Vec<FnRef>,
        /// The call the task ends in, if it does.
        ends: Option<FnRef>,
    },
    /// A field of a struct declared in another file has one of these types (canonical paths
    /// or `module::*` patterns).
    FieldType {
        /// The struct's name.
        owner: String,
        /// The field.
        field: String,
        /// Accepted types.
        #[serde(deserialize_with = "crate::cache::interned_list")]
        one_of: Vec<&'static str>,
    },
    /// No method of the crate named so (`read`, `lock`) is a plain getter
    /// ([`FnSignature::plain_getter`]). An argument-less `x.read().unwrap()` on a receiver of
    /// unknown type is taken for a std lock by its shape; when the crate declares a getter of
    /// that name, the receiver may as well be the crate's own type, and nothing is guessed.
    UnlessOwnGetter {
        /// The method's name.
        method: String,
        /// The receiver, when it is a field of a struct declared in another file (the struct's
        /// name and the field): when the field's type is known, it decides instead (a guard
        /// only if it is a lock type with this guard method).
        field: Option<(String, String)>,
    },
    /// One of these awaited calls may suspend: it is not known to call only `async fn`s of the
    /// crate that never suspend ([`FnSignature::never_suspends`]). Each call with the number of
    /// arguments it passes (a method of another arity is another type's).
    MaySuspend(Vec<(FnRef, usize)>),
    /// Some other code can contend for the lock of a guard held across an await: the lock is
    /// a field (`owner.field`) and neither of these holds. (1) `exclusive_self`: the guard
    /// was taken on `self.field` in a method taking `&mut self`, and the field is declared
    /// directly in the struct (not behind `Arc`/`Rc`/a reference), so while the method runs
    /// nothing else reaches it. (2) `shared`: the guard is a read guard, the field is not
    /// visible outside the crate, and no file of the crate writes it or hands it out
    /// ([`FileSummary::field_writes`]): only a writer waits for a read guard. Like
    /// [`Requirement::MaySuspend`], it decides the form, not whether there is a finding.
    Contended {
        /// The struct's name.
        owner: String,
        /// The field.
        field: String,
        /// A shared (read) guard.
        shared: bool,
        /// Taken on `self.field` in a method taking `&mut self`.
        exclusive_self: bool,
    },
    /// The called function (a path as the file resolves it: `crate::rt::spawn`,
    /// `member::runtime::spawn`) is one of the workspace that hands the future it is given to
    /// a spawner (`FnSummary::spawns_future`), and, with `loses_errors`, does not handle the
    /// task's error itself (`FnSummary::handles_spawned_errors`). Settled by the crate index;
    /// without a crate pass it never holds.
    SpawnWrapper {
        /// The call's path.
        call: String,
        /// The wrapper must also leave the task's error to its handle.
        loses_errors: bool,
    },
    /// The called function (a path as the file resolves it, into another crate:
    /// `shared::health::serve`) is one of a workspace member that can end in an unlogged error
    /// ([`FnSummary::fails_silently`](crate::summary::FnSummary::fails_silently)): a task that
    /// ends in it loses that error with its handle. Settled by the crate index; without a
    /// crate pass it never holds.
    MemberFnFailsSilently {
        /// The call's path.
        call: String,
    },
    /// A method call's receiver, whose type only the crate index can settle (a field of a
    /// field, what a function of another file returns), has one of these types (canonical
    /// paths or `module::*` patterns). Settled by `settle_receiver_types` once the index
    /// is built; without a crate pass (`CheckOptions::call_graph` off) it never holds.
    ReceiverType {
        /// The receiver's type as steps from other files' facts.
        chain: crate::model::TyChain,
        /// Accepted types.
        #[serde(deserialize_with = "crate::cache::interned_list")]
        one_of: Vec<&'static str>,
    },
}

/// How a function is declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FnKind {
    /// A free function.
    Free,
    /// A function of an `impl` or trait with a `self` receiver.
    Method,
    /// A function of an `impl` or trait without a receiver (`Type::new`).
    Associated,
}

/// A reference to a function from a call site: `run(..)`, `server::run(..)`, `Server::run(..)`,
/// `worker.run()`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FnRef {
    /// The function's name (last path segment).
    pub name: String,
    /// The path segment before the name, if the call was qualified (`server` in
    /// `server::run`): then only functions of a module (or type) of that name match. For a
    /// method call, the last segment of the receiver's type when it is known (`Doorkeeper` in
    /// `doorkeeper.run()` after `let doorkeeper = Doorkeeper { .. }`): then only methods of
    /// that type's `impl`s, or a trait's default methods, match.
    pub qualifier: Option<String>,
    /// Called as a method (`x.run()`) rather than as a path (`run(..)`).
    pub method_call: bool,
    /// The qualifier is the receiver's type known by its name only, not resolved to a path
    /// (`Session` from `Session { .. }` with `pub use session::*;`): a generic parameter looks
    /// the same, so it decides only when the crate declares a method of this name for a type
    /// of that name (see [`FnRef::may_call_among`]).
    #[serde(default)]
    pub qualifier_by_name: bool,
}

impl FnRef {
    /// From an example, test or bench, `svc::serve()` names the library root by the package's
    /// name, which the function table knows only as `crate`.
    pub fn may_call_library_root(&self, f: &FnSignature) -> bool {
        !self.method_call
            && f.name == self.name
            && f.kind == FnKind::Free
            && f.module == "crate"
            && self
                .qualifier
                .as_deref()
                .is_some_and(|q| q.starts_with(char::is_lowercase))
    }

    /// Can this call refer to `f`?
    ///
    /// ```
    /// use asyncwise_lint::facts::{FnKind, FnRef, FnSignature};
    /// let f = FnSignature { name: "run".into(), module: "server".into(), kind: FnKind::Free, returns_future: true, returns_result: true, owner: None, plain_getter: false, arity: 0, never_suspends: false, declares_result: true, logged_if: vec![] };
    /// let call = FnRef { name: "run".into(), qualifier: Some("server".into()), method_call: false, qualifier_by_name: false };
    /// assert!(call.may_call(&f));
    /// let method = FnRef { name: "run".into(), qualifier: None, method_call: true, qualifier_by_name: false };
    /// assert!(!method.may_call(&f));
    /// ```
    pub fn may_call(&self, f: &FnSignature) -> bool {
        if f.name != self.name {
            return false;
        }
        if self.method_call {
            let same_type = match (self.qualifier.as_deref(), f.owner.as_deref()) {
                (Some(receiver), Some(owner)) => receiver == owner,
                _ => true,
            };
            return f.kind == FnKind::Method && same_type;
        }
        match self.qualifier.as_deref() {
            None => f.kind == FnKind::Free,
            Some("self" | "super" | "crate") => f.kind == FnKind::Free,
            Some(q) if q.starts_with(char::is_uppercase) => f.kind != FnKind::Free,
            Some(q) => f.kind == FnKind::Free && f.module == q,
        }
    }

    /// The functions of `functions` this call can refer to: [`FnRef::may_call`], except that a
    /// receiver type known only by its name ([`FnRef::qualifier_by_name`]) that declares no
    /// method of this name among them is taken for a type not known at all (a generic
    /// parameter, a trait object), whose call may be any method of that name; a trait's own
    /// method of that name (no owner), when there is one, is the one such a call is held to.
    ///
    /// ```
    /// use asyncwise_lint::facts::{FnKind, FnRef, FnSignature};
    /// let run = |owner: &str| FnSignature { name: "run".into(), module: "m".into(), kind: FnKind::Method, returns_future: true, returns_result: owner == "Gateway", owner: Some(owner.into()), plain_getter: false, arity: 0, never_suspends: false, declares_result: true, logged_if: vec![] };
    /// let fns = [run("Gateway"), run("Session")];
    /// let session = FnRef { name: "run".into(), qualifier: Some("Session".into()), method_call: true, qualifier_by_name: true };
    /// assert_eq!(session.may_call_among(fns.iter()).len(), 1);
    /// let generic = FnRef { qualifier: Some("S".into()), ..session };
    /// assert_eq!(generic.may_call_among(fns.iter()).len(), 2);
    /// ```
    pub fn may_call_among<'f>(
        &self,
        functions: impl Iterator<Item = &'f FnSignature> + Clone,
    ) -> Vec<&'f FnSignature> {
        let typed: Vec<_> = functions.clone().filter(|f| self.may_call(f)).collect();
        // `Doorkeeper::run(d)`: that type's own `run` when it declares one (else a trait's
        // method or an alias, which any implementing type may serve).
        if !self.method_call
            && let Some(owner) = self
                .qualifier
                .as_deref()
                .filter(|q| q.starts_with(char::is_uppercase))
        {
            let own: Vec<_> = typed
                .iter()
                .copied()
                .filter(|f| f.owner.as_deref() == Some(owner))
                .collect();
            if !own.is_empty() {
                return own;
            }
        }
        if !typed.is_empty() || !self.qualifier_by_name {
            return typed;
        }
        let untyped = FnRef {
            qualifier: None,
            qualifier_by_name: false,
            ..self.clone()
        };
        let any: Vec<_> = functions.filter(|f| untyped.may_call(f)).collect();
        // A generic receiver (`service: impl Runner`) calls the method its trait declares: a
        // trait's own method (no owner) of that name, when there is one, is the contract.
        let declared: Vec<_> = any
            .iter()
            .copied()
            .filter(|f| f.kind == FnKind::Method && f.owner.is_none())
            .collect();
        if declared.is_empty() { any } else { declared }
    }
}

/// Whether the functions a call may refer to make a task that fails by an error value: at
/// least one of them returns a future (an `async fn`, or a plain fn returning a future of a
/// `Result`), and every one that does returns a `Result` it can end in silently
/// ([`fails_silently`] among `functions`, the table its callees are looked up in). When a name is
/// shared (a `run` that returns `()` and logs its errors, another that returns a `Result`) and
/// the call does not say which, the task is not judged: a finding that blames the wrong function
/// is worse than none.
///
/// ```
/// use asyncwise_lint::facts::{every_future_fails_by_result, FnKind, FnSignature};
/// let run = |owner: &str, returns_result: bool| FnSignature { name: "run".into(), module: "m".into(), kind: FnKind::Method, returns_future: true, returns_result, owner: Some(owner.into()), plain_getter: false, arity: 0, never_suspends: false, declares_result: true, logged_if: vec![] };
/// let none = std::iter::empty();
/// assert!(every_future_fails_by_result(&[&run("Gateway", true)], none.clone()));
/// // two types' `run`, one that cannot fail: which one is called decides, and is not known
/// assert!(!every_future_fails_by_result(&[&run("Gateway", true), &run("Control", false)], none.clone()));
/// assert!(!every_future_fails_by_result(&[], none.clone()));
/// // one fn under `#[cfg(feature = "x")]` and `#[cfg(not(feature = "x"))]`
/// assert!(every_future_fails_by_result(&[&run("Gateway", true), &run("Gateway", false)], none));
/// ```
pub fn every_future_fails_by_result<'f>(
    candidates: &[&FnSignature],
    functions: impl Iterator<Item = &'f FnSignature> + Clone,
) -> bool {
    let futures: Vec<_> = candidates.iter().filter(|f| f.returns_future).collect();
    // Definitions of one fn under exclusive `cfg`s (same module, same owner) are one function:
    // it fails if the build that can fail does.
    let same_item = |a: &FnSignature, b: &FnSignature| {
        a.module == b.module && a.owner == b.owner && a.kind == b.kind
    };
    let fails = |f: &FnSignature| fails_silently(f, functions.clone());
    !futures.is_empty()
        && futures
            .iter()
            .all(|f| fails(f) || futures.iter().any(|g| same_item(f, g) && fails(g)))
}

/// How many calls deep a function that logs its errors through its callees (whose callees
/// may do the same) is followed: a longer chain, or a cycle, counts as silent.
const LOGGING_CHAIN_DEPTH: usize = 4;

/// Whether `f` can end in its error without logging it first: its own code says so
/// ([`FnSignature::returns_result`]), unless the only exits that do are calls of functions
/// that, looked up among `functions`, log every error they return
/// ([`FnSignature::logged_if`]).
///
/// ```
/// use asyncwise_lint::facts::{fails_silently, FnKind, FnRef, FnSignature};
/// let call = |name: &str| FnRef { name: name.into(), qualifier: None, method_call: false, qualifier_by_name: false };
/// let f = |name: &str, returns_result: bool, logged_if: Vec<FnRef>| FnSignature { name: name.into(), module: "m".into(), kind: FnKind::Free, returns_future: true, returns_result, owner: None, plain_getter: false, arity: 0, never_suspends: false, declares_result: true, logged_if };
/// // `handle` passes on `peer`'s errors, and `peer` logs each before it returns it
/// let table = [f("peer", false, vec![]), f("handle", true, vec![call("peer")])];
/// assert!(!fails_silently(&table[1], table.iter()));
/// // unknown callee: silent
/// assert!(fails_silently(&f("serve", true, vec![call("accept")]), table.iter()));
/// ```
pub fn fails_silently<'f>(
    f: &FnSignature,
    functions: impl Iterator<Item = &'f FnSignature> + Clone,
) -> bool {
    f.returns_result
        && (f.logged_if.is_empty()
            || !calls_log_within(&f.logged_if, functions, LOGGING_CHAIN_DEPTH))
}

/// Whether every one of `calls` names, among `functions`, only functions declared to return a
/// `Result` that log every error they return (directly, or through callees that do, up to a
/// few calls deep). A call that names none, or several that disagree, does not.
///
/// ```
/// use asyncwise_lint::facts::{calls_log_their_errors, FnKind, FnRef, FnSignature};
/// let peer = FnSignature { name: "peer".into(), module: "tcp".into(), kind: FnKind::Free, returns_future: true, returns_result: false, owner: None, plain_getter: false, arity: 1, never_suspends: false, declares_result: true, logged_if: vec![] };
/// let call = FnRef { name: "peer".into(), qualifier: Some("tcp".into()), method_call: false, qualifier_by_name: false };
/// assert!(calls_log_their_errors(&[call.clone()], [&peer].into_iter()));
/// let other = FnSignature { module: "udp".into(), returns_result: true, ..peer.clone() };
/// let bare = FnRef { qualifier: None, ..call };
/// assert!(!calls_log_their_errors(&[bare], [&peer, &other].into_iter()));
/// ```
pub fn calls_log_their_errors<'f>(
    calls: &[FnRef],
    functions: impl Iterator<Item = &'f FnSignature> + Clone,
) -> bool {
    calls_log_within(calls, functions, LOGGING_CHAIN_DEPTH)
}

fn calls_log_within<'f>(
    calls: &[FnRef],
    functions: impl Iterator<Item = &'f FnSignature> + Clone,
    depth: usize,
) -> bool {
    let Some(depth) = depth.checked_sub(1) else {
        return false;
    };
    calls.iter().all(|call| {
        let named = call.may_call_among(functions.clone());
        !named.is_empty()
            && named.iter().all(|f| {
                f.declares_result
                    && (!f.returns_result
                        || !f.logged_if.is_empty()
                            && calls_log_within(&f.logged_if, functions.clone(), depth))
            })
    })
}

/// What one file contributes to the crate pass.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FileSummary {
    /// Functions declared in the file.
    pub functions: Vec<FnSignature>,
    /// Struct fields with a known named type declared in the file.
    pub fields: Vec<FieldFact>,
    /// Type aliases declared in the file whose target is a named type: (alias, the target's
    /// name), so a field reached through `data: &AppData` in another file is the target's.
    #[serde(default)]
    pub type_aliases: Vec<(String, String)>,
    /// Fields the file may write or hand out (for shared guards nobody can contend for).
    #[serde(default)]
    pub field_writes: Vec<FieldWrite>,
    /// The file's module (`crate::db`): which private fields its code can reach.
    #[serde(default)]
    pub module: String,
    /// The build target the file belongs to.
    pub target: Target,
    /// Functions, calls and blocking calls, for the crate index.
    pub items: crate::summary::FileItems,
}

/// Which compilation unit of a package a file belongs to: facts of one example or test crate
/// are invisible to the others.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Target {
    /// The library and binaries under `src/` (and anything not recognisably another target).
    #[default]
    Main,
    /// One example, test or bench crate: `examples/name.rs` or `examples/name/…`.
    Own(String),
    /// Modules shared by the test crates (`tests/common/mod.rs`).
    SharedTests,
}

impl Target {
    /// The target of a file, from its path inside the package.
    ///
    /// ```
    /// use asyncwise_lint::facts::Target;
    /// use std::path::Path;
    /// assert_eq!(Target::of(Path::new("svc/src/main.rs")), Target::Main);
    /// assert_eq!(Target::of(Path::new("svc/examples/echo.rs")), Target::Own("examples/echo".into()));
    /// assert_eq!(Target::of(Path::new("svc/tests/common/mod.rs")), Target::SharedTests);
    /// assert_eq!(Target::of(Path::new("svc/src/tests/mod.rs")), Target::Main);
    /// ```
    pub fn of(path: &std::path::Path) -> Target {
        let parts: Vec<&str> = path.iter().filter_map(|p| p.to_str()).collect();
        let Some(at) = parts
            .iter()
            .rposition(|p| matches!(*p, "examples" | "tests" | "benches"))
        else {
            return Target::Main;
        };
        // `src/tests/mod.rs` is a module of the library, not a test crate. (A checkout living
        // under some `src/` folder falls back to pooling, as without targets.)
        if parts
            .iter()
            .rposition(|p| *p == "src")
            .is_some_and(|src| src < at)
        {
            return Target::Main;
        }
        let kind = parts[at];
        match &parts[at + 1..] {
            [file] => Target::Own(format!("{kind}/{}", file.trim_end_matches(".rs"))),
            [_, ..] if kind == "tests" => Target::SharedTests,
            [dir, ..] => Target::Own(format!("{kind}/{dir}")),
            [] => Target::Main,
        }
    }

    /// Can code of this target see facts declared in `other`?
    pub fn sees(&self, other: &Target) -> bool {
        match (self, other) {
            (_, Target::Main) => true,
            (Target::Own(a), Target::Own(b)) => a == b,
            (Target::Own(a), Target::SharedTests) => a.starts_with("tests/"),
            (Target::SharedTests, Target::SharedTests) => true,
            _ => false,
        }
    }
}

/// A struct field and its type, for files that use the struct without declaring it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldFact {
    /// The struct's name.
    pub owner: String,
    /// The field's name.
    pub field: String,
    /// Its canonical type path (wrappers such as `Arc` peeled).
    pub ty: String,
    /// For a lock whose guard dereferences to a named type (`Mutex<rusqlite::Connection>`),
    /// that type's canonical path.
    #[serde(default)]
    pub guarded: Option<String>,
    /// Declared behind a pointer that can have other owners (`Arc`, `Rc`, `Weak`, a
    /// reference): code holding another copy may reach it.
    #[serde(default)]
    pub behind_pointer: bool,
    /// A `pub` field of a `pub` struct: code outside the crate may reach it.
    #[serde(default)]
    pub public: bool,
    /// Declared without any `pub`: only its module and that module's descendants reach it.
    #[serde(default)]
    pub private: bool,
    /// The module of the file that declares it (`crate::manager::sink`).
    #[serde(default)]
    pub module: String,
}

/// A use of a struct field that may write it or hand it to other code (see
/// [`field_writes`](crate::model::analysis::field_writes)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldWrite {
    /// The struct, when the use tells it (`self.map` in an `impl`, a parameter of a named
    /// type); `None` matches every struct with a field of this name.
    pub owner: Option<String>,
    /// The field.
    pub field: String,
    /// The method called on the field, when the use is a method call (`insert`, `clone`).
    #[serde(default)]
    pub method: Option<String>,
}

/// The signature facts the crate pass uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FnSignature {
    /// The function's name.
    pub name: String,
    /// The module that declares it: the inline module's name, or the file's module name
    /// (`worker` for `worker.rs` or `worker/mod.rs`).
    pub module: String,
    /// Free function, method or associated function.
    pub kind: FnKind,
    /// Declared `async fn`, or a plain fn declared to return a future of a `Result` (`impl
    /// Future<Output = Result<..>>`, boxed or not): calling either makes the future a task runs.
    pub returns_future: bool,
    /// The declared return type is a `Result` (or an alias whose name ends in `Result`), or a
    /// future of one returned by a plain fn (see `returns_future`), and the
    /// body can end in its error without logging it first (see
    /// [`every_error_logged`](crate::model::analysis::failure::every_error_logged): a body that
    /// handles every error and ends in `Ok(..)` cannot, nor one that logs each error it
    /// returns). Exits that pass on a callee's error count here, and are listed in
    /// `logged_if`.
    pub returns_result: bool,
    /// For a fn of an inherent or trait `impl`: the last segment of the implementing type
    /// (`Doorkeeper`). `None` for free fns and a trait's own (default) methods, which any
    /// implementing type may call.
    #[serde(default)]
    pub owner: Option<String>,
    /// A method taking nothing but `self` and declared to return a named type that is not a
    /// lock guard ([`names_guard`](crate::knowledge::locks::names_guard)): `x.read()` calling
    /// it yields an owned value, no guard.
    #[serde(default)]
    pub plain_getter: bool,
    /// How many parameters it takes besides a `self` receiver.
    #[serde(default)]
    pub arity: usize,
    /// An `async fn` that can never suspend ([`Body::never_suspends`](crate::model::ir::Body::never_suspends)):
    /// awaiting it runs its body to the end at once.
    #[serde(default)]
    pub never_suspends: bool,
    /// Declared to return a `Result` (or a future of one), with a body of its own that
    /// decides how it ends: not a trait's method, which another implementation may serve.
    #[serde(default)]
    pub declares_result: bool,
    /// When `returns_result` holds only because of exits that pass on the errors of calls of
    /// other functions (`helper(..).await?`, a tail `helper(..).await`), those calls: if each of
    /// their functions logs every error it returns, so does this one ([`fails_silently`]).
    /// Empty when some other exit is silent, or none is.
    #[serde(default)]
    pub logged_if: Vec<FnRef>,
}

/// Where rules put what they find.
#[derive(Debug, Default)]
pub struct Sink {
    /// Findings that hold on their own.
    pub diagnostics: Vec<Diagnostic>,
    /// Findings that depend on the crate.
    pub deferred: Vec<Deferred>,
}

/// Everything one file produced: `Send`, so files can be analysed on any thread.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FileAnalysis {
    /// Findings that hold on their own.
    pub diagnostics: Vec<Diagnostic>,
    /// Findings that depend on facts from other files.
    pub deferred: Vec<Deferred>,
    /// The file's summary for the crate pass.
    pub summary: FileSummary,
    /// The file's test items (findings there are reported only when tests are checked).
    #[serde(with = "crate::cache::TestCodeDef")]
    pub test_code: crate::model::TestCode,
    /// The file runs things concurrently: it spawns tasks, joins or selects futures, or serves
    /// requests (see [`CONCURRENCY_MARKERS`](crate::knowledge::spawn::CONCURRENCY_MARKERS)).
    pub concurrent: bool,
}

/// The crate pass: settles deferred findings against the summaries of every file of one
/// package and returns all findings, sorted by path and position, with the deferred findings
/// only the crate index can settle (receivers typed through other files).
///
/// ```
/// use asyncwise_lint::facts::{finish_package, FileAnalysis};
/// let (found, for_index) = finish_package(vec![FileAnalysis::default()]);
/// assert!(found.is_empty() && for_index.is_empty());
/// ```
pub fn finish_package(files: Vec<FileAnalysis>) -> (Vec<Diagnostic>, Vec<Deferred>) {
    finish_package_of(&files.iter().collect::<Vec<_>>())
}

/// [`finish_package`] of files it does not take: the engine also settles a package with one
/// file as the cache had it before an edit, to tell whether the edit only moved code
/// ([`engine::moved`](crate::engine)).
pub(crate) fn finish_package_of(files: &[&FileAnalysis]) -> (Vec<Diagnostic>, Vec<Deferred>) {
    let mut out = Vec::with_capacity(files.iter().map(|f| f.diagnostics.len()).sum());
    let mut for_index = Vec::new();
    let mut deferred = Vec::new();
    // Each file's facts stay in the file's own vectors, looked at file by file: moving every
    // signature of the package into one table of its own (over 4,000 for tokio) grew it by
    // reallocation through fresh memory (260 of the 4,300 page faults of a warm run of
    // tokio after one edit).
    /// One file's facts, left in the file's own vectors.
    struct FileFacts<'a> {
        target: &'a Target,
        functions: &'a [FnSignature],
        fields: &'a [FieldFact],
        type_aliases: &'a [(String, String)],
        field_writes: &'a [FieldWrite],
        module: &'a str,
    }
    let mut facts: Vec<FileFacts> = Vec::with_capacity(files.len());
    for file in files {
        let target = &file.summary.target;
        out.extend(file.diagnostics.iter().cloned());
        deferred.extend(file.deferred.iter().map(|d| (target, d.clone())));
        facts.push(FileFacts {
            target,
            functions: &file.summary.functions,
            fields: &file.summary.fields,
            type_aliases: &file.summary.type_aliases,
            field_writes: &file.summary.field_writes,
            module: &file.summary.module,
        });
    }
    for (from, d) in deferred {
        let seen = facts.iter().filter(|f| from.sees(f.target));
        let functions = seen.clone().flat_map(|f| f.functions);
        let fields = seen.clone().flat_map(|f| f.fields);
        let type_aliases = seen.clone().flat_map(|f| f.type_aliases);
        let writes = seen
            .clone()
            .flat_map(|f| f.field_writes.iter().map(move |w| (f.module, w)));
        // The one type a field of a struct has: the struct itself, or an alias of it declared
        // in a file this one sees. Structs are known by name only: when two of that name give
        // the field different types, which one is meant is not known, and nothing is guessed.
        let field_type = |owner: &String, field: &String| {
            let mut types = fields
                .clone()
                .filter(|f| {
                    &f.field == field
                        && (&f.owner == owner
                            || type_aliases
                                .clone()
                                .any(|(alias, target)| alias == owner && target == &f.owner))
                })
                .map(|f| &f.ty);
            let first = types.next()?;
            types.all(|other| other == first).then_some(first)
        };
        // The one declaration of a field, as `field_type` finds it.
        let field_decl = |owner: &String, field: &String| {
            let mut decls = fields.clone().filter(|f| {
                &f.field == field
                    && (&f.owner == owner
                        || type_aliases
                            .clone()
                            .any(|(alias, target)| alias == owner && target == &f.owner))
            });
            let first = decls.next()?;
            decls
                .all(|other| {
                    other.behind_pointer == first.behind_pointer && other.public == first.public
                })
                .then_some(first)
        };
        // Why nobody else can contend for a field's lock, if nobody can.
        let uncontended = |requires: &Requirement| -> Option<&'static str> {
            let Requirement::Contended {
                owner,
                field,
                shared,
                exclusive_self,
            } = requires
            else {
                return None;
            };
            let decl = field_decl(owner, field)?;
            if *exclusive_self && !decl.behind_pointer {
                return Some(
                    "pedantic form: the lock is a field stored directly in `self` and this method takes `&mut self`: while it runs no other code can reach the lock, so nobody waits for the guard",
                );
            }
            // A use whose struct is named and has such a field is that struct's. Any other
            // (the struct not told, or a guess about a wrapper) may be this lock's when it is
            // a value use or a method a lock is written or handed out through: a method no
            // such lock has (`rt.sinks.start(..)`) is some other type's.
            let may_be_this = |w: &FieldWrite| {
                let named = w.owner.as_ref().filter(|o| {
                    fields.clone().any(|f| &f.owner == *o && &f.field == field)
                        || type_aliases.clone().any(|(alias, _)| alias == *o)
                });
                match named {
                    Some(o) => {
                        o == owner
                            || type_aliases
                                .clone()
                                .any(|(alias, target)| alias == o && target == owner)
                    }
                    None => w.method.as_ref().is_none_or(|m| {
                        crate::knowledge::locks::LOCK_WRITE_METHODS.contains(&m.as_str())
                    }),
                }
            };
            // A private field is reached only from its module and the modules inside it.
            let reaches = |module: &str| {
                !decl.private
                    || module == decl.module
                    || module
                        .strip_prefix(decl.module.as_str())
                        .is_some_and(|rest| rest.starts_with("::"))
            };
            let written = writes
                .clone()
                .any(|(module, w)| &w.field == field && reaches(module) && may_be_this(w));
            (*shared && !decl.public && !written).then_some(
                "pedantic form: a read guard of a lock no code of the crate writes or hands out after it is built: only a writer waits for a read guard, so nobody can contend for it",
            )
        };
        // The task ends in a call of an async fn of the crate that can end in its error silently.
        let ends_in_result = |call: &FnRef| {
            let named = call.may_call_among(functions.clone());
            every_future_fails_by_result(&named, functions.clone())
                || *from != Target::Main
                    && every_future_fails_by_result(
                        &functions
                            .clone()
                            .filter(|f| call.may_call_library_root(f))
                            .collect::<Vec<_>>(),
                        functions.clone(),
                    )
        };
        // `None`: settled by the crate index, not here.
        let holds_one = |requires: &Requirement| -> Option<bool> {
            Some(match requires {
                Requirement::AllOf(_) => false,
                Requirement::AsyncFnReturnsResult(call) => ends_in_result(call),
                Requirement::ErrorUnlogged { tries, ends } => {
                    !calls_log_their_errors(tries, functions.clone())
                        || ends.as_ref().is_some_and(ends_in_result)
                }
                Requirement::FieldType {
                    owner,
                    field,
                    one_of,
                } => field_type(owner, field).is_some_and(|ty| {
                    // A bare name no import explained (`DashMap` brought in by a macro's
                    // expansion) is the one lock type of that name, if only one has it.
                    let ty = match ty.contains("::") {
                        false => crate::knowledge::locks::lock_by_bare_name(ty).unwrap_or(ty),
                        true => ty,
                    };
                    one_of
                        .iter()
                        .any(|p| crate::knowledge::blocking::path_matches(p, ty))
                }),
                Requirement::UnlessOwnGetter { method, field } => {
                    match field
                        .as_ref()
                        .and_then(|(owner, name)| field_type(owner, name))
                    {
                        // The receiver is a field whose type is known: its own methods decide.
                        Some(ty) => crate::knowledge::locks::sync_lock(ty)
                            .is_some_and(|lock| lock.guard_methods.contains(&method.as_str())),
                        None => !functions.clone().any(|f| {
                            f.plain_getter && f.kind == FnKind::Method && &f.name == method
                        }),
                    }
                }
                Requirement::MaySuspend(calls) => calls.iter().any(|(call, args)| {
                    let named: Vec<_> = call
                        .may_call_among(functions.clone())
                        .into_iter()
                        .filter(|f| !call.method_call || f.arity == *args)
                        .collect();
                    named.is_empty() || named.iter().any(|f| !f.never_suspends)
                }),
                Requirement::Contended { .. } => uncontended(requires).is_none(),
                Requirement::ReceiverType { .. }
                | Requirement::SpawnWrapper { .. }
                | Requirement::MemberFnFailsSilently { .. } => return None,
            })
        };
        // Every await is of a crate async fn that never suspends: no suspension today, but
        // one `.await` added to such a callee makes it one, and a sketch's stand-in for I/O
        // (`async fn greet(name: &str) { println!(..) }`) looks the same. The pedantic form,
        // not silence.
        // A guard nobody else can contend for is the pedantic form too (see
        // `Requirement::Contended`).
        let form_only = |r: &Requirement| {
            matches!(
                r,
                Requirement::MaySuspend(_) | Requirement::Contended { .. }
            )
        };
        let all: Vec<&Requirement> = match &d.requires {
            Requirement::AllOf(all) => all.iter().collect(),
            one => vec![one],
        };
        let parts: Vec<&Requirement> = all.iter().copied().filter(|r| !form_only(r)).collect();
        let suspends = all
            .iter()
            .copied()
            .find(|r| matches!(r, Requirement::MaySuspend(_)));
        let contended = all
            .iter()
            .copied()
            .find(|r| matches!(r, Requirement::Contended { .. }));
        let settled: Vec<Option<bool>> = parts.iter().map(|r| holds_one(r)).collect();
        if settled.contains(&Some(false)) {
            continue;
        }
        // Conditions only the crate index settles (a receiver typed through other files, a
        // spawn wrapper of another member): the index takes the finding with those left.
        let mut left: Vec<Requirement> = parts
            .iter()
            .zip(&settled)
            .filter(|(_, s)| s.is_none())
            .map(|(r, _)| (*r).clone())
            .collect();
        if !left.is_empty() {
            let requires = match left.len() {
                1 => left.remove(0),
                _ => Requirement::AllOf(left),
            };
            for_index.push(Deferred {
                diagnostic: d.diagnostic,
                requires,
            });
            continue;
        }
        let mut diagnostic = d.diagnostic;
        if suspends.is_some_and(|r| holds_one(r) == Some(false)) {
            diagnostic.form = crate::levels::Form::Pedantic;
            diagnostic.notes.push(crate::diagnostic::Note::text(
                "pedantic form: every await here is of an async fn of this crate that never suspends (no await point of its own); it becomes a suspension as soon as one is added",
            ));
        } else if let Some(why) = contended.and_then(uncontended) {
            diagnostic.form = crate::levels::Form::Pedantic;
            diagnostic.notes.push(crate::diagnostic::Note::text(why));
        }
        out.push(diagnostic);
    }
    out.sort_by(|a, b| (&a.path, a.span.start, a.rule).cmp(&(&b.path, b.span.start, b.rule)));
    out.dedup();
    (out, for_index)
}

/// The deferred findings [`finish_package`] left to the crate index (receivers typed through
/// other files) that hold: each receiver's chain settles, in its file's package, to one of the
/// accepted types. One chain per finding, each step a table lookup: linear in their number.
pub(crate) fn settle_receiver_types(
    index: &crate::crate_index::CrateIndex,
    deferred: Vec<Deferred>,
) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = deferred
        .into_iter()
        .filter(|d| {
            let holds = |requires: &Requirement| match requires {
                Requirement::ReceiverType { chain, one_of } => index
                    .type_of_chain_in(&d.diagnostic.path, chain)
                    .is_some_and(|ty| {
                        one_of
                            .iter()
                            .any(|p| crate::knowledge::blocking::path_matches(p, &ty))
                    }),
                Requirement::SpawnWrapper { call, loses_errors } => index
                    .spawn_wrapper_in(&d.diagnostic.path, call)
                    .is_some_and(|handles_errors| !(*loses_errors && handles_errors)),
                Requirement::MemberFnFailsSilently { call } => {
                    index.member_fn_fails_silently_in(&d.diagnostic.path, call)
                }
                _ => false,
            };
            match &d.requires {
                Requirement::AllOf(all) => all.iter().all(holds),
                one => holds(one),
            }
        })
        .map(|d| d.diagnostic)
        .collect();
    out.sort_by(|a, b| (&a.path, a.span.start, a.rule).cmp(&(&b.path, b.span.start, b.rule)));
    out.dedup();
    out
}
