//! The crate index: the function table and call graph of a set of packages, built only from
//! per-file summaries ([`crate::summary`]), and which sync functions block.
//!
//! * **Function table.** Every function by [`FnId`] within its package. Files keep the module
//!   path their layout gives them (`src/db.rs` is `crate::db`) unless a `#[path]` attribute on
//!   the `mod` declaration that reaches them says otherwise; then their ids move with them.
//! * **Call resolution.** A call's target is looked up in the caller's package (`crate::…`), or
//!   in a workspace member the package depends on by path (`member::…`, the library's name), or
//!   through a re-export (`pub use db::Store;`) or a glob import of a crate module. A call that
//!   matches no function, or more than one, is left out: an unknown callee gives no finding.
//! * **Blocking.** A sync function *blocks* when it makes a blocking call in its own sync body,
//!   or calls (in its sync body) a sync function that blocks. This is a multi-source
//!   breadth-first search backwards over the call graph from the functions that block
//!   directly: every function and call is visited once, so it is linear and recursion cannot
//!   loop; each blocking function keeps the step that reached it first, so chains are
//!   shortest. Calls inside `spawn_blocking`, threads and other offloaders (or in closures
//!   stored to run elsewhere) are not edges.
//!
//! * **Types across files.** A receiver's type written as a chain of steps from other files'
//!   facts ([`TyChain`](crate::model::TyChain)) is settled from the summaries: struct field
//!   types by the struct's name (one type, or none), declared return types of the one function
//!   a path resolves to, and the built-in tables for library types' methods and iteration. A
//!   call on a settled receiver is an edge like any other; a table blocking method called on
//!   one outside async code is a blocking call of its function.
//!
//! The verdict is the rules' (`blocking_in_async` reports async-context calls of a blocking
//! function); the index only answers questions.

mod cancellation;
pub use cancellation::{Cancellation, RacedHelper};
mod interactive;
mod main_thread;
mod per_event;
mod round_trips;
pub use per_event::PerEventNotes;

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};

/// The index's maps, keyed by crate paths it builds itself: a fast, fixed hasher (foldhash)
/// rather than std's DoS-resistant SipHash, which cost a fifth of a warm run's instructions.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

use crate::facts::Target;
use crate::model::Ctx;
use crate::summary::{
    AsyncLockDecl, AsyncLockSite, BlockingCall, CallRef, FileItems, FnId, FnSummary, RuntimeCall,
};

/// One package as the index sees it.
#[derive(Debug, Clone, Default)]
pub struct PackageInput {
    /// The name its library is used by in code (`my_lib` for package `my-lib`), if known.
    pub lib_name: Option<String>,
    /// Workspace members it depends on by path: (the name code uses, index into the packages).
    pub deps: Vec<(String, usize)>,
    /// Its files' summaries.
    pub files: Vec<FileInput>,
    /// Its `Cargo.toml` (path as displayed, and what was read from it), if it has one.
    pub manifest: Option<(PathBuf, crate::engine::manifest::Manifest)>,
    /// A registry dependency read for its blocking functions (see
    /// [`engine::dependencies`](crate::engine::dependencies)): its functions are callees only,
    /// never callers whose calls the rules judge.
    pub dependency: bool,
}

/// One file of a package.
#[derive(Debug, Clone, Default)]
pub struct FileInput {
    /// The display path.
    pub path: PathBuf,
    /// The file's path relative to its package root (for `#[path]` attributes).
    pub rel: PathBuf,
    /// Its summary.
    pub items: FileItems,
}

#[derive(Debug)]
struct FileEntry {
    package: usize,
    path: PathBuf,
    /// Its path relative to the package root.
    rel: PathBuf,
    target: Target,
    /// The id of its `main` when it is the root of a `[[bin]]` target outside `src/main.rs`
    /// and `src/bin/` (`crate::hickory-dns::main`).
    bin_main: Option<String>,
    async_lock_decls: Vec<AsyncLockDecl>,
    async_lock_sites: Vec<AsyncLockSite>,
    runtime_calls: Vec<RuntimeCall>,
    macro_locks: crate::model::macro_rules::MacroLocks,
}

/// What one file of a package says about async locks and runtimes (see
/// [`CrateIndex::files_of`]).
#[derive(Debug, Clone, Copy)]
pub struct FileFacts<'a> {
    /// The file, as displayed.
    pub path: &'a Path,
    /// The compilation unit it belongs to (library and binaries, or one test, example or
    /// bench crate).
    pub target: &'a Target,
    /// Async locks declared there.
    pub async_lock_decls: &'a [AsyncLockDecl],
    /// Async lock calls (and locks lent to other code) there.
    pub async_lock_sites: &'a [AsyncLockSite],
    /// The first call into each runtime there, outside test code.
    pub runtime_calls: &'a [RuntimeCall],
    /// Locks its `macro_rules!` bodies lock.
    pub macro_locks: &'a crate::model::macro_rules::MacroLocks,
}

#[derive(Debug)]
struct FnEntry {
    file: usize,
    summary: Box<FnSummary>,
}

/// Why a sync function blocks: the first step of its shortest chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// It makes this blocking call (index into its summary's `blocking`).
    Direct(usize),
    /// It makes this call (index into its summary's `calls`) of this blocking function.
    Via(usize, usize),
}

/// One hop of a blocking chain, for notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    /// The function that makes the call.
    pub from: FnId,
    /// What it calls: a function's short name, or the blocking call's description.
    pub calls: String,
    /// The file of the call.
    pub path: PathBuf,
    /// The call.
    pub span: crate::diagnostic::Span,
    /// On the last hop: the blocking table's advice.
    pub hint: Option<String>,
    /// On the last hop: the blocking call's cost class.
    pub cost: Option<crate::knowledge::blocking::Cost>,
    /// The function that makes the call is in a registry dependency.
    pub in_dependency: bool,
}

/// Function table, call graph and blocking facts of a set of packages.
#[derive(Debug, Default)]
pub struct CrateIndex {
    packages: Vec<PackageMeta>,
    files: Vec<FileEntry>,
    fns: Vec<FnEntry>,
    /// Per package: functions by id.
    by_id: Vec<FastMap<String, Vec<usize>>>,
    /// Per function, per call of its summary: the function the call reaches, resolved once
    /// when the index is built (start-up, blocking and the rules all ask).
    resolved: Vec<Box<[Option<usize>]>>,
    steps: Vec<Option<Step>>,
    /// Functions that block only through calls made where no served work waits (right before
    /// a process exit, in a fallback for an unset environment variable): see
    /// [`CrateIndex::blocks_only_on_quiet_paths`].
    quiet_blocking: Vec<bool>,
    /// Functions that run only at start-up: `crate::main`, and functions every known call of
    /// which is made directly in the body of such a function.
    startup_only: Vec<bool>,
    /// Functions that run only while an async set-up fn of a library-only package runs: see
    /// [`CrateIndex::blocks_at_startup`].
    setup_only: Vec<bool>,
    /// Functions of a binary that run while no other task can: see [`CrateIndex::runs_alone`].
    alone: Vec<bool>,
    /// Per function: the first line from which it, or an exactly resolved call it made before,
    /// runs something concurrently.
    concurrent_from: Vec<Option<usize>>,
    /// Per file: its functions, for placing a finding in the innermost one.
    fns_of_file: Vec<Vec<usize>>,
    /// Per file: part of a binary (see [`CrateIndex::in_binary`]), worked out once: every
    /// call resolved asks, and path comparisons are not cheap.
    binary_files: Vec<bool>,
    /// Functions on a per-event path: see [`CrateIndex::is_per_event`].
    per_event: Vec<bool>,
    /// Why each function on a per-event path is on it: see [`CrateIndex::per_event_notes`].
    per_event_why: Vec<Option<per_event::Why>>,
    /// Functions that wait for a person at the terminal: see [`CrateIndex::waits_for_user`].
    user_waits: Vec<bool>,
    /// Async functions on `main`'s own tree: see [`CrateIndex::on_main_tree`].
    main_tree: Vec<bool>,
    /// Functions that wait for a network or database round trip: see
    /// [`CrateIndex::makes_round_trip`].
    round_trips: Vec<bool>,
    /// Files by display path, for findings that name their file.
    file_by_path: FastMap<PathBuf, usize>,
    /// Per package: the functions declared on a type, by the hash of their name (see
    /// [`CrateIndex::methods_named`]); made once, for the passes that link untyped calls.
    methods_by_name: Vec<FastMap<u64, Vec<usize>>>,
}

#[derive(Debug, Default)]
struct PackageMeta {
    lib_name: Option<String>,
    deps: Vec<(String, usize)>,
    aliases: FastMap<String, String>,
    /// Struct field types: `Struct.field` -> type paths (keyed as calls name them, so a
    /// lookup allocates nothing).
    field_types: FastMap<String, Vec<String>>,
    /// Struct fields that are locks whose guard dereferences to a named type: `Struct.field`
    /// -> that type's paths.
    guarded_types: FastMap<String, Vec<String>>,
    /// Glob imports of crate modules, per file.
    globs: FastMap<usize, Vec<String>>,
    /// Glob imports of crate modules, by the module that makes them (`pub use config::*;` in
    /// the crate root: `crate` -> `crate::config`): how `dep::Type::f` reaches a type declared
    /// in a private module and re-exported by a glob.
    glob_modules: FastMap<String, Vec<String>>,
    manifest: Option<(PathBuf, crate::engine::manifest::Manifest)>,
    /// It has a library (`src/lib.rs`).
    has_library: bool,
    /// It builds a binary (`src/main.rs`, `src/bin/..`, a `[[bin]]` path).
    has_binary: bool,
    /// A registry dependency (see [`PackageInput::dependency`]).
    dependency: bool,
}

/// The key of a name in [`CrateIndex::methods_by_name`].
fn name_hash(name: &str) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::default().hash_one(name)
}

/// How many re-exports one lookup follows.
const ALIAS_HOPS: usize = 4;

/// How many calls deep a function that passes on its callees' errors is followed.
const LOGGING_HOPS: usize = 4;

impl CrateIndex {
    /// Builds the index and settles which functions block.
    ///
    /// ```
    /// use asyncwise_lint::crate_index::{CrateIndex, FileInput, PackageInput};
    /// use asyncwise_lint::model::FileModel;
    /// let src = "fn helper() { std::thread::sleep(d()); } async fn run() { helper(); }";
    /// let ast = syn::parse_file(src).unwrap();
    /// let path = std::path::Path::new("src/lib.rs");
    /// let items = asyncwise_lint::summary::summarize(&FileModel::build(path, src, &ast));
    /// let file = FileInput { path: path.into(), rel: path.into(), items };
    /// let index = CrateIndex::build(vec![PackageInput { files: vec![file], ..Default::default() }]);
    /// let chain = index.blocking_chain_of("crate::helper", 0).unwrap();
    /// assert_eq!(chain[0].calls, "`std::thread::sleep`");
    /// ```
    pub fn build(packages: Vec<PackageInput>) -> CrateIndex {
        let mut index = CrateIndex::default();
        // Sized up front: a function's entry is large, and growing the table copied it over
        // and over (a tenth of a warm run's instructions went to `memcpy`).
        let files = packages.iter().map(|p| p.files.len()).sum();
        let fns = packages
            .iter()
            .flat_map(|p| &p.files)
            .map(|f| f.items.functions.len())
            .sum();
        index.files.reserve_exact(files);
        index.fns.reserve_exact(fns);
        for (p, mut package) in packages.into_iter().enumerate() {
            let mut meta = PackageMeta {
                lib_name: package.lib_name,
                deps: package.deps,
                manifest: package.manifest,
                dependency: package.dependency,
                ..PackageMeta::default()
            };
            let moves = path_attribute_moves(&package.files);
            if !moves.is_empty() {
                // Every call target of every function is looked at: memory the workers wrote
                // long ago, so the pass waits on it. On the pool, files share it out.
                let relocate_file = |file: &mut FileInput| relocate(&mut file.items, &moves);
                if rayon::current_thread_index().is_some() {
                    use rayon::prelude::*;
                    package.files.par_iter_mut().for_each(relocate_file);
                } else {
                    package.files.iter_mut().for_each(relocate_file);
                }
            }
            let package_fns = package.files.iter().map(|f| f.items.functions.len()).sum();
            index.by_id.push(FastMap::with_capacity_and_hasher(
                package_fns,
                Default::default(),
            ));
            for mut file in package.files {
                let f = index.files.len();
                meta.has_library |= file.rel == Path::new("src/lib.rs");
                let bin_root = meta
                    .manifest
                    .as_ref()
                    .is_some_and(|(_, m)| m.bin_paths.contains(&file.rel));
                meta.has_binary |= bin_root
                    || file.rel == Path::new("src/main.rs")
                    || file.rel.starts_with("src/bin");
                index.files.push(FileEntry {
                    package: p,
                    rel: file.rel.clone(),
                    target: Target::of(&file.rel),
                    bin_main: bin_root.then(|| format!("{}::main", file.items.module)),
                    path: file.path,
                    async_lock_decls: std::mem::take(&mut file.items.async_lock_decls),
                    async_lock_sites: std::mem::take(&mut file.items.async_lock_sites),
                    runtime_calls: std::mem::take(&mut file.items.runtime_calls),
                    macro_locks: std::mem::take(&mut file.items.macro_locks),
                });
                meta.aliases.extend(file.items.aliases);
                for (owner, field, ty) in file.items.fields {
                    meta.field_types
                        .entry(format!("{owner}.{field}"))
                        .or_default()
                        .push(ty);
                }
                for (owner, field, ty) in file.items.guarded_fields {
                    meta.guarded_types
                        .entry(format!("{owner}.{field}"))
                        .or_default()
                        .push(ty);
                }
                for (module, glob) in &file.items.globs {
                    meta.glob_modules
                        .entry(module.clone())
                        .or_default()
                        .push(glob.clone());
                }
                if !file.items.globs.is_empty() {
                    meta.globs
                        .insert(f, file.items.globs.into_iter().map(|(_, g)| g).collect());
                }
                for summary in file.items.functions {
                    let n = index.fns.len();
                    index.by_id[p]
                        .entry(summary.id.0.clone())
                        .or_default()
                        .push(n);
                    index.fns.push(FnEntry { file: f, summary });
                }
            }
            index.packages.push(meta);
        }
        index.file_by_path = index
            .files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.path.clone(), i))
            .collect();
        index.binary_files = (0..index.files.len())
            .map(|f| index.file_in_binary(f))
            .collect();
        crate::timing::mark("index: tables");
        // Every call is resolved independently: on the worker pool when the index is built on
        // one (the engine's crate pass), else here.
        let resolve_calls = |f: usize| -> Box<[Option<usize>]> {
            let calls = &index.fns[f].summary.calls;
            calls.iter().map(|call| index.resolve(f, call)).collect()
        };
        index.resolved = if rayon::current_thread_index().is_some() {
            use rayon::prelude::*;
            (0..index.fns.len())
                .into_par_iter()
                .with_min_len(64)
                .map(resolve_calls)
                .collect()
        } else {
            (0..index.fns.len()).map(resolve_calls).collect()
        };
        crate::timing::mark("index: calls resolved");
        index.methods_by_name = index.build_methods_by_name();
        index.add_typed_blocking_calls();
        index.runners_wait_for_children();
        index.settle_blocking();
        index.settle_startup();
        index.settle_alone();
        index.settle_per_event();
        index.settle_main_thread();
        index.settle_user_waits();
        index.settle_round_trips();
        index
    }

    /// Is file `file` part of a binary: `src/main.rs`, `src/bin/..`, or any file under `src/`
    /// of a package without a library?
    fn in_binary(&self, file: usize) -> bool {
        self.binary_files.get(file).copied().unwrap_or(false)
    }

    /// Is function `f` (an index of the function table) declared in a binary's code (see
    /// [`CrateIndex::in_binary`])?
    pub(crate) fn fn_in_binary(&self, f: usize) -> bool {
        self.fns
            .get(f)
            .is_some_and(|entry| self.in_binary(entry.file))
    }

    /// [`CrateIndex::in_binary`], worked out (once the packages' libraries are known).
    fn file_in_binary(&self, file: usize) -> bool {
        let entry = &self.files[file];
        if entry.target != Target::Main {
            return false;
        }
        let rel = &entry.rel;
        rel == Path::new("src/main.rs")
            || rel.starts_with("src/bin")
            || entry.bin_main.is_some()
            || rel.starts_with("src") && !self.has_library(entry.package)
    }

    /// Is function `f` code of a program or library (not test code, and not in a test, bench
    /// or example target)? Only such code is a caller that counts for [`CrateIndex::runs_alone`].
    fn is_program_code(&self, f: usize) -> bool {
        let entry = &self.fns[f];
        !entry.summary.in_test && self.files[entry.file].target == Target::Main
    }

    /// Can function `f` run alone at all: program code of a binary, or of the library of a
    /// package that builds a binary (the program's own library, split off to be tested or
    /// shared between its binaries)? A library-only package is there for other crates, whose
    /// calls the index does not see.
    fn may_run_alone(&self, f: usize) -> bool {
        let file = self.fns[f].file;
        self.is_program_code(f)
            && (self.in_binary(file) || self.packages[self.files[file].package].has_binary)
    }

    /// Method names -> the functions declared on a type (`Owner::name`, owner capitalised)
    /// with that name, per package: how an untyped `recv.name(..)` call is linked. Keyed by
    /// the name's hash (owned keys: the passes that read the table write the index), so a
    /// lookup checks the names ([`CrateIndex::methods_named`]).
    fn build_methods_by_name(&self) -> Vec<FastMap<u64, Vec<usize>>> {
        let mut methods: Vec<FastMap<u64, Vec<usize>>> =
            vec![FastMap::default(); self.packages.len()];
        for (g, entry) in self.fns.iter().enumerate() {
            let id = &entry.summary.id.0;
            // The last two segments (`Owner`, `name`), as `rsplit("::")` would give them.
            let Some(cut) = rfind_path_separator(id) else {
                continue;
            };
            let (before, name) = (&id[..cut], &id[cut + 2..]);
            let owner = rfind_path_separator(before).map_or(before, |c| &before[c + 2..]);
            if owner.starts_with(char::is_uppercase) {
                let package = self.files[entry.file].package;
                methods[package].entry(name_hash(name)).or_default().push(g);
            }
        }
        methods
    }

    /// The functions declared on a type of `package` named `name`, in index order.
    fn methods_named<'a>(
        &'a self,
        package: usize,
        name: &'a str,
    ) -> impl Iterator<Item = usize> + 'a {
        self.methods_by_name
            .get(package)
            .and_then(|methods| methods.get(&name_hash(name)))
            .into_iter()
            .flatten()
            .copied()
            .filter(move |&g| {
                let id = &self.fns[g].summary.id.0;
                rfind_path_separator(id).is_some_and(|cut| &id[cut + 2..] == name)
            })
    }

    /// Which functions run while no other task can (see [`CrateIndex::runs_alone`]).
    ///
    /// Calls are the edges: those the index resolves, and method calls on values of unknown
    /// type linked to every method of that name in the package (an over-approximation: more
    /// callers can only make fewer functions run alone). A function runs alone when it is a
    /// binary's `main`, or when it may run alone (see [`CrateIndex::may_run_alone`]), is
    /// called at least once outside test code, and every such call is made by a function that
    /// runs alone, before that caller starts anything concurrent (an async fn's future not
    /// awaited where it is made counts as after). A fixpoint from `main` outwards, as for
    /// start-up.
    fn settle_alone(&mut self) {
        let n = self.fns.len();
        let mut fns_of_file = vec![Vec::new(); self.files.len()];
        for (g, entry) in self.fns.iter().enumerate() {
            fns_of_file[entry.file].push(g);
        }
        self.fns_of_file = fns_of_file;
        // Only a binary's `main` starts the fixpoint: without one (a library), nothing runs
        // alone and the call tables below would be built for nothing (5% of a warm run's
        // instructions on tokio).
        let mut alone: Vec<bool> = self
            .fns
            .iter()
            .map(|entry| {
                let id = &entry.summary.id.0;
                id == "crate::main" && self.in_binary(entry.file)
                    || self.files[entry.file].bin_main.as_ref() == Some(id)
            })
            .collect();
        if !alone.contains(&true) {
            self.alone = alone;
            self.concurrent_from = Vec::new();
            return;
        }
        let mut exact: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
        let mut called_exactly = vec![false; n];
        // Exact calls outside `match` arms: what runs before the code after them.
        let mut sequential: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
        for (g, entry) in self.fns.iter().enumerate() {
            if !self.is_program_code(g) {
                continue;
            }
            for call in &entry.summary.calls {
                if let Some(h) = self.callee(g, call) {
                    // An async fn's future that is not awaited where it is made runs when it
                    // is polled (in a `join!` further down, say): after anything the caller
                    // starts, as far as the index can tell.
                    let runs_at = if self.fns[h].summary.is_async && !call.awaited {
                        usize::MAX
                    } else {
                        call.span.start.line
                    };
                    exact[g].push((h, runs_at));
                    called_exactly[h] = true;
                    if !call.in_arm {
                        sequential[g].push((h, call.span.start.line));
                    }
                }
            }
        }
        // A method no resolved call reaches is linked to every untyped call of its name
        // (`Args::parse().run()` through a derive the index cannot see). A method calling a
        // same-named method on another value (`self.cmd.run()` in `run`) is delegation far
        // more often than recursion: no edge to itself.
        let mut edges = exact.clone();
        for (g, entry) in self.fns.iter().enumerate() {
            if !self.is_program_code(g) {
                continue;
            }
            let package = self.files[entry.file].package;
            for (name, line) in &entry.summary.untyped_method_calls {
                for h in self.methods_named(package, name) {
                    if h != g && !called_exactly[h] {
                        edges[g].push((h, *line));
                    }
                }
            }
        }
        // A task a callee spawns and lets go of outlives the call: the caller runs concurrently
        // from the line after it. Through exact edges only (a method of the same name elsewhere
        // says nothing), and only detached tasks: concurrency a callee joins, selects or serves
        // ends when it returns. Calls in the arms of a `match` are alternatives, not steps
        // before what follows: a command that detaches a task says nothing about its siblings.
        let mut concurrent_from: Vec<Option<usize>> =
            self.fns.iter().map(|e| e.summary.concurrent_from).collect();
        let mut spawns_within: Vec<bool> = self
            .fns
            .iter()
            .map(|e| e.summary.detaches_from.is_some())
            .collect();
        let mut callers: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
        for (g, out) in sequential.iter().enumerate() {
            for &(h, line) in out {
                callers[h].push((g, line));
            }
        }
        let mut queue: VecDeque<usize> = (0..n).filter(|&f| spawns_within[f]).collect();
        while let Some(h) = queue.pop_front() {
            for &(g, line) in &callers[h] {
                // From the lines after the call: the call itself is `h`'s to judge.
                let after = line + 1;
                concurrent_from[g] = Some(concurrent_from[g].map_or(after, |c| c.min(after)));
                if !spawns_within[g] {
                    spawns_within[g] = true;
                    queue.push_back(g);
                }
            }
        }
        let mut pending = vec![0usize; n];
        let mut never = vec![false; n];
        for (g, out) in edges.iter().enumerate() {
            for &(h, _) in out {
                pending[h] += 1;
                never[h] |= g == h;
            }
        }
        let mut work: Vec<usize> = (0..n).filter(|&f| alone[f]).collect();
        while let Some(g) = work.pop() {
            for &(h, line) in &edges[g] {
                if concurrent_from[g].is_some_and(|c| line >= c) {
                    never[h] = true;
                }
                pending[h] = pending[h].saturating_sub(1);
                if pending[h] == 0 && !never[h] && !alone[h] && self.may_run_alone(h) {
                    alone[h] = true;
                    work.push(h);
                }
            }
        }
        self.alone = alone;
        self.concurrent_from = concurrent_from;
    }

    /// Does line `line` of function `f` run while no other task can? `f` is in a binary and
    /// reached from its `main` only through functions that run alone, each calling the next
    /// before it starts anything concurrent, and `line` comes before `f` itself (or a call it
    /// makes) starts anything concurrent. A blocked thread there holds up nobody: a command of
    /// a command-line program, a server's set-up before it serves.
    pub fn runs_alone(&self, f: usize, line: usize) -> bool {
        self.alone.get(f).copied().unwrap_or(false)
            && self
                .concurrent_from
                .get(f)
                .copied()
                .flatten()
                .is_none_or(|c| line < c)
    }

    /// The innermost function of the file displayed as `path` whose body holds line `line`.
    pub fn function_at(&self, path: &Path, line: usize) -> Option<usize> {
        let file = self.files.iter().position(|f| f.path == path)?;
        self.fns_of_file
            .get(file)?
            .iter()
            .copied()
            .filter(|&g| {
                let body = &self.fns[g].summary.body;
                body.start.line <= line && line <= body.end.line
            })
            .min_by_key(|&g| {
                let body = &self.fns[g].summary.body;
                body.byte_end - body.byte_start
            })
    }

    /// Which functions run only at start-up. A function is start-up-only when it is a
    /// binary's `main` or an async set-up fn never called in a loop or closure, or when it is called at least once and every call of it the index can
    /// resolve is made in the own run of a start-up-only function (outside closures, async
    /// blocks, `loop` and `while`; `for` loops over a range or a collection are fine: they end
    /// before start-up does): its own calls made so then run at start-up too. A fixpoint from `main`
    /// outwards; monotone, so it ends. Calls the index cannot resolve (through trait objects,
    /// function values) are not seen: a function also used that way may be judged start-up-only.
    fn settle_startup(&mut self) {
        let n = self.fns.len();
        // Per function: its resolved calls (callee, made directly), and how many of its callers'
        // calls are still to be shown start-up-only; a call that is not direct (or recursive)
        // can never be.
        let mut calls_of: Vec<Vec<(usize, bool)>> = vec![Vec::new(); n];
        let mut pending = vec![0usize; n];
        // A call in a loop or closure: the callee is no root (it may build many values).
        let mut not_once = vec![false; n];
        // A call outside the caller's own run (a closure, an async block, a `loop`/`while` that
        // may serve until the end), or recursive: the callee never runs only at start-up. A
        // `for` loop over a range or a collection in a start-up function (a retry over `0..10`,
        // the configured peers) ends before start-up does.
        let mut never = vec![false; n];
        for (f, out) in calls_of.iter_mut().enumerate() {
            for call in &self.fns[f].summary.calls {
                if let Some(g) = self.callee(f, call) {
                    out.push((g, call.top_level));
                    pending[g] += 1;
                    not_once[g] |= !call.top_level || g == f;
                    never[g] |= !call.per_run || g == f;
                }
            }
        }
        // Roots: a binary's `main`, and async set-up fns (constructors, `open`, `init`, ...)
        // that are never called in a loop or a closure: they run once per value they build.
        let setup_root = |f: usize| {
            let entry = &self.fns[f];
            entry.summary.setup && !not_once[f] && !entry.summary.in_test
        };
        let spread = |roots: Vec<bool>| {
            let mut reached = roots;
            let mut pending = pending.clone();
            let mut work: Vec<usize> = (0..n).filter(|&f| reached[f]).collect();
            while let Some(f) = work.pop() {
                for &(g, _) in &calls_of[f] {
                    pending[g] = pending[g].saturating_sub(1);
                    if pending[g] == 0 && !never[g] && !reached[g] {
                        reached[g] = true;
                        work.push(g);
                    }
                }
            }
            reached
        };
        self.startup_only = spread(
            (0..n)
                .map(|f| {
                    let entry = &self.fns[f];
                    entry.summary.id.0 == "crate::main"
                        && self.files[entry.file].target == Target::Main
                        || setup_root(f)
                })
                .collect(),
        );
        // A library's component set-up: no binary of the package says what else runs then.
        self.setup_only = spread(
            (0..n)
                .map(|f| setup_root(f) && !self.may_run_alone(f))
                .collect(),
        );
    }

    /// Does function `f` run only at start-up: a binary's `main`, or a function every resolved
    /// call of which is made directly in the body of a start-up-only function?
    pub fn is_startup_only(&self, f: usize) -> bool {
        self.startup_only.get(f).copied().unwrap_or(false)
    }

    /// Is the blocking call at `span` of function `f` made while a library component is set up:
    /// `f` runs only when an async set-up fn of a library-only package runs (`init`, a
    /// constructor: called nowhere in a loop or closure), and makes the call in its own run (see
    /// [`CallRef::per_run`](crate::summary::CallRef::per_run))? Such a set-up fn's own direct
    /// calls are start-up code in its file; this carries that to what only it reaches. In a
    /// package that builds a binary, `main` says what else runs then (see
    /// [`CrateIndex::runs_alone`]).
    pub fn blocks_at_startup(&self, f: usize, span: &crate::diagnostic::Span) -> bool {
        self.setup_only.get(f).copied().unwrap_or(false)
            && self.fns[f].summary.per_run_blocking.contains(span)
    }

    /// Test-support functions of library and binary code: functions of a module named for
    /// tests (`test`, `tests`, `testing`, `test_utils`, `mock_tests`, ...) that are called at
    /// least once, and only from test code (test items, tests, examples, benches) or from
    /// other such functions. Cargo builds them into the library, but only tests run them:
    /// they are test code for target selection. Each as its file (as displayed) and the
    /// inclusive lines of its signature and body.
    ///
    /// ```
    /// use asyncwise_lint::crate_index::{CrateIndex, FileInput, PackageInput};
    /// use asyncwise_lint::model::FileModel;
    /// let src = "pub mod test_utils { pub async fn fixture() {} }\n\
    ///            #[cfg(test)] mod tests { #[tokio::test] async fn t() { crate::test_utils::fixture().await; } }";
    /// let ast = syn::parse_file(src).unwrap();
    /// let path = std::path::Path::new("src/lib.rs");
    /// let model = FileModel::build(path, src, &ast);
    /// let mut items = asyncwise_lint::summary::summarize(&model);
    /// let tests = asyncwise_lint::model::TestCode::of(&ast);
    /// asyncwise_lint::summary::mark_execution(&mut items, &model, |l| tests.contains_line(l), &[]);
    /// let file = FileInput { path: path.into(), rel: path.into(), items };
    /// let index = CrateIndex::build(vec![PackageInput { files: vec![file], ..Default::default() }]);
    /// assert_eq!(index.test_support_items(), vec![(path.to_path_buf(), (1, 1))]);
    /// ```
    pub fn test_support_items(&self) -> Vec<(PathBuf, (usize, usize))> {
        let n = self.fns.len();
        let named_for_tests = |f: usize| {
            let id = &self.fns[f].summary.id.0;
            // Every segment but the last (a path has no lone `:`).
            let modules = rfind_path_separator(id).map_or("", |cut| &id[..cut]);
            // Every name below contains `test`: most paths are ruled out by one scan.
            if !modules.as_bytes().windows(4).any(|w| w == b"test") {
                return false;
            }
            modules
                .split(':')
                .filter(|s| !s.is_empty())
                .any(crate::knowledge::test_code::is_test_module_name)
        };
        // Candidates start as test support; a call from code that is not (or no call at all)
        // rules one out. The greatest fixpoint: helpers that call each other stay in.
        let mut support: Vec<bool> = (0..n)
            .map(|f| self.is_program_code(f) && named_for_tests(f))
            .collect();
        if !support.contains(&true) {
            return Vec::new();
        }
        let mut callers: Vec<Vec<usize>> = vec![Vec::new(); n];
        for g in 0..n {
            for call in &self.fns[g].summary.calls {
                if let Some(h) = self.callee(g, call)
                    && support[h]
                    && h != g
                {
                    callers[h].push(g);
                }
            }
        }
        let test_code = |g: usize| !self.is_program_code(g);
        loop {
            let mut changed = false;
            for f in 0..n {
                if support[f]
                    && (callers[f].is_empty()
                        || callers[f].iter().any(|&g| !test_code(g) && !support[g]))
                {
                    support[f] = false;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        (0..n)
            .filter(|&f| support[f])
            .map(|f| {
                let summary = &self.fns[f].summary;
                (
                    self.files[self.fns[f].file].path.clone(),
                    (summary.at.start.line, summary.body.end.line),
                )
            })
            .collect()
    }

    /// The unique function a call of `f` may reach, if any: resolved when the index was built
    /// for the calls of `f`'s own summary (found by address, so callers need not carry the
    /// call's index), else now.
    fn callee(&self, f: usize, call: &CallRef) -> Option<usize> {
        let calls = &self.fns[f].summary.calls;
        let start = calls.as_ptr() as usize;
        let at = (call as *const CallRef as usize).wrapping_sub(start);
        let i = at / std::mem::size_of::<CallRef>().max(1);
        if let Some(memo) = self.resolved.get(f)
            && let Some(&found) = memo.get(i)
            && calls.get(i).is_some_and(|own| std::ptr::eq(own, call))
        {
            return found;
        }
        self.resolve(f, call)
    }

    /// [`CrateIndex::callee`], worked out.
    fn resolve(&self, f: usize, call: &CallRef) -> Option<usize> {
        let file_index = self.fns[f].file;
        let file = &self.files[file_index];
        let meta = &self.packages[file.package];
        // `cfg.validate()` with `cfg` from `SiteConfig::from_env()` of another file: the
        // method of the type the receiver's chain settles to.
        if let Some(chain) = &call.receiver {
            let (package, ty) = self.chain_type(file_index, chain)?;
            let target = format!("{ty}::{}", call.target);
            if package != file.package {
                return self.lookup_through_aliases(package, target.into(), file, false);
            }
            return self.resolve_target(file_index, &target);
        }
        let field_target;
        let target = match call.target.strip_prefix(crate::summary::FIELD_PREFIX) {
            // `state.db.load()` with `AppState` declared in another file of the package.
            Some(rest) => {
                let (place, method) = split_path(rest)?;
                let [ty] = meta.field_types.get(place)?.as_slice() else {
                    return None;
                };
                field_target = format!("{ty}::{method}");
                &field_target
            }
            None => &call.target,
        };
        self.resolve_target(file_index, target)
    }

    /// The type a chain of file `file` settles to, with the package whose paths it is written
    /// in: its base (a field type, or the declared return type of the one function the path
    /// resolves to), then each step (a field type; the return type of the crate's method, or
    /// the table's row for a library type's method). `None` as soon as one step is not known
    /// or is ambiguous: nothing is guessed from names.
    ///
    /// ```
    /// use asyncwise_lint::crate_index::{CrateIndex, FileInput, PackageInput};
    /// use asyncwise_lint::model::{ChainBase, ChainStep, FileContext, FileModel, TyChain};
    /// let src = "pub struct Settings { pub root: std::path::PathBuf }
    ///            impl Settings { pub fn load() -> anyhow::Result<Self> { todo!() } }";
    /// let ast = syn::parse_file(src).unwrap();
    /// let cx = FileContext { module: "crate::config".into(), ..Default::default() };
    /// let path = std::path::Path::new("src/config.rs");
    /// let items = asyncwise_lint::summary::summarize(&FileModel::build_in(path, src, &ast, &cx));
    /// let file = FileInput { path: path.into(), rel: path.into(), items };
    /// let index = CrateIndex::build(vec![PackageInput { files: vec![file], ..Default::default() }]);
    /// // `config::Settings::load()?.root.join(name)`, written in another file:
    /// let chain = TyChain {
    ///     base: ChainBase::Returns("crate::config::Settings::load".into()),
    ///     steps: vec![ChainStep::Field("root".into()), ChainStep::Method("join".into())],
    /// };
    /// assert_eq!(index.chain_type(0, &chain).unwrap().1, "std::path::PathBuf");
    /// ```
    pub fn chain_type(
        &self,
        file: usize,
        chain: &crate::model::TyChain,
    ) -> Option<(usize, String)> {
        use crate::knowledge::types::{Returns, method_returns};
        use crate::model::{ChainBase, ChainStep};
        let entry = &self.files[file];
        // The type behind the lock the last step reached, when it is a field whose guard
        // dereferences to a named type: a guard method's step moves to it.
        let mut guarded: Option<String> = None;
        let (mut package, mut ty) = match &chain.base {
            ChainBase::Field { owner, field } => {
                guarded = self.guarded_type(entry.package, owner, field);
                (entry.package, self.field_type(entry.package, owner, field)?)
            }
            ChainBase::Returns(path) => self.returned_by(self.resolve_target(file, path)?)?,
        };
        for step in &chain.steps {
            if let (Some(inner), ChainStep::Method(name)) = (guarded.take(), step)
                && crate::knowledge::locks::guards_first_argument(&ty, name)
            {
                ty = inner;
                continue;
            }
            ty = match step {
                ChainStep::Field(name) if ty.starts_with("crate::") => {
                    let owner = ty.rsplit("::").next().unwrap_or(&ty);
                    guarded = self.guarded_type(package, owner, name);
                    self.field_type(package, owner, name)?
                }
                ChainStep::Field(_) => return None,
                ChainStep::Method(name) if ty.starts_with("crate::") => {
                    let path = format!("{ty}::{name}");
                    let g = self.lookup_through_aliases(
                        package,
                        path.into(),
                        entry,
                        package == entry.package,
                    )?;
                    let (p, t) = self.returned_by(g)?;
                    package = p;
                    t
                }
                ChainStep::Item => crate::knowledge::types::iterated_item(&ty)?.to_string(),
                ChainStep::Method(name) => match method_returns(&ty, name)? {
                    Returns::Type(t) => t.to_string(),
                    Returns::SameAsReceiver => ty,
                    Returns::Pair(..) => return None,
                },
            };
        }
        Some((package, ty))
    }

    /// [`CrateIndex::chain_type`] for a chain written in the file displayed as `path`: the
    /// type's path, if it settles.
    pub(crate) fn type_of_chain_in(
        &self,
        path: &Path,
        chain: &crate::model::TyChain,
    ) -> Option<String> {
        let file = self.file_by_path.get(path).copied()?;
        self.chain_type(file, chain).map(|(_, ty)| ty)
    }

    /// Whether the call target `target`, written in the file displayed as `path`, reaches one
    /// function of the workspace that hands the future it is given to a spawner: `Some`, with
    /// whether it handles the task's error itself.
    pub(crate) fn spawn_wrapper_in(&self, path: &Path, target: &str) -> Option<bool> {
        let g = self
            .file_by_path
            .get(path)
            .and_then(|&file| self.resolve_target(file, target))?;
        let summary = &self.fns[g].summary;
        summary
            .spawns_future
            .then_some(summary.handles_spawned_errors)
    }

    /// Whether the call target `target`, written in the file displayed as `path`, reaches one
    /// function of a workspace member (not of a registry dependency read for its blocking
    /// calls) whose future can end in an unlogged error.
    pub(crate) fn member_fn_fails_silently_in(&self, path: &Path, target: &str) -> bool {
        self.file_by_path
            .get(path)
            .and_then(|&file| self.resolve_target(file, target))
            .is_some_and(|g| !self.in_dependency(g) && self.fails_silently(g, LOGGING_HOPS))
    }

    /// Whether a call of function `g` is a future that can end in an unlogged error: by an
    /// exit of its own, or by passing on the error of a callee that does, as the package's own
    /// function table judges it (`facts::fails_silently`): a callee the call resolves to, or
    /// else the package's functions of that name; one that names none is silent, and so is a
    /// chain longer than `hops` or a cycle.
    fn fails_silently(&self, g: usize, hops: usize) -> bool {
        let summary = &self.fns[g].summary;
        if summary.fails_silently {
            return true;
        }
        if summary.passes_on_errors_of.is_empty() {
            return false;
        }
        let Some(hops) = hops.checked_sub(1) else {
            return true;
        };
        let named = |h: &usize| self.fns[*h].summary.id.0.rsplit("::").next();
        summary.passes_on_errors_of.iter().any(|name| {
            let mut callees: Vec<usize> = self.resolved[g]
                .iter()
                .flatten()
                .copied()
                .filter(|h| named(h) == Some(name.as_str()))
                .collect();
            if callees.is_empty() {
                let package = self.files[self.fns[g].file].package;
                callees = self.by_id[package]
                    .iter()
                    .filter(|(id, _)| id.rsplit("::").next() == Some(name.as_str()))
                    .flat_map(|(_, fns)| fns.iter().copied())
                    .collect();
            }
            callees.is_empty()
                || callees
                    .iter()
                    .any(|&h| h != g && self.fails_silently(h, hops))
        })
    }

    /// The one type the field `owner.field` has in `package` (a struct by its name).
    fn field_type(&self, package: usize, owner: &str, field: &str) -> Option<String> {
        let key = format!("{owner}.{field}");
        match self.packages[package].field_types.get(&key)?.as_slice() {
            [ty] => Some(ty.clone()),
            _ => None,
        }
    }

    /// The one type the guard of the lock field `owner.field` dereferences to in `package`.
    fn guarded_type(&self, package: usize, owner: &str, field: &str) -> Option<String> {
        let key = format!("{owner}.{field}");
        match self.packages[package].guarded_types.get(&key)?.as_slice() {
            [ty] => Some(ty.clone()),
            _ => None,
        }
    }

    /// The declared return type of function `g`, with its package.
    fn returned_by(&self, g: usize) -> Option<(usize, String)> {
        let ty = self.fns[g].summary.returns.clone()?;
        Some((self.files[self.fns[g].file].package, ty))
    }

    /// The one function a call target path written in file `file` reaches, if any.
    fn resolve_target(&self, file_index: usize, target: &str) -> Option<usize> {
        let file = &self.files[file_index];
        let meta = &self.packages[file.package];
        // `mylib::db::load` (the package's own library from a binary, a test, an example or
        // a bench: crates of their own that name the library by its name, `use
        // pueue::client::run;`) or `dep::db::load` (a path dependency, also one renamed by
        // `extern crate real_name as root;` in the crate root): the package that declares it
        // and the path inside that crate.
        let in_named_crate = || {
            let (root, rest) = split_path(target)?;
            let own_library = meta.lib_name.as_deref() == Some(root)
                && (file.target != Target::Main
                    || self.in_binary(file_index) && self.has_library(file.package));
            let dep = meta.deps.iter().find(|(name, _)| name == root).or_else(|| {
                // (Without dependencies there is nothing for an alias to name.)
                if meta.deps.is_empty() {
                    return None;
                }
                let real = meta.aliases.get(&format!("crate::{root}"))?;
                meta.deps.iter().find(|(name, _)| name == real)
            });
            match dep {
                _ if own_library => Some((file.package, Cow::Owned(format!("crate::{rest}")))),
                Some((_, d)) => Some((*d, Cow::Owned(format!("crate::{rest}")))),
                None => None,
            }
        };
        let (package, path, own_crate) = if target.starts_with("crate::") {
            // Looked up as written: a path is copied only when a re-export rewrites it.
            (file.package, Cow::Borrowed(target), true)
        } else if let Some((package, path)) = in_named_crate() {
            (package, path, false)
        } else {
            // A name no import of this file settles (`render()`, `templates::render()`): only
            // a glob import of a crate module can bring it in (`use super::*;` also brings the
            // parent's own `use crate::templates;`, which the aliases follow).
            let globs = meta.globs.get(&file_index)?;
            let mut found = globs.iter().filter_map(|g| {
                self.lookup_through_aliases(
                    file.package,
                    format!("{g}::{target}").into(),
                    file,
                    true,
                )
            });
            // Two globs that lead to the same function (one of them through a re-export) are
            // one answer, not an ambiguity.
            let first = found.next()?;
            return found.all(|other| other == first).then_some(first);
        };
        self.lookup_through_aliases(package, path, file, own_crate)
    }

    /// [`CrateIndex::lookup`], following re-exports (`pub use db::Store;`, a module's own
    /// `use crate::templates;`) by rewriting the longest aliased prefix, a few hops deep.
    fn lookup_through_aliases(
        &self,
        package: usize,
        mut path: Cow<'_, str>,
        file: &FileEntry,
        own_crate: bool,
    ) -> Option<usize> {
        for _ in 0..=ALIAS_HOPS {
            if let Some(found) = self.lookup(package, &path, file, own_crate) {
                return Some(found);
            }
            let aliases = &self.packages[package].aliases;
            let mut cut = path.len();
            let rewritten = loop {
                let prefix = &path[..cut];
                if let Some(target) = aliases.get(prefix) {
                    break Some(format!("{target}{}", &path[cut..]));
                }
                match rfind_path_separator(prefix) {
                    Some(i) => cut = i,
                    None => break None,
                }
            };
            match rewritten {
                Some(next) => path = Cow::Owned(next),
                // No alias: a glob re-export of the module the path names (`crate::Credential`
                // with `pub use config::*;` in the crate root), if exactly one glob finds it.
                None => return self.lookup_through_globs(package, &path, file, own_crate),
            }
        }
        None
    }

    /// [`CrateIndex::lookup`] of `crate::Name::..` through the globs the crate root imports
    /// (`crate::Credential::from_password` with `pub use config::*;` in `lib.rs` is looked up
    /// as `crate::config::Credential::from_password`): the unique find, if any. Only the root's
    /// globs: they are how a library re-exports a private module, while a glob `use` inside
    /// another module is private to it and names nothing for other paths.
    fn lookup_through_globs(
        &self,
        package: usize,
        path: &str,
        file: &FileEntry,
        own_crate: bool,
    ) -> Option<usize> {
        let rest = path.strip_prefix("crate::")?;
        let globs = self.packages[package].glob_modules.get("crate")?;
        let mut found = globs
            .iter()
            .filter_map(|glob| self.lookup(package, &format!("{glob}::{rest}"), file, own_crate));
        let first = found.next()?;
        found.all(|other| other == first).then_some(first)
    }

    /// The unique function named `path` in `package` visible from `from`.
    fn lookup(
        &self,
        package: usize,
        path: &str,
        from: &FileEntry,
        own_crate: bool,
    ) -> Option<usize> {
        let candidates = self.by_id.get(package)?.get(path)?;
        let mut visible = candidates.iter().copied().filter(|&g| {
            let target = &self.files[self.fns[g].file].target;
            if own_crate && package == from.package {
                // `crate::` from an example or test names that crate (with the test crates'
                // shared modules), not the library.
                from.target == *target
                    || from.target != Target::Main && *target == Target::SharedTests
            } else {
                *target == Target::Main
            }
        });
        let first = visible.next()?;
        let Some(second) = visible.next() else {
            return Some(first);
        };
        // Several definitions in one file are `cfg` alternatives (`#[cfg(sqlite)] fn backup`
        // and `#[cfg(not(sqlite))] fn backup`), and so are definitions in sibling module files
        // that one module declaration picks between (`#[cfg(unix)] #[path = "unix.rs"] mod
        // sys;`): the call reaches whichever is compiled. One that blocks by itself is the one
        // to follow, since some build runs it. Anything else is ambiguous: a crate root's
        // function and one of another target's root, or files in different folders, may be
        // different crates' (`src/main.rs` and `src/bin/tool.rs`).
        let file = &self.files[self.fns[first].file];
        let alternatives: Vec<usize> = [first, second].into_iter().chain(visible).collect();
        let alternative_of_first = |g: usize| {
            let other = &self.files[self.fns[g].file];
            self.fns[g].file == self.fns[first].file
                || (is_module_file(&file.rel)
                    && is_module_file(&other.rel)
                    && other.rel.parent() == file.rel.parent())
        };
        if !alternatives.iter().all(|&g| alternative_of_first(g)) {
            return None;
        }
        alternatives
            .into_iter()
            .find(|&g| !self.fns[g].summary.is_async && self.direct_block(g, true).is_some())
    }

    /// Blocking calls that only the index can see: a method of a library type in the blocking
    /// table, called outside async code on a receiver whose type the calling file could not
    /// tell (`self.settings.root.is_dir()` with `Settings` declared in another file, a value
    /// returned by a function of another file). Each becomes a blocking call of its function,
    /// as if the file had seen it. One chain settled per such call: linear.
    fn add_typed_blocking_calls(&mut self) {
        let mut found = Vec::new();
        for (f, entry) in self.fns.iter().enumerate() {
            for (c, call) in entry.summary.calls.iter().enumerate() {
                if matches!(call.ctx, Ctx::Async | Ctx::Unknown) {
                    continue;
                }
                let typed = match (
                    &call.receiver,
                    call.target.strip_prefix(crate::summary::FIELD_PREFIX),
                ) {
                    (Some(chain), _) => self
                        .chain_type(entry.file, chain)
                        .map(|(_, ty)| (ty, call.target.as_str())),
                    (None, Some(rest)) => split_path(rest).and_then(|(place, method)| {
                        let (owner, field) = place.split_once('.')?;
                        let ty = self.field_type(self.files[entry.file].package, owner, field)?;
                        Some((ty, method))
                    }),
                    (None, None) => None,
                };
                let Some((ty, method)) = typed else { continue };
                if self
                    .resolved
                    .get(f)
                    .and_then(|r| r.get(c))
                    .is_some_and(Option::is_some)
                {
                    continue;
                }
                if let Some(row) = crate::knowledge::blocking::blocking_method(&ty, method) {
                    found.push((
                        f,
                        BlockingCall {
                            what: format!("`{}::{method}`", crate::model::short_type(&ty)),
                            hint: row.hint.to_string(),
                            cost: row.cost,
                            ctx: call.ctx,
                            span: call.span,
                            quiet_path: call.quiet_path,
                            waits_for_threads: crate::knowledge::blocking::waits_for_threads(&ty),
                            cfg: call.cfg.clone(),
                        },
                    ));
                }
            }
        }
        for (f, call) in found {
            self.fns[f].summary.blocking.push(call);
        }
    }

    /// A runner waits for its child: in a function that waits for a child process anywhere
    /// (its own code or a thread it starts: `Child::wait`, `Command::output`), a channel
    /// receive or thread join waits for the threads that carry the child's output and exit,
    /// so it is of the child's cost class ([`Cost::ChildProcess`]: default only on a per-event
    /// path), not a wait of unknown length.
    ///
    /// [`Cost::ChildProcess`]: crate::knowledge::blocking::Cost::ChildProcess
    fn runners_wait_for_children(&mut self) {
        use crate::knowledge::blocking::{Cost, PROCESS_HINT};
        for entry in &mut self.fns {
            let blocking = &mut entry.summary.blocking;
            if !blocking.iter().any(|b| b.cost == Cost::ChildProcess) {
                continue;
            }
            for wait in blocking.iter_mut().filter(|b| b.waits_for_threads) {
                wait.cost = Cost::ChildProcess;
                wait.hint = PROCESS_HINT.to_string();
            }
        }
    }

    /// The first blocking call function `g` makes in its own sync code, by index; with
    /// `quiet`, also one made where no served work waits.
    fn direct_block(&self, g: usize, quiet: bool) -> Option<usize> {
        let summary = &self.fns[g].summary;
        summary
            .blocking
            .iter()
            .position(|b| b.ctx == Ctx::Sync && (quiet || !b.quiet_path))
    }

    /// Multi-source breadth-first search backwards from the functions that block directly,
    /// first over calls made on served paths, then over those made where no served work waits
    /// (right before a process exit, in an environment-variable fallback): a function found only
    /// by the second search blocks only on such paths.
    fn settle_blocking(&mut self) {
        let n = self.fns.len();
        let mut steps: Vec<Option<Step>> = vec![None; n];
        // Reverse edges: callee -> (caller, call index, quiet), sync calls of sync functions only.
        let mut callers: Vec<Vec<(usize, usize, bool)>> = vec![Vec::new(); n];
        for (f, summary) in self.fns.iter().map(|e| &e.summary).enumerate() {
            if summary.is_async {
                continue;
            }
            for (c, call) in summary.calls.iter().enumerate() {
                if call.ctx != Ctx::Sync {
                    continue;
                }
                if let Some(g) = self.callee(f, call)
                    && !self.fns[g].summary.is_async
                {
                    callers[g].push((f, c, call.quiet_path));
                }
            }
        }
        let mut quiet_blocking = vec![false; n];
        for quiet in [false, true] {
            let mut queue = VecDeque::new();
            for (f, step) in steps.iter_mut().enumerate() {
                if step.is_none()
                    && !self.fns[f].summary.is_async
                    && let Some(b) = self.direct_block(f, quiet)
                {
                    *step = Some(Step::Direct(b));
                    quiet_blocking[f] = quiet;
                    queue.push_back(f);
                }
            }
            // A function the first search reached may now give quiet callers a step.
            if quiet {
                queue.extend((0..n).filter(|&f| steps[f].is_some()));
            }
            while let Some(g) = queue.pop_front() {
                for &(f, c, quiet_call) in &callers[g] {
                    if steps[f].is_none() && (quiet || !quiet_call) {
                        steps[f] = Some(Step::Via(c, g));
                        quiet_blocking[f] = quiet;
                        queue.push_back(f);
                    }
                }
            }
        }
        self.steps = steps;
        self.quiet_blocking = quiet_blocking;
    }

    /// Does the function `call` (made in `f`) reaches block only through calls made where no
    /// served work waits: right before
    /// a process exit, or in a fallback taken only when an environment variable is unset (see
    /// [`quiet_paths`](crate::model::analysis::quiet_paths))?
    pub fn blocks_only_on_quiet_paths(&self, f: usize, call: &CallRef) -> bool {
        self.callee(f, call)
            .is_some_and(|g| self.quiet_blocking.get(g).copied().unwrap_or(false))
    }

    /// How many packages the index holds.
    pub fn package_count(&self) -> usize {
        self.packages.len()
    }

    /// The files of package `package` with their lock and runtime facts.
    pub fn files_of(&self, package: usize) -> impl Iterator<Item = FileFacts<'_>> {
        self.files
            .iter()
            .filter(move |f| f.package == package)
            .map(|f| FileFacts {
                path: &f.path,
                target: &f.target,
                async_lock_decls: &f.async_lock_decls,
                async_lock_sites: &f.async_lock_sites,
                runtime_calls: &f.runtime_calls,
                macro_locks: &f.macro_locks,
            })
    }

    /// Whether package `package` has a library (`src/lib.rs`): its `pub` items are used by
    /// code the index does not see.
    pub fn has_library(&self, package: usize) -> bool {
        self.packages.get(package).is_some_and(|p| p.has_library)
    }

    /// The manifest of package `package`: its path as displayed, and what was read from it.
    pub fn manifest(&self, package: usize) -> Option<(&Path, &crate::engine::manifest::Manifest)> {
        let (path, manifest) = self.packages.get(package)?.manifest.as_ref()?;
        Some((path, manifest))
    }

    /// Every call made in context `ctx` by code of the checked packages (not of registry
    /// dependencies), with the function that makes it.
    pub fn calls_in(&self, ctx: Ctx) -> impl Iterator<Item = (usize, &CallRef)> {
        self.fns.iter().enumerate().flat_map(move |(f, entry)| {
            let own = !self.in_dependency(f);
            entry
                .summary
                .calls
                .iter()
                .filter(move |c| own && c.ctx == ctx)
                .map(move |c| (f, c))
        })
    }

    /// Is function `f` code of a registry dependency (see [`PackageInput::dependency`])?
    pub fn in_dependency(&self, f: usize) -> bool {
        self.fns
            .get(f)
            .and_then(|entry| self.files.get(entry.file))
            .and_then(|file| self.packages.get(file.package))
            .is_some_and(|p| p.dependency)
    }

    /// Per function, in the order of the packages, files and functions given to
    /// [`CrateIndex::build`]: does it block?
    pub(crate) fn blocking_flags(&self) -> Vec<bool> {
        self.steps.iter().map(Option::is_some).collect()
    }

    /// The file a function is declared in, as displayed.
    pub fn path_of(&self, f: usize) -> &Path {
        &self.files[self.fns[f].file].path
    }

    /// Function `f` as a finding in its body records it
    /// ([`Diagnostic::function`](crate::diagnostic::Diagnostic::function)).
    pub fn enclosing(&self, f: usize) -> crate::diagnostic::Enclosing {
        let summary = &self.fns[f].summary;
        crate::diagnostic::Enclosing {
            id: summary.id.0.clone(),
            body_start: summary.body.byte_start,
        }
    }

    /// The function (by index) a call of function `f` reaches, when it is a sync function
    /// that blocks, with the chain from it down to the blocking call.
    ///
    /// A call made under `#[cfg(..)]` predicates does not take a first step the callee makes
    /// only under the opposite one (`#[cfg(not(unix))] { sync_dir(d) }` reaching a
    /// `#[cfg(unix)] { File::open(d)?.sync_all()?; }` block): the two are never compiled
    /// together. Another step of the callee that agrees is taken instead, if any.
    pub fn blocking_callee(&self, f: usize, call: &CallRef) -> Option<(FnId, Vec<Hop>)> {
        let g = self.callee(f, call)?;
        if self.fns[g].summary.is_async {
            return None;
        }
        let chain = if call.cfg.is_empty() {
            self.chain(g)?
        } else {
            self.chain_under(g, &call.cfg)?
        };
        Some((self.fns[g].summary.id.clone(), chain))
    }

    /// The hops from `g` down to a blocking call, for a call of `g` compiled under `cfg`: the
    /// first step is one whose own predicates do not exclude `cfg`'s.
    fn chain_under(&self, g: usize, cfg: &[String]) -> Option<Vec<Hop>> {
        let summary = &self.fns[g].summary;
        let first = match self.steps[g]? {
            Step::Direct(b) => &summary.blocking[b].cfg,
            Step::Via(c, _) => &summary.calls[c].cfg,
        };
        if !crate::model::cfg::excludes(cfg, first) {
            return self.chain(g);
        }
        let agrees = |other: &[String]| !crate::model::cfg::excludes(cfg, other);
        if let Some(b) = summary
            .blocking
            .iter()
            .position(|b| b.ctx == Ctx::Sync && agrees(&b.cfg))
        {
            return Some(vec![self.direct_hop(g, b)]);
        }
        summary.calls.iter().enumerate().find_map(|(c, call)| {
            if call.ctx != Ctx::Sync || !agrees(&call.cfg) {
                return None;
            }
            let next = self.callee(g, call)?;
            if self.fns[next].summary.is_async {
                return None;
            }
            let rest = self.chain(next)?;
            let mut hops = vec![self.via_hop(g, c, next)];
            hops.extend(rest);
            Some(hops)
        })
    }

    /// The hop of function `g`'s own blocking call `b`.
    fn direct_hop(&self, g: usize, b: usize) -> Hop {
        let entry = &self.fns[g];
        let BlockingCall {
            what,
            span,
            hint,
            cost,
            ..
        } = &entry.summary.blocking[b];
        Hop {
            from: entry.summary.id.clone(),
            calls: what.clone(),
            path: self.files[entry.file].path.clone(),
            span: *span,
            hint: Some(hint.clone()),
            cost: Some(*cost),
            in_dependency: self.in_dependency(g),
        }
    }

    /// The hop of function `g`'s call `c`, of function `next`.
    fn via_hop(&self, g: usize, c: usize, next: usize) -> Hop {
        let entry = &self.fns[g];
        Hop {
            from: entry.summary.id.clone(),
            calls: format!("`{}`", self.fns[next].summary.id.short()),
            path: self.files[entry.file].path.clone(),
            span: entry.summary.calls[c].span,
            hint: None,
            cost: None,
            in_dependency: self.in_dependency(g),
        }
    }

    /// Does call `call` of function `f` reach a function named as set-up code (`new`, `open`,
    /// `init`, ... by the run's knowledge)?
    pub fn calls_named_setup(&self, f: usize, call: &CallRef) -> bool {
        self.callee(f, call)
            .is_some_and(|g| self.fns[g].summary.named_setup)
    }

    /// The blocking chain of the function with id `id` in package `package` (tests and docs).
    pub fn blocking_chain_of(&self, id: &str, package: usize) -> Option<Vec<Hop>> {
        let g = *self.by_id.get(package)?.get(id)?.first()?;
        self.chain(g)
    }

    /// The hops from `g` down to a blocking call; `None` if `g` does not block.
    fn chain(&self, mut g: usize) -> Option<Vec<Hop>> {
        let mut hops = Vec::new();
        // Each step moves one level closer to a direct blocking call, so this ends; the bound
        // is a guard against a corrupted table.
        for _ in 0..=self.fns.len() {
            match self.steps[g]? {
                Step::Direct(b) => {
                    hops.push(self.direct_hop(g, b));
                    return Some(hops);
                }
                Step::Via(c, next) => {
                    hops.push(self.via_hop(g, c, next));
                    g = next;
                }
            }
        }
        None
    }
}

/// `a::b::c` as (`a`, `b::c`): what `split_once("::")` does, without building a substring
/// searcher for every call (the index splits every call's path).
fn split_path(path: &str) -> Option<(&str, &str)> {
    let at = path.as_bytes().windows(2).position(|w| w == b"::")?;
    Some((&path[..at], &path[at + 2..]))
}

/// A file that is a module of its crate rather than a crate root (`src/lib.rs`, `src/main.rs`,
/// `src/bin/*.rs`, a test's or example's own file), as the package layout says.
fn is_module_file(rel: &Path) -> bool {
    crate::engine::layout::module_path(rel) != "crate"
}

fn rfind_path_separator(path: &str) -> Option<usize> {
    path.as_bytes().windows(2).rposition(|w| w == b"::")
}

/// Modules whose files a `#[path]` attribute puts somewhere else than their layout says:
/// (module path the file was lowered as, module path it really has).
fn path_attribute_moves(files: &[FileInput]) -> Vec<(String, String)> {
    let mut moves = Vec::new();
    // The files' paths normalised once, when the first attribute needs them.
    let mut normalized: Option<Vec<PathBuf>> = None;
    for file in files {
        let dir = file.rel.parent().unwrap_or(Path::new(""));
        for decl in &file.items.mod_decls {
            let Some(attr) = &decl.path_attr else {
                continue;
            };
            // Only declarations at the file's top level: inside inline modules the attribute
            // is relative to a directory named after them, which layouts rarely use.
            if decl.parent != file.items.module {
                continue;
            }
            let declared = normalize(&dir.join(attr));
            let normalized =
                normalized.get_or_insert_with(|| files.iter().map(|f| normalize(&f.rel)).collect());
            let Some(target) = normalized
                .iter()
                .position(|rel| *rel == declared)
                .map(|i| &files[i])
            else {
                continue;
            };
            let real = format!("{}::{}", decl.parent, decl.name);
            if target.items.module != real {
                moves.push((target.items.module.clone(), real));
            }
        }
    }
    moves
}

fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Rewrites every path of a file's summary that starts with a moved module.
fn relocate(items: &mut FileItems, moves: &[(String, String)]) {
    let apply = |path: &mut String| {
        for (from, to) in moves {
            if path == from {
                *path = to.clone();
                return;
            }
            if let Some(rest) = path.strip_prefix(from.as_str())
                && rest.starts_with("::")
            {
                *path = format!("{to}{rest}");
                return;
            }
        }
    };
    apply(&mut items.module);
    for f in &mut items.functions {
        apply(&mut f.id.0);
        for c in &mut f.calls {
            apply(&mut c.target);
        }
    }
    for (alias, target) in &mut items.aliases {
        apply(alias);
        apply(target);
    }
    for (module, glob) in &mut items.globs {
        apply(module);
        apply(glob);
    }
    for d in &mut items.mod_decls {
        apply(&mut d.parent);
    }
}
