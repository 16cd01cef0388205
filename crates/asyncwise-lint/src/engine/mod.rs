//! The driver: discovery, parsing and the parallel pipeline.
//!
//! [`check_paths`] runs [`discover::discover`], then on a rayon pool whose threads have a large
//! stack ([`WORKER_STACK_SIZE`]) reads, guards ([`parse::check_nesting`]), parses and analyses
//! each file; a panic while checking one file becomes that file's error and the other files are
//! still checked. syn trees never leave their thread: each file yields a plain-data
//! [`FileAnalysis`], and once every file is done, the crate pass
//! ([`facts::finish_package`](crate::facts::finish_package)) runs per package.
//!
//! proc-macro2 keeps a per-thread table of every source text it has tokenised; the engine
//! empties it after each file (`proc_macro2::extra::invalidate_current_thread_spans`) so memory
//! stays flat and 32-bit span offsets never wrap, however many files a thread parses.

pub mod dependencies;
pub mod discover;
pub mod item_macros;
pub mod layout;
pub mod manifest;
mod moved;
pub mod parse;
pub mod targets;

use std::any::Any;
use std::collections::{BTreeMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use crate::cache::{Cache, EncodedBytes, PackageCache};
use crate::crate_index::{CrateIndex, FileInput, PackageInput};
use crate::diagnostic::{Diagnostic, FileError, Severity};
use crate::facts::{FileAnalysis, finish_package};
use crate::items::ItemOutline;
use crate::levels::{Level, Levels};
use crate::model::TestCode;
use crate::suppress::FileSuppressions;
use manifest::{Edition, Manifest};
use targets::{FileTarget, Targets, TestModuleFiles};

/// Maps keyed by paths that a run fills once or more per file or directory: foldhash, not
/// SipHash (nothing here is keyed by untrusted input that could aim at collisions).
type PathMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;

/// Stack size of the worker threads: room for deep (but accepted) nesting in syn's recursive
/// parser, the model's traversal and the tree's drop, with a wide margin.
pub const WORKER_STACK_SIZE: usize = 64 << 20;

/// Files larger than this are reported as errors instead of being analysed (by default).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 32 << 20;

/// Options of a check run.
///
/// ```
/// let mut options = asyncwise_lint::CheckOptions::default();
/// assert!(options.threads >= 1);
/// options.threads = 2;
/// ```
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Worker threads (default: the available parallelism).
    pub threads: usize,
    /// Larger files are reported as errors (default: [`DEFAULT_MAX_FILE_SIZE`]).
    pub max_file_size: u64,
    /// Which test code is checked (default: none, as `cargo clippy` without flags).
    pub targets: Targets,
    /// Which rules and forms are reported, at which level (default: each rule's default).
    pub levels: Levels,
    /// Read the configuration next to the checked files ([`config`](crate::config)): `exclude`
    /// globs and `require_reason` (default: `false`, as if there were none).
    pub configure: bool,
    /// What the run knows about libraries (default: the built-in tables).
    pub knowledge: Arc<crate::knowledge::Knowledge>,
    /// Build per-file summaries and the crate index, and report blocking through helper
    /// functions (default: on). Off only to measure what the call graph costs.
    pub call_graph: bool,
    /// Reuse and record per-file results in this directory ([`cache`](crate::cache); default:
    /// none, every file is analysed). Problems with it never fail the run: they become
    /// [`CheckReport::warnings`] and the run goes on without it.
    pub cache: Option<PathBuf>,
    /// Texts that replace what is on disk, keyed by absolute path: an editor's unsaved
    /// buffers (default: none). Every file the run reads is looked up here first, so findings
    /// and fixes are those of the overlay text; the cache keys by content, so overlay results
    /// are stored and found like any others. A named path that is an overlay is checked even
    /// if it does not exist on disk; an overlay of a file that is neither on disk nor named is
    /// not found by walking directories.
    pub overlays: Arc<std::collections::HashMap<PathBuf, Arc<str>>>,
    /// The process exits right after this run (a command-line check; default: `false`, as a
    /// server or a test goes on running): in a run of one group of packages, its crate index,
    /// which the exit releases anyway, is left to it instead of being freed one allocation at
    /// a time (with several groups each is freed, so memory stays bounded by the largest).
    pub exits_after: bool,
    /// Where the sources of registry dependencies are looked for, to follow calls into their
    /// blocking sync functions ([`dependencies`]; `Sources::from_environment()`: cargo's
    /// registry as the environment gives it, `$CARGO_HOME` or `~/.cargo`). `None`, the default
    /// (`--deps` opts in): dependencies are not read.
    pub dependency_sources: Option<dependencies::Sources>,
}

impl CheckOptions {
    /// Every target and every rule in every form: `--all-targets --select all`.
    ///
    /// ```
    /// let options = asyncwise_lint::CheckOptions::everything();
    /// assert_eq!(options.targets, asyncwise_lint::engine::targets::Targets::ALL);
    /// ```
    pub fn everything() -> CheckOptions {
        CheckOptions {
            targets: Targets::ALL,
            levels: Levels::everything(),
            ..CheckOptions::default()
        }
    }
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            targets: Targets::LIB_AND_BINS,
            levels: Levels::default(),
            configure: false,
            call_graph: true,
            knowledge: crate::knowledge::Knowledge::builtin(),
            cache: None,
            overlays: Arc::default(),
            exits_after: false,
            dependency_sources: None,
        }
    }
}

/// Test code a run left out (see [`targets`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Skipped {
    /// Whole files: `tests/`, `benches/`, `examples/`, out-of-line test modules.
    pub files: usize,
    /// Test items inside checked files (`#[cfg(test)]` items, test functions).
    pub items: usize,
}

/// The result of checking a set of paths.
#[derive(Debug, Clone, Default)]
pub struct CheckReport {
    /// How many files were analysed (including those that failed), skipped ones excluded.
    pub files_checked: usize,
    /// Test code left out by [`CheckOptions::targets`].
    pub skipped: Skipped,
    /// Findings, sorted by path and position.
    pub diagnostics: Vec<Diagnostic>,
    /// Files or paths that could not be checked, sorted by path.
    pub errors: Vec<FileError>,
    /// The text of every file with a finding, keyed by its display path (for snippets).
    pub sources: BTreeMap<PathBuf, Arc<str>>,
    /// The item outline of every file with a finding (for baseline fingerprints).
    pub outlines: BTreeMap<PathBuf, Arc<ItemOutline>>,
    /// Named directories in which no Rust file was found (after exclusions).
    pub empty_paths: Vec<PathBuf>,
    /// How the cache served this run.
    pub cache: CacheStats,
    /// Problems that did not affect the results (an unusable cache directory), each once.
    pub warnings: Vec<String>,
}

/// How many files the cache ([`CheckOptions::cache`]) answered, and how many were analysed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Files whose stored results were used.
    pub hits: usize,
    /// Files analysed (and recorded) because nothing usable was stored.
    pub misses: usize,
    /// Of the hits, files the cache answered from their size and times alone, without reading
    /// them ([`cache`](crate::cache)).
    pub unread: usize,
    /// Groups of packages whose crate-pass result the cache answered (their summaries,
    /// packages and findings were those it was computed from).
    pub crate_passes_reused: usize,
    /// Groups of packages whose stored crate-pass result was reused after an edit that only
    /// moved code in one file (lines added or removed), with its positions moved the same way.
    pub crate_passes_moved: usize,
}

/// Checks every Rust file under `paths` (see the [module docs](self)).
///
/// ```
/// let dir = std::env::temp_dir().join(format!("asyncwise-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// std::fs::write(dir.join("ok.rs"), "fn main() {}").unwrap();
/// std::fs::write(dir.join("bad.rs"), "fn main( {}").unwrap();
/// let report = asyncwise_lint::check_paths(&[dir.clone()], &Default::default());
/// assert_eq!(report.files_checked, 2);
/// assert_eq!(report.errors.len(), 1);
/// assert!(report.errors[0].path.ends_with("bad.rs"));
/// std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn check_paths(paths: &[PathBuf], options: &CheckOptions) -> CheckReport {
    crate::timing::mark("check: start");
    let mut resolver = options.configure.then(crate::config::Resolver::default);
    // A file is left out by the configuration of its own package and workspace, and by that of
    // the directory being walked (so a workspace can exclude a nested, independent crate).
    // The settings of the last file's directory and of the walked directory are kept: files
    // come directory by directory, and looking settings up costs path work per file.
    let working_dir = std::env::current_dir().unwrap_or_default();
    // Settings by directory as discovery shows it (files come directory by directory, but a
    // walk returns to a directory after its subdirectories), and those of the walked
    // directory: looked up once each. A file's path is made absolute only when some setting
    // has `exclude` globs to match it against.
    let mut dir_settings: PathMap<PathBuf, Arc<crate::config::Effective>> = PathMap::default();
    let mut root_settings: Option<(PathBuf, Arc<crate::config::Effective>)> = None;
    // The cache, and the cache file and manifest of the packages the named paths are in, are
    // read on another thread while this one walks the tree.
    // The worker pool is started on a thread of its own meanwhile too (starting its threads
    // took 0.5 ms of a 25 ms warm run on the main thread).
    let (found, early, pool) = std::thread::scope(|scope| {
        let early = scope.spawn(|| read_early(paths, options));
        let pool = scope.spawn(|| worker_pool(options));
        let found = discover::discover_excluding(paths, &mut |root, file| {
            resolver.as_mut().is_some_and(|r| {
                let shown_dir = file.parent().unwrap_or(Path::new(""));
                let own = match dir_settings.get(shown_dir) {
                    Some(settings) => Arc::clone(settings),
                    None => {
                        let settings =
                            r.for_dir(&crate::config::absolute_in(&working_dir, shown_dir));
                        dir_settings.insert(shown_dir.to_path_buf(), Arc::clone(&settings));
                        settings
                    }
                };
                let walked = match &root_settings {
                    Some((known, settings)) if known == root => Arc::clone(settings),
                    _ => {
                        let settings = r.for_dir(&crate::config::absolute_in(&working_dir, root));
                        root_settings = Some((root.to_path_buf(), Arc::clone(&settings)));
                        settings
                    }
                };
                if own.excludes_nothing() && walked.excludes_nothing() {
                    return false;
                }
                let absolute = crate::config::absolute_in(&working_dir, file);
                own.is_excluded(&absolute) || walked.is_excluded(&absolute)
            })
        });
        (found, early.join(), pool.join())
    });
    let mut found = found;
    // The paths the run was asked for, absolute: what a package's place is judged from.
    let named: Vec<PathBuf> = paths
        .iter()
        .map(|p| crate::config::absolute_in(&working_dir, p))
        .collect();
    let EarlyReads {
        cache: early_cache,
        packages: mut early_packages,
    } = early.unwrap_or_else(|_| EarlyReads {
        cache: None,
        packages: Vec::new(),
    });
    // Named files that exist only as overlays (new, unsaved buffers) are found all the same.
    for given in paths {
        if !given.exists() && overlay_of(&options.overlays, given).is_some() {
            found.add_unsaved(given);
        }
    }
    let targets = options.targets;
    crate::timing::mark("discovery");
    let mut report = CheckReport {
        errors: std::mem::take(&mut found.errors),
        empty_paths: std::mem::take(&mut found.empty),
        ..CheckReport::default()
    };
    // Files named inside a package bring the rest of it (and the members it depends on by
    // path) for the crate-level facts; only the named files are reported and counted.
    // Each manifest is read once: the early reads' first, the others when first needed.
    let mut manifests_by_root: std::collections::HashMap<PathBuf, Option<Manifest>> =
        early_packages
            .iter_mut()
            .filter_map(|early| Some((early.root.clone(), early.manifest.take()?)))
            .collect();
    let reported =
        complete_named_packages(paths, &options.overlays, &mut found, &mut manifests_by_root);
    let is_reported = |path: &Path| reported.as_ref().is_none_or(|r| r.contains(path));
    // Files of targets the run leaves out are not even read: nothing in them is visible to
    // library code.
    let cwd = std::env::current_dir().ok();
    // (Cache files the early reads got to are taken from them.)
    let mut early_stored_of = |root: &Path| {
        early_packages
            .iter_mut()
            .find(|early| early.root == root)
            .and_then(|early| early.stored.take())
    };
    let (early_stored, manifests): (Vec<_>, Vec<Option<Manifest>>) = found
        .packages
        .iter()
        .map(|p| {
            let manifest = manifests_by_root
                .remove(&p.root)
                .unwrap_or_else(|| manifest::read(&p.root).ok());
            (Mutex::new(early_stored_of(&p.root)), manifest)
        })
        .unzip();
    let mut selected = Vec::with_capacity(found.packages.len());
    // Packages that exist to test a member that uses them only in its tests.
    let package_roots: Vec<PathBuf> = found.packages.iter().map(|p| p.root.clone()).collect();
    let manifest_refs: Vec<Option<&Manifest>> = manifests.iter().map(Option::as_ref).collect();
    let test_support_by_use = targets::test_support_by_use(&package_roots, &manifest_refs);
    for ((package, manifest), by_use) in found
        .packages
        .iter()
        .zip(&manifests)
        .zip(test_support_by_use)
    {
        // A package's targets are read from paths inside it (`examples/demo/src/main.rs` of a
        // package rooted at `examples/demo` is its main code); without a manifest, the path as
        // given is all there is to go by.
        let has_manifest = package.root.join("Cargo.toml").is_file();
        // A workspace member kept in a directory of benchmarks is bench code, as `benches/` is.
        // (The workspace is looked for only when a directory of the package's path is named
        // like one of benchmarks: only such a directory inside it can make a bench package.)
        let bench_package = has_manifest
            && targets::may_be_in_bench_directory(&package.root)
            && manifest::workspace_root(&package.root)
                .is_some_and(|ws| targets::in_bench_directory(&package.root, &ws));
        // A package that exists to test others is test code, as `tests/` is: one that a member
        // uses only in its tests and that depends on that member, or a workspace member named
        // like test tooling (`*-test`, `*-fuzz`, `*-dst`, `*-stress`, ...). A package that is
        // not a member below its workspace's root (a workspace's root package, a package of
        // its own) is what its repository ships, whatever its name.
        let named_like_test = || {
            package
                .root
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(targets::is_test_package)
                || manifest
                    .as_ref()
                    .and_then(|m| m.name.as_deref())
                    .is_some_and(targets::is_test_package)
        };
        let test_package = has_manifest
            && (by_use
                || named_like_test()
                    && manifest::workspace_root(&package.root)
                        .is_some_and(|ws| ws != package.root));
        // A workspace member kept inside a documentation directory (`docs/book`) is
        // documentation code, checked with the examples.
        let doc_package = has_manifest
            && targets::may_be_in_doc_directory(&package.root)
            && manifest::workspace_root(&package.root)
                .is_some_and(|ws| targets::in_doc_directory(&package.root, &ws));
        // A package kept in the `examples/` directory of another package or workspace is an
        // example program, checked with the examples, when the run reaches it from above that
        // directory: a path named inside it (`asyncwise check examples/demo`, or a run from
        // there) asks for that program itself, as `cargo clippy` run in it checks it.
        let example_package = has_manifest
            && targets::example_directories_above(&package.root).any(|d| {
                let examples = crate::config::absolute_in(&working_dir, d);
                d.parent()
                    .is_some_and(|above| above.join("Cargo.toml").is_file())
                    && named
                        .iter()
                        .any(|p| examples.starts_with(p) && examples != *p)
            });
        let mut files = Vec::with_capacity(package.files.len());
        let test_targets = manifest.as_ref().map(Manifest::test_target_lookup);
        for path in &package.files {
            // A file the manifest names as an `[[example]]`, `[[bench]]` or `[[test]]` target
            // is that target's code wherever it sits (a workspace member under `examples/`
            // whose only target is an example).
            let declared = test_targets
                .as_ref()
                .and_then(|t| t.of(&relative_to(&package.root, path, cwd.as_deref())));
            let target = match declared {
                Some(manifest::TestTarget::Example) => FileTarget::Examples,
                Some(manifest::TestTarget::Bench) => FileTarget::Benches,
                Some(manifest::TestTarget::Test) => FileTarget::Tests,
                None if has_manifest => {
                    match FileTarget::of(&in_package(&package.root, path, cwd.as_deref())) {
                        FileTarget::Main if test_package => FileTarget::Tests,
                        FileTarget::Main if bench_package => FileTarget::Benches,
                        FileTarget::Main if doc_package || example_package => FileTarget::Examples,
                        target => target,
                    }
                }
                None => FileTarget::of(path),
            };
            let explicit = found.explicit.contains(path);
            if target.included(targets, explicit) {
                report.files_checked += usize::from(is_reported(path));
                files.push(SelectedFile {
                    path: path.clone(),
                    target,
                    explicit,
                });
            } else if is_reported(path) {
                report.skipped.files += 1;
            }
        }
        // Binaries are judged only in a real package: a `Cargo.toml`, and for the main binary a
        // `src/main.rs` with no `src/lib.rs` beside it.
        let src = package.root.join("src");
        let layout = match has_manifest {
            false => None,
            true => Some(src.join("main.rs").is_file() && !src.join("lib.rs").is_file()),
        };
        selected.push((files, layout));
    }
    // (Started here if that thread panicked.)
    let pool = match pool.unwrap_or_else(|_| worker_pool(options)) {
        Ok(pool) => pool,
        Err(error) => {
            report.errors.extend(pool_failure(&found.packages, &error));
            return report;
        }
    };
    crate::timing::mark("worker pool");
    // (Opened here if the early reads did not get to it.)
    let opened = match (early_cache, options.cache.as_deref()) {
        (Some(opened), _) => Some(opened),
        (None, Some(dir)) => Some(Cache::open(dir, run_fingerprint(options))),
        (None, None) => None,
    };
    let cache = opened.and_then(|opened| match opened {
        Ok(cache) => Some(cache),
        Err(error) => {
            report
                .warnings
                .push(format!("{error}; checking without the cache"));
            None
        }
    });
    let max_size = options.max_file_size;
    // The knowledge each package is checked with: the run's, extended by the rows of the
    // package's configuration (its own and its workspace's).
    let knowledge: Vec<Arc<crate::knowledge::Knowledge>> = found
        .packages
        .iter()
        .zip(&manifests)
        .map(|(package, manifest)| {
            let rows = resolver.as_mut().map(|r| {
                r.for_dir(&crate::config::absolute(&package.root))
                    .user_rows()
            });
            match rows {
                Some(rows) if !rows.is_empty() => {
                    let lib = manifest.as_ref().and_then(|m| m.lib_name.as_deref());
                    Arc::new(options.knowledge.with_user_rows(&rows, lib))
                }
                _ => Arc::clone(&options.knowledge),
            }
        })
        .collect();
    let mut cache_errors = Vec::new();
    crate::timing::mark("manifests and configuration");
    let mut kept_by_path = BTreeMap::new();
    // Texts of files that notes point into (a helper's blocking call in another file), so that
    // formats can place and show them; `None` until read.
    let mut note_sources: BTreeMap<PathBuf, Option<Arc<str>>> = BTreeMap::new();
    // The configuration's levels for each file's directory, then the command line's.
    // Test code gets the configuration's `test_rules` on top of its file's levels.
    let mut levels_by_file: PathMap<(PathBuf, bool), Levels> = PathMap::default();
    // Packages are checked one group at a time (a group: packages that depend on each other by
    // path, whose crate pass needs all their summaries), and a group's per-file results are
    // dropped once its findings are settled: memory follows the largest group, not the run.
    let groups = package_groups(&found.packages, &manifests);
    let group_count = groups.len();
    for group in groups {
        let first_finding = report.diagnostics.len();
        // The index is left to the exit only in a run of one group. Leaving every group's made
        // memory grow with the number of groups (8 copies of the bench corpus: 47 MB peak
        // became 154 MB); leaving only the last one's still raised that peak (medians of 9
        // runs 49.1 -> 52.7 MB: what the outlines allocate after the pass cannot reuse it).
        let leave_to_exit = options.exits_after && group_count == 1;
        let packages = pool.install(|| {
            group
                .par_iter()
                .map(|&index| {
                    let package = &found.packages[index];
                    let (files, layout) = &selected[index];
                    let manifest = &manifests[index];
                    let edition = manifest.as_ref().map_or(Edition::default(), |m| m.edition);
                    let tokio = crate::model::TokioFeatures::from_manifest(
                        manifest.as_ref().and_then(|m| m.tokio_features()),
                    );
                    crate::timing::mark("package: start");
                    let early = early_stored[index]
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .take();
                    let stored = cache
                        .as_ref()
                        .map(|c| early.unwrap_or_else(|| c.package(&package.root)));
                    crate::timing::mark("package: cache read");
                    let shared = stored.as_ref().map(|_| {
                        shared_context_key(&crate::model::FileContext {
                            module: String::new(),
                            edition,
                            call_graph: options.call_graph,
                            knowledge: Arc::clone(&knowledge[index]),
                            tokio: tokio.clone(),
                            skip_test_items: false,
                        })
                    });
                    // The files the cache cannot answer without reading them (an edit, or
                    // every file without a cache) go first, and among them the largest first:
                    // a parse is the longest job, and a large file started last would leave the
                    // other workers idle at the end (tokio's largest file is 2.6% of its
                    // source).
                    // Each file is stat'ed once, here: the same stamp orders the work and
                    // then tells `check_file` whether the cache may answer without a read.
                    let stamps: Vec<Option<crate::cache::FileStamp>> = files
                        .par_iter()
                        .map(|file| stamp_of(&file.path, &options.overlays))
                        .collect();
                    let unchanged = |i: usize| {
                        stored.as_ref().is_some_and(|stored| {
                            files[i]
                                .path
                                .to_str()
                                .zip(stamps[i].as_ref())
                                .is_some_and(|(name, stamp)| stored.stamp_matches(name, stamp))
                        })
                    };
                    let size = |i: usize| match overlay_of(&options.overlays, &files[i].path) {
                        Some(text) => text.len() as u64,
                        None => stamps[i].map_or(0, |stamp| stamp.size),
                    };
                    let mut order: Vec<usize> = (0..files.len()).collect();
                    order.sort_by_cached_key(|&i| (unchanged(i), std::cmp::Reverse(size(i))));
                    // One file per job, so that the workers share the end of the list file by
                    // file instead of in runs.
                    let mut outcomes: Vec<_> = order
                        .par_iter()
                        .with_max_len(1)
                        .map(|&i| (i, &files[i]))
                        .map(|(i, file)| {
                            let rel = relative_to(&package.root, &file.path, cwd.as_deref());
                            let cx = crate::model::FileContext {
                                module: layout::module_path(&rel),
                                edition,
                                call_graph: options.call_graph,
                                knowledge: Arc::clone(&knowledge[index]),
                                tokio: tokio.clone(),
                                skip_test_items: !file
                                    .target
                                    .keeps_test_items(targets, file.explicit),
                            };
                            let overlay = overlay_of(&options.overlays, &file.path);
                            let read = ReadFrom { max_size, overlay };
                            let cache = stored.as_ref().zip(shared);
                            (i, rel, check_file(&file.path, read, &cx, cache, stamps[i]))
                        })
                        .collect();
                    outcomes.sort_unstable_by_key(|(i, ..)| *i);
                    let outcomes: Vec<_> = outcomes
                        .into_iter()
                        .map(|(_, rel, outcome)| (rel, outcome))
                        .collect();
                    crate::timing::mark("package: files checked");
                    let mut stats = CacheStats::default();
                    if stored.is_some() {
                        for (_, outcome) in &outcomes {
                            match outcome {
                                Ok(checked) if checked.from_cache => {
                                    stats.hits += 1;
                                    stats.unread += usize::from(checked.unread);
                                }
                                _ => stats.misses += 1,
                            }
                        }
                    }
                    // Written while the crate pass runs (below).
                    let to_save = stored.map(|stored| {
                        let seen: HashSet<String> = files
                            .iter()
                            .filter_map(|f| f.path.to_str().map(str::to_owned))
                            .collect();
                        (stored, seen)
                    });
                    let mut analyses = Vec::with_capacity(outcomes.len());
                    let mut tests = Vec::with_capacity(outcomes.len());
                    let mut concurrent = Vec::with_capacity(outcomes.len());
                    let mut inputs = Vec::with_capacity(outcomes.len());
                    let mut encoded = Vec::with_capacity(outcomes.len());
                    let mut errors = Vec::new();
                    let mut kept = BTreeMap::new();
                    // Files analysed again after an edit, with what the cache had for them.
                    let mut previous = Vec::new();
                    for (file, (rel, outcome)) in files.iter().zip(outcomes) {
                        match outcome {
                            Ok(CheckedFile {
                                mut analysis,
                                kept: file_kept,
                                from_cache,
                                encoded_items,
                                previous: file_previous,
                                ..
                            }) => {
                                // (A summary that is byte for byte the same moved nothing:
                                // the stored crate pass answers as it is, or the edit changed
                                // findings and the pass runs.)
                                if let Some(file_previous) = file_previous
                                    && encoded_items.as_ref() != Some(&file_previous.1)
                                {
                                    previous.push((analyses.len(), file_previous));
                                }
                                if let Some(file_kept) = file_kept {
                                    kept.insert(file.path.clone(), file_kept);
                                }
                                tests.push((file, std::mem::take(&mut analysis.test_code)));
                                concurrent.push((file.path.as_path(), analysis.concurrent));
                                inputs.push(FileInput {
                                    path: file.path.clone(),
                                    rel,
                                    items: std::mem::take(&mut analysis.summary.items),
                                });
                                encoded.push(EncodedItems {
                                    bytes: encoded_items,
                                    decoded: !from_cache,
                                });
                                analyses.push(analysis);
                            }
                            Err(error) => errors.push(error),
                        }
                    }
                    // With one file edited, the package's findings as the crate pass would have
                    // received them before the edit, to tell whether the edit only moved code.
                    let edited = match previous.len() {
                        0 => Edited::None,
                        1 => match previous.pop() {
                            Some((at, before)) => {
                                let (old_analysis, old_items) = *before;
                                let files: Vec<&FileAnalysis> = analyses
                                    .iter()
                                    .enumerate()
                                    .map(|(i, a)| if i == at { &old_analysis } else { a })
                                    .collect();
                                Edited::One(Box::new(EditedFile {
                                    file: at,
                                    old_items,
                                    old_outcome: crate::facts::finish_package_of(&files),
                                }))
                            }
                            None => Edited::Many,
                        },
                        _ => Edited::Many,
                    };
                    let (diagnostics, for_index) = finish_package(analyses);
                    let outcome = PackageOutcome {
                        diagnostics,
                        for_index,
                        errors,
                        kept,
                        skipped: Skipped::default(),
                        edited,
                    };
                    (
                        (outcome, tests, concurrent, (inputs, encoded), *layout),
                        (stats, to_save),
                    )
                })
                .collect::<Vec<_>>()
        });
        crate::timing::mark("group: packages done");
        let mut outcomes = Vec::with_capacity(packages.len());
        let mut inputs = Vec::with_capacity(packages.len());
        let mut encoded = Vec::with_capacity(packages.len());
        let mut to_save = Vec::new();
        for ((outcome, tests, concurrent, (files, file_encoded), layout), (stats, stored)) in
            packages
        {
            outcomes.push((outcome, tests, concurrent, layout));
            inputs.push(files);
            encoded.push(file_encoded);
            report.cache.hits += stats.hits;
            report.cache.misses += stats.misses;
            report.cache.unread += stats.unread;
            to_save.extend(stored);
        }
        // The group's cache files are written on the pool while this thread runs the crate
        // pass, which is serial: a warm run after an edit rewrites its package's file.
        let save_errors = Mutex::new(Vec::new());
        pool.in_place_scope(|scope| {
            if let Some(cache) = &cache {
                for (stored, seen) in to_save {
                    let save_errors = &save_errors;
                    scope.spawn(move |_| {
                        if let Err(error) = cache.save(stored, &seen) {
                            save_errors
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .push(error);
                        }
                        crate::timing::mark("package: cache written");
                    });
                }
            }
            if options.call_graph {
                // A panic here would lose every finding: it becomes an error of the run instead.
                let group_packages: Vec<&discover::Package> =
                    group.iter().map(|&i| &found.packages[i]).collect();
                let group_manifests: Vec<&Option<Manifest>> =
                    group.iter().map(|&i| &manifests[i]).collect();
                let mut inputs = package_inputs(&group_packages, &group_manifests, inputs);
                // The crate pass's result is a function of its inputs (the summaries, the
                // packages, the findings it settles) and of the run's fingerprint: when they
                // hash as they did when the result was stored, the stored result is it. Not
                // with registry dependencies, which are read from outside the group.
                let group_roots: Vec<String> = group_packages
                    .iter()
                    .map(|p| p.root.to_string_lossy().into_owned())
                    .collect();
                let group_roots: Vec<&str> = group_roots.iter().map(String::as_str).collect();
                let pass_key = cache
                    .as_ref()
                    .filter(|_| options.dependency_sources.is_none())
                    .and_then(|_| crate_pass_key(&inputs, &encoded, outcomes.iter().map(|o| &o.0)));
                let mut moved_pass = false;
                let stored_pass = pass_key.and_then(|key| {
                    let cache = cache.as_ref()?;
                    let stored: CratePassRecord = cache.crate_pass(&group_roots)?;
                    if stored.settled.len() != outcomes.len() {
                        return None;
                    }
                    if stored.key == key {
                        return Some(stored);
                    }
                    let mut group_outcomes: Vec<&mut PackageOutcome> =
                        outcomes.iter_mut().map(|o| &mut o.0).collect();
                    let moved =
                        moved_result(stored, key, &inputs, &mut encoded, &mut group_outcomes)?;
                    // Stored under this run's key, so that the next run need not move it again.
                    let _ = cache.put_crate_pass(&group_roots, &moved);
                    moved_pass = true;
                    Some(moved)
                });
                crate::timing::mark("crate pass: stored result looked up");
                report.cache.crate_passes_moved += usize::from(moved_pass);
                report.cache.crate_passes_reused +=
                    usize::from(stored_pass.is_some() && !moved_pass);
                let crate_pass = catch_unwind(AssertUnwindSafe(|| {
                    if let Some(stored) = stored_pass {
                        for ((outcome, ..), settled) in outcomes.iter_mut().zip(stored.settled) {
                            outcome.for_index.clear();
                            outcome.diagnostics = settled;
                        }
                        return (stored.found, stored.test_support, Vec::new());
                    }
                    // Summaries the cache answered for are decoded now, on the pool.
                    let undecodable = decode_items(&pool, &mut inputs, &encoded);
                    crate::timing::mark("crate pass: summaries decoded");
                    // Registry dependencies the group's code calls into, whose functions block.
                    if let Some(sources) = &options.dependency_sources {
                        let roots: Vec<&Path> =
                            group_packages.iter().map(|p| p.root.as_path()).collect();
                        pool.install(|| {
                            dependencies::add_blocking_dependencies(
                                &mut inputs,
                                &roots,
                                &group_manifests,
                                sources,
                                cache.as_ref(),
                            )
                        });
                        crate::timing::mark("crate pass: dependencies");
                    }
                    let dependency_files: HashSet<PathBuf> = inputs
                        .iter()
                        .filter(|p| p.dependency)
                        .flat_map(|p| p.files.iter().map(|f| f.path.clone()))
                        .collect();
                    // On the pool, whose threads resolve the calls in parallel (besides
                    // writing the cache).
                    let index = pool.install(|| CrateIndex::build(inputs));
                    crate::timing::mark("crate pass: index built");
                    for (outcome, ..) in outcomes.iter_mut() {
                        let deferred = std::mem::take(&mut outcome.for_index);
                        let settled = crate::facts::settle_receiver_types(&index, deferred);
                        outcome.diagnostics.extend(settled);
                        crate::rules::settle_crate_forms(&index, &mut outcome.diagnostics);
                    }
                    let mut found = crate::rules::check_crate(&index);
                    // (Code of a registry dependency is never reported.)
                    found.retain(|d| !dependency_files.contains(&d.path));
                    let test_support = index.test_support_items();
                    crate::timing::mark("crate pass: rules");
                    if let Some(key) = pass_key
                        && undecodable.is_empty()
                        && let Some(cache) = &cache
                    {
                        let record = CratePassRecord {
                            key,
                            settled: outcomes
                                .iter()
                                .map(|(o, ..)| o.diagnostics.clone())
                                .collect(),
                            found: found.clone(),
                            test_support: test_support.clone(),
                        };
                        // A result that cannot be stored is computed again next time.
                        let _ = cache.put_crate_pass(&group_roots, &record);
                        crate::timing::mark("crate pass: result stored");
                    }
                    let r = (found, test_support, undecodable);
                    // A lone group's index (every summary of the run) is left to the exit of a
                    // process that ends after the run (3% of a warm run's instructions went
                    // to freeing it); else freeing it is left to a thread of its own (not the
                    // pool, whose threads the outlines need next): nothing waits for it.
                    if leave_to_exit {
                        std::mem::forget(index);
                    } else {
                        let _ = std::thread::Builder::new()
                            .name("asyncwise-free".into())
                            .spawn(move || drop(index));
                    }
                    r
                }));
                let (found_in_index, test_support, undecodable) =
                    crate_pass.unwrap_or_else(|payload| {
                        report.errors.push(FileError::new(
                            group_packages
                                .first()
                                .map_or_else(|| PathBuf::from("."), |p| p.root.clone()),
                            format!(
                                "internal error in the crate pass: {}",
                                panic_message(payload.as_ref())
                            ),
                        ));
                        (Vec::new(), Vec::new(), Vec::new())
                    });
                // (Only a bug can make a checksummed entry of this very build undecodable; the
                // run says so rather than report from a partial index.)
                for path in undecodable {
                    report.errors.push(FileError::new(
                        path,
                        "internal error: the cached summary of this file could not be decoded \
                         (removing the cache directory makes the next run analyse it again)",
                    ));
                }
                // Each file's package and place in it, looked up by path once (a search of every
                // file per finding compared paths component by component: 5% of a warm run).
                let mut place_of: PathMap<PathBuf, (usize, usize)> = PathMap::default();
                for (p, (_, tests, ..)) in outcomes.iter().enumerate() {
                    for (t, (file, _)) in tests.iter().enumerate() {
                        place_of.entry(file.path.clone()).or_insert((p, t));
                    }
                }
                // Library functions only tests call (a `pub mod test_utils`) are test code too.
                for (path, lines) in test_support {
                    if let Some(&(p, t)) = place_of.get(&path) {
                        outcomes[p].1[t].1.items.push(lines);
                    }
                }
                // Crate-level findings join the package of the file they point at, so that
                // suppressions, test code and serial binaries are judged for them as for per-file
                // findings.
                for d in found_in_index {
                    match place_of.get(&d.path) {
                        Some(&(p, _)) => outcomes[p].0.diagnostics.push(d),
                        None => report.diagnostics.push(d),
                    }
                }
            }
        });
        cache_errors.extend(save_errors.into_inner().unwrap_or_else(|e| e.into_inner()));
        crate::timing::mark("crate pass: done");
        let mut reasons_required = std::collections::BTreeSet::new();
        if let Some(resolver) = resolver.as_mut() {
            for (outcome, ..) in &outcomes {
                for (path, kept) in &outcome.kept {
                    if !kept.suppressions.suppressions.is_empty()
                        && resolver.for_file(path).require_reason()
                    {
                        reasons_required.insert(path.clone());
                    }
                }
            }
            report.errors.append(&mut resolver.errors);
        }
        let mut kept_in_group = BTreeMap::new();
        let mut in_test_code = std::collections::HashSet::new();
        for (mut outcome, tests, concurrent, layout) in outcomes {
            // Suppressions first, on every finding of every form, so that whether a
            // suppression is used does not depend on the levels of the run; then unused
            // suppressions in test code are left out with the rest of it.
            let suppressions = outcome
                .kept
                .iter()
                .map(|(path, kept)| (path.clone(), kept.suppressions.clone()))
                .collect();
            let diagnostics = std::mem::take(&mut outcome.diagnostics);
            outcome.diagnostics = crate::suppress::apply(diagnostics, &suppressions, &|path| {
                reasons_required.contains(path)
            });
            outcome.leave_out_test_code(&tests, targets);
            in_test_code.extend(outcome.findings_in_test_code(&tests));
            if let Some(bin_only) = layout {
                outcome.demote_serial_binaries(&concurrent, bin_only);
            }
            report.diagnostics.extend(outcome.diagnostics);
            // Discovery errors (a named path that does not exist) stay; errors in files that
            // only complete a named file's package are not reported.
            report
                .errors
                .extend(outcome.errors.into_iter().filter(|e| is_reported(&e.path)));
            kept_in_group.extend(outcome.kept);
            report.skipped.files += outcome.skipped.files;
            report.skipped.items += outcome.skipped.items;
            report.files_checked = report.files_checked.saturating_sub(outcome.skipped.files);
        }
        // Findings of files the run does not report, and allowed ones, go now; only files
        // with findings keep their text and outline past their group.
        let mut settled = report.diagnostics.split_off(first_finding);
        settled.retain(|d| is_reported(&d.path));
        // Test code gets the configuration's `test_rules` on top of its file's levels.
        apply_levels(&mut settled, |d| match resolver.as_mut() {
            None => options.levels.clone(),
            Some(resolver) => {
                let test = in_test_code.contains(&(d.path.clone(), d.span.start, d.rule));
                levels_by_file
                    .entry((d.path.clone(), test))
                    .or_insert_with(|| {
                        let absolute = crate::config::absolute(&d.path);
                        let settings = resolver.for_file(&d.path);
                        let mut levels = settings.levels_for(&absolute);
                        if test {
                            levels.extend(&settings.test_levels());
                        }
                        levels.extend(&options.levels);
                        levels
                    })
                    .clone()
            }
        });
        for d in &settled {
            if let Some(kept) = kept_in_group.remove(&d.path) {
                kept_by_path.insert(d.path.clone(), kept);
            }
        }
        for path in settled
            .iter()
            .flat_map(|d| d.notes.iter().filter_map(|n| n.path.as_ref()))
        {
            if !note_sources.contains_key(path) {
                let source = kept_in_group.get(path).and_then(|k| k.source.clone());
                note_sources.insert(path.clone(), source);
            }
        }
        report.diagnostics.append(&mut settled);
    }
    crate::timing::mark("groups done");
    // One warning for a cache that cannot be written, however many packages met it.
    if let Some(first) = cache_errors.first() {
        let more = match cache_errors.len() - 1 {
            0 => String::new(),
            n => format!(" (and {n} more)"),
        };
        report.warnings.push(format!(
            "{first}{more}; results were not recorded in the cache"
        ));
    }
    // Outlines are made only now, and only for the files with findings that had none yet (no
    // suppressions): a second parse of a few files instead of an outline of every file. The
    // texts the cache did not need are read now, for these files only.
    pool.install(|| {
        kept_by_path.par_iter_mut().for_each(|(path, kept)| {
            if kept.source.is_none() {
                let overlay = overlay_of(&options.overlays, path);
                kept.source = match overlay {
                    Some(text) => Some(Arc::from(text)),
                    None => parse::read_source(path, max_size).ok().map(Arc::from),
                };
            }
            if kept.outline.is_none()
                && let Some(source) = &kept.source
            {
                let outline = guarded(path, || {
                    let ast = parse::parse_source(path, source)?;
                    Ok(ItemOutline::of(&ast))
                });
                kept.outline = Some(Arc::new(outline.unwrap_or_default()));
            }
        });
    });
    crate::timing::mark("outlines and texts");
    for (path, source) in note_sources {
        let source = source
            .or_else(|| kept_by_path.get(&path).and_then(|k| k.source.clone()))
            .or_else(|| match overlay_of(&options.overlays, &path) {
                Some(text) => Some(Arc::from(text)),
                None => parse::read_source(&path, max_size).ok().map(Arc::from),
            });
        if let Some(source) = source {
            report.sources.insert(path, source);
        }
    }
    for d in &report.diagnostics {
        if let Some(kept) = kept_by_path.get(&d.path) {
            if let Some(source) = &kept.source {
                report.sources.insert(d.path.clone(), Arc::clone(source));
            }
            if let Some(outline) = &kept.outline {
                report.outlines.insert(d.path.clone(), Arc::clone(outline));
            }
        } else if d.path.file_name().is_some_and(|n| n == "Cargo.toml")
            && !report.sources.contains_key(&d.path)
            && let Ok(text) = std::fs::read_to_string(&d.path)
        {
            // Findings about a manifest (`mixed_runtimes`) show its lines like a source's.
            report.sources.insert(d.path.clone(), Arc::from(text));
        }
    }
    report
        .diagnostics
        .sort_by(|a, b| (&a.path, a.span.start, a.rule).cmp(&(&b.path, b.span.start, b.rule)));
    report.diagnostics.dedup();
    report.errors.sort_by(|a, b| a.path.cmp(&b.path));
    report
}

/// What [`read_early`] read while the tree was walked.
struct EarlyReads {
    /// The cache, opened (none without one).
    cache: Option<Result<Cache, crate::cache::CacheError>>,
    /// The packages the named paths are in.
    packages: Vec<EarlyPackage>,
}

/// A package read before discovery named it.
struct EarlyPackage {
    /// As discovery names package roots: the nearest directory with a `Cargo.toml` above a
    /// path joined to the working directory.
    root: PathBuf,
    /// Its cache file (none without a cache); taken by the run.
    stored: Option<PackageCache>,
    /// Its manifest, read; taken by the run.
    manifest: Option<Option<Manifest>>,
}

/// Opens the cache and reads the cache file and manifest of the package each named path is in,
/// for a run over `paths`: the packages discovery will most often find (a package's directory
/// or its `src/`). A package discovery does not find is simply not used.
fn read_early(paths: &[PathBuf], options: &CheckOptions) -> EarlyReads {
    let cwd = std::env::current_dir().ok();
    let mut roots: Vec<PathBuf> = Vec::new();
    for given in paths {
        let shown = discover::display_path(given, cwd.as_deref());
        let absolute = match &cwd {
            Some(cwd) => cwd.join(&shown),
            None => shown,
        };
        let Some(root) = absolute
            .ancestors()
            .find(|dir| dir.join("Cargo.toml").is_file())
        else {
            continue;
        };
        if !roots.iter().any(|known| known == root) {
            roots.push(root.to_path_buf());
        }
    }
    let read_manifests = || -> Vec<Option<Option<Manifest>>> {
        let manifests = roots
            .iter()
            .map(|root| Some(manifest::read(root).ok()))
            .collect();
        crate::timing::mark("early: manifests read");
        manifests
    };
    let Some(dir) = options.cache.as_deref() else {
        let packages = roots
            .iter()
            .zip(read_manifests())
            .map(|(root, manifest)| EarlyPackage {
                root: root.clone(),
                stored: None,
                manifest,
            })
            .collect();
        return EarlyReads {
            cache: None,
            packages,
        };
    };
    // With a cache, its package files are read here while the manifests are parsed on a
    // thread of their own: both are needed before the first file can be checked, and each
    // takes longer than the walk of a mid-sized crate.
    std::thread::scope(|scope| {
        let manifests = scope.spawn(read_manifests);
        let cache = Cache::open(dir, run_fingerprint(options));
        let stored: Vec<Option<PackageCache>> = roots
            .iter()
            .map(|root| cache.as_ref().ok().map(|cache| cache.package(root)))
            .collect();
        crate::timing::mark("early: cache files read");
        // (A manifest that could not be read here is read again by the run.)
        let manifests = manifests
            .join()
            .unwrap_or_else(|_| roots.iter().map(|_| None).collect());
        let packages = roots
            .iter()
            .zip(stored)
            .zip(manifests)
            .map(|((root, stored), manifest)| EarlyPackage {
                root: root.clone(),
                stored,
                manifest,
            })
            .collect();
        EarlyReads {
            cache: Some(cache),
            packages,
        }
    })
}

/// The files of the out-of-line test modules (`#[cfg(test)] mod tests;`) the files declare.
fn test_module_files(files: &[(&SelectedFile, TestCode)]) -> TestModuleFiles {
    let mut modules = TestModuleFiles::default();
    for (file, code) in files {
        for decl in &code.out_of_line {
            modules.add(&file.path, decl);
        }
    }
    modules
}

/// A file a run checks, with what decides how much of it is reported.
struct SelectedFile {
    path: PathBuf,
    target: FileTarget,
    explicit: bool,
}

/// What one package's files produced.
struct PackageOutcome {
    diagnostics: Vec<Diagnostic>,
    /// Deferred findings only the crate index settles (receivers typed through other files).
    for_index: Vec<crate::facts::Deferred>,
    errors: Vec<FileError>,
    /// What later stages need of the files that have findings or suppressions.
    kept: BTreeMap<PathBuf, KeptFile>,
    /// Out-of-line test modules found only once their parents were parsed (they were
    /// counted as checked), and test items.
    skipped: Skipped,
    /// Which of its files were analysed again after an edit.
    edited: Edited,
}

/// Files of a package analysed again although the cache had them (edits).
enum Edited {
    None,
    One(Box<EditedFile>),
    Many,
}

/// The one edited file of a package, as the cache had it before the edit.
struct EditedFile {
    /// Its place among the package's [`FileInput`]s.
    file: usize,
    /// Its summary before the edit, encoded.
    old_items: EncodedBytes,
    /// The package's findings and deferred findings as the crate pass would have received
    /// them before the edit.
    old_outcome: (Vec<Diagnostic>, Vec<crate::facts::Deferred>),
}

impl PackageOutcome {
    /// Drops findings in test code the run does not check, counting what was left out.
    /// The findings (path, start, rule) that are in test code, of those the run keeps: files of
    /// `tests/`, `benches/` and `examples/`, out-of-line test modules, and test items.
    fn findings_in_test_code(
        &self,
        files: &[(&SelectedFile, TestCode)],
    ) -> std::collections::HashSet<(PathBuf, crate::LineCol, &'static str)> {
        let modules = test_module_files(files);
        let by_path: std::collections::HashMap<&Path, (&SelectedFile, &TestCode)> = files
            .iter()
            .map(|(file, code)| (file.path.as_path(), (*file, code)))
            .collect();
        self.diagnostics
            .iter()
            .filter(|d| {
                by_path.get(d.path.as_path()).is_some_and(|(file, code)| {
                    file.target != FileTarget::Main
                        || modules.contains(&file.path)
                        || code.contains_line(d.span.start.line)
                })
            })
            .map(|d| (d.path.clone(), d.span.start, d.rule))
            .collect()
    }

    fn leave_out_test_code(&mut self, files: &[(&SelectedFile, TestCode)], targets: Targets) {
        let modules = test_module_files(files);
        let mut dropped_files = std::collections::BTreeSet::new();
        let mut ranges: std::collections::HashMap<&Path, &TestCode> =
            std::collections::HashMap::new();
        for (file, code) in files {
            let keeps = file.target.keeps_test_items(targets, file.explicit);
            if keeps {
                continue;
            }
            if file.target == FileTarget::Main && !file.explicit && modules.contains(&file.path) {
                dropped_files.insert(file.path.as_path());
                self.skipped.files += 1;
                continue;
            }
            self.skipped.items += code.items.len();
            ranges.insert(&file.path, code);
        }
        self.diagnostics.retain(|d| {
            !dropped_files.contains(d.path.as_path())
                && !ranges
                    .get(d.path.as_path())
                    .is_some_and(|code| code.contains_line(d.span.start.line))
        });
    }
}

impl PackageOutcome {
    /// `blocking_in_async` in a binary none of whose files runs anything concurrently (no
    /// spawn, join, select or server) is the pedantic form: the blocked thread holds up no
    /// other task. The binary is `src/main.rs` with its modules when the package has no
    /// library, or one `src/bin/` target. A module of such a binary that itself spawns,
    /// joins, selects and serves nothing (a command's flow) is judged the same way, as an
    /// approximation of "not reachable from concurrent code", except for a finding whose notes
    /// name the request handler whose per-event path it is on.
    fn demote_serial_binaries(&mut self, files: &[(&Path, bool)], bin_only: bool) {
        let mut binaries: std::collections::HashMap<String, (bool, Vec<&Path>)> =
            std::collections::HashMap::new();
        for (path, concurrent) in files {
            let Some(key) = binary_of(path, bin_only) else {
                continue;
            };
            let entry = binaries.entry(key).or_default();
            entry.0 |= *concurrent;
            entry.1.push(path);
        }
        let serial: std::collections::HashSet<&Path> = binaries
            .into_values()
            .filter(|(concurrent, _)| !concurrent)
            .flat_map(|(_, files)| files)
            .collect();
        let serial_modules: std::collections::HashSet<&Path> = files
            .iter()
            .filter_map(|(path, concurrent)| {
                let module = !concurrent
                    && binary_of(path, bin_only).as_deref() == Some("main")
                    && !path.ends_with("main.rs");
                module.then_some(*path)
            })
            .collect();
        for d in &mut self.diagnostics {
            // tokio's `blocking_*` methods panic in async code whatever else runs.
            let panics = d
                .help
                .as_deref()
                .is_some_and(crate::knowledge::blocking::panics_in_async);
            // A finding a request handler reaches is served work: the module approximation
            // does not hold for it.
            let in_serial_module =
                serial_modules.contains(d.path.as_path()) && !d.marks.on_request_path;
            if d.rule == "blocking_in_async"
                && d.form == crate::levels::Form::Default
                && (serial.contains(d.path.as_path()) || in_serial_module)
                && !panics
            {
                d.form = crate::levels::Form::Pedantic;
                d.notes.push(crate::diagnostic::Note::text(
                    "pedantic form: in a binary, or a module of one, whose files start nothing concurrent (no spawn, join, select or server)",
                ));
            }
        }
    }
}

/// The binary crate a file belongs to: `bin/NAME` for `src/bin/NAME.rs` and `src/bin/NAME/..`,
/// `main` for other files under `src/` of a binary-only package; `None` otherwise.
fn binary_of(path: &Path, bin_only: bool) -> Option<String> {
    let parts: Vec<&str> = path.iter().filter_map(|p| p.to_str()).collect();
    let src = parts.iter().rposition(|p| *p == "src")?;
    match parts.get(src + 1..)? {
        ["bin", name, ..] => Some(format!("bin/{}", name.trim_end_matches(".rs"))),
        [_, ..] if bin_only => Some("main".into()),
        _ => None,
    }
}

/// Gives each finding its level; drops the allowed ones.
fn apply_levels(
    diagnostics: &mut Vec<Diagnostic>,
    mut levels_for: impl FnMut(&Diagnostic) -> Levels,
) {
    diagnostics.retain_mut(|d| {
        let Some(rule) = crate::rules::find(d.rule) else {
            return true;
        };
        match levels_for(d).level_of(rule, d.form) {
            Level::Allow => false,
            Level::Warn => {
                d.severity = Severity::Warning;
                true
            }
            Level::Deny => {
                d.severity = Severity::Error;
                true
            }
        }
    });
}

/// Discovers, reads, guards and parses every file on the same pool as [`check_paths`], and does
/// nothing else: the floor [`check_paths`] is measured against. The report has no diagnostics.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("asyncwise-parse-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// std::fs::write(dir.join("a.rs"), "fn main() {}").unwrap();
/// let report = asyncwise_lint::engine::parse_only(&[dir.clone()], &Default::default());
/// assert_eq!((report.files_checked, report.errors.len()), (1, 0));
/// std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn parse_only(paths: &[PathBuf], options: &CheckOptions) -> CheckReport {
    let found = discover::discover(paths);
    let mut report = CheckReport {
        files_checked: found.file_count(),
        errors: found.errors,
        ..CheckReport::default()
    };
    let files: Vec<&PathBuf> = found.packages.iter().flat_map(|p| &p.files).collect();
    match worker_pool(options) {
        Ok(pool) => {
            let max_size = options.max_file_size;
            let errors: Vec<FileError> = pool.install(|| {
                files
                    .par_iter()
                    .filter_map(|path| {
                        guarded(path, || {
                            let source = parse::read_source(path, max_size)?;
                            parse::parse_source(path, &source).map(drop)
                        })
                        .err()
                    })
                    .collect()
            });
            report.errors.extend(errors);
        }
        Err(error) => report.errors.extend(pool_failure(&found.packages, &error)),
    }
    report.errors.sort_by(|a, b| a.path.cmp(&b.path));
    report
}

/// Checks one file's text as if it were a crate of its own, with everything included (test
/// items, and every rule in every form: `--all-targets --select all`, as fixtures need), and
/// honouring its suppression comments (without configuration: reasons are not required).
///
/// Runs on a fresh thread with the workers' large stack, so it is as robust as
/// [`check_paths`]: deep nesting and panics come back as a [`FileError`].
///
/// ```
/// let err = asyncwise_lint::check_source("deep.rs", &"(".repeat(100_000)).unwrap_err();
/// assert!(err.message.contains("too deeply"));
/// ```
pub fn check_source(path: impl AsRef<Path>, source: &str) -> Result<Vec<Diagnostic>, FileError> {
    check_text(
        path.as_ref(),
        source,
        &crate::model::FileContext::default(),
        &Levels::everything(),
        false,
    )
}

/// Checks an editor buffer: the unsaved `source` of the file at `path`, read as part of its
/// package (the nearest `Cargo.toml` above it gives the edition, the module path and the tokio
/// features fixes need) and, with `configure`, under its configuration (levels, knowledge rows,
/// `require_reason`; an invalid configuration is ignored here, the command line reports it).
/// Test code is included, as rust-analyzer checks every target by default. Only this buffer is
/// read: findings that need the rest of the crate are not made.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("asyncwise-buffer-doc-{}", std::process::id()));
/// std::fs::create_dir_all(dir.join("src")).unwrap();
/// std::fs::write(dir.join("Cargo.toml"), "[package]\nname = \"x\"\n[dependencies]\ntokio = { version = \"1\", features = [\"time\"] }\n[package.metadata.asyncwise.rules]\nunbounded_channel = \"allow\"\n").unwrap();
/// let text = "async fn f() { std::thread::sleep(d); let _ = tokio::sync::mpsc::unbounded_channel::<u8>(); }";
/// let found = asyncwise_lint::engine::check_buffer(&dir.join("src/lib.rs"), text, true).unwrap();
/// assert_eq!(found.len(), 1, "the configuration allows unbounded_channel");
/// assert!(found[0].fix.is_some(), "the package has tokio's `time`: the sleep can be fixed");
/// std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn check_buffer(
    path: &Path,
    source: &str,
    configure: bool,
) -> Result<Vec<Diagnostic>, FileError> {
    let absolute = crate::config::absolute(path);
    let root = absolute
        .ancestors()
        .skip(1)
        .find(|d| d.join("Cargo.toml").is_file());
    let manifest = root.and_then(|r| manifest::read(r).ok());
    let mut resolver = configure.then(crate::config::Resolver::default);
    let settings = resolver.as_mut().map(|r| r.for_file(&absolute));
    let settings = match resolver.as_ref() {
        Some(r) if r.errors.is_empty() => settings,
        _ => None,
    };
    let mut knowledge = crate::knowledge::Knowledge::builtin();
    if let Some(rows) = settings.as_ref().map(|s| s.user_rows())
        && !rows.is_empty()
    {
        let lib = manifest.as_ref().and_then(|m| m.lib_name.as_deref());
        knowledge = Arc::new(knowledge.with_user_rows(&rows, lib));
    }
    let cx = crate::model::FileContext {
        module: root.map_or_else(
            || "crate".to_owned(),
            |r| layout::module_path(absolute.strip_prefix(r).unwrap_or(&absolute)),
        ),
        edition: manifest.as_ref().map_or(Edition::default(), |m| m.edition),
        call_graph: true,
        knowledge,
        tokio: crate::model::TokioFeatures::from_manifest(
            manifest.as_ref().and_then(|m| m.tokio_features()),
        ),
        // An editor checks every target, as rust-analyzer does.
        skip_test_items: false,
    };
    let levels = settings
        .as_ref()
        .map_or_else(Levels::default, |s| s.levels_for(&absolute));
    let require_reason = settings.as_ref().is_some_and(|s| s.require_reason());
    check_text(path, source, &cx, &levels, require_reason)
}

fn check_text(
    path: &Path,
    source: &str,
    cx: &crate::model::FileContext,
    levels: &Levels,
    require_reason: bool,
) -> Result<Vec<Diagnostic>, FileError> {
    let analysis = std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("asyncwise-check".into())
            .stack_size(WORKER_STACK_SIZE)
            .spawn_scoped(scope, || {
                guarded(path, || {
                    let ast = parse::parse_source_in(path, source, cx)?;
                    let analysis = crate::analyze_parsed_in(path, source, &ast, cx);
                    let suppressions =
                        FileSuppressions::parse(path, source, &ItemOutline::of(&ast));
                    Ok((analysis, suppressions))
                })
            })
            .map_err(|e| {
                FileError::new(
                    path.to_path_buf(),
                    format!("could not start a worker thread: {e}"),
                )
            })?;
        worker.join().unwrap_or_else(|payload| {
            Err(FileError::new(
                path.to_path_buf(),
                format!("internal error: {}", panic_message(payload.as_ref())),
            ))
        })
    })?;
    let (mut analysis, suppressions) = analysis;
    let items = std::mem::take(&mut analysis.summary.items);
    let (mut found, for_index) = finish_package(vec![analysis]);
    let file = FileInput {
        path: path.to_path_buf(),
        rel: path.to_path_buf(),
        items,
    };
    let index = CrateIndex::build(vec![PackageInput {
        files: vec![file],
        ..PackageInput::default()
    }]);
    found.extend(crate::facts::settle_receiver_types(&index, for_index));
    found.extend(crate::rules::check_crate(&index));
    let files = [(path.to_path_buf(), suppressions)].into();
    let mut found = crate::suppress::apply(found, &files, &|_| require_reason);
    apply_levels(&mut found, |_| levels.clone());
    found.sort_by(|a, b| (&a.path, a.span.start, a.rule).cmp(&(&b.path, b.span.start, b.rule)));
    Ok(found)
}

/// What one checked file hands back to the driver.
struct CheckedFile {
    analysis: FileAnalysis,
    /// Only for files with findings, suppressions or async-context calls the crate pass may
    /// report.
    kept: Option<KeptFile>,
    /// The results were read from the cache (and `analysis.summary.items` is empty: the
    /// summary is in `encoded_items`).
    from_cache: bool,
    /// The file's summary as the cache stores it (with a cache only).
    encoded_items: Option<EncodedBytes>,
    /// ... without reading the file.
    unread: bool,
    /// For a file analysed again although the cache had an entry for it (an edit): the
    /// analysis and encoded summary of that entry, the file before the edit ([`moved`]).
    previous: Option<Box<(FileAnalysis, EncodedBytes)>>,
}

/// What the cache stores for a file: everything of [`CheckedFile`] but the text (which a run
/// reads anyway, to know whether the file changed). The summary for the crate index is
/// encoded on its own (`items`; the analysis is stored without it): a run whose crate pass
/// the cache answers never decodes it, and one that runs the crate pass decodes it then.
#[derive(serde::Serialize, serde::Deserialize)]
struct CachedFile<A, I, O, S> {
    analysis: A,
    items: I,
    kept: Option<(O, S)>,
}

/// The fingerprint of what per-file results depend on besides a file's own key
/// ([`file_key`]): the build, whether summaries are made, and everything the run knows about
/// libraries (the built-in tables and what configuration adds). Levels are not in it: every
/// rule runs on every file, and levels are applied after the cache. Whether a file's test items
/// are modelled (the run's targets) is in the file's own key ([`context_key`]).
fn run_fingerprint(options: &CheckOptions) -> u128 {
    crate::cache::fingerprint(&format!(
        "call_graph={} {:?}",
        options.call_graph, options.knowledge
    ))
}

/// The hash of what a file's results depend on besides its text: the parts of its context
/// that are particular to it. `shared` is [`shared_context_key`] of the same context, which
/// is the same for every file of a package and is computed once for them.
fn context_key(cx: &crate::model::FileContext, shared: u128) -> u128 {
    // The module and whether its test items are modelled are the file's own; the rest is in
    // `shared`.
    let tests = if cx.skip_test_items {
        "-tests"
    } else {
        "+tests"
    };
    crate::cache::file_key(&[&cx.module, tests, &format!("{shared:032x}")])
}

/// The part of [`context_key`] that a package's files share.
fn shared_context_key(cx: &crate::model::FileContext) -> u128 {
    // Listed without `..`: a new field of the context must be sorted into the key, the
    // module's own part, or `run_fingerprint` before this compiles.
    let crate::model::FileContext {
        module: _,
        edition,
        call_graph: _,
        knowledge,
        tokio,
        skip_test_items: _,
    } = cx;
    // The built-in tables are in the run's fingerprint; a package's configuration rows (and
    // its tokio features, which decide fixes) are particular to its files.
    let particular = format!("{:?} {tokio:?}", knowledge.user);
    crate::cache::file_key(&[&format!("{edition:?}"), &particular])
}

/// A file's cache key: its text and its [`context_key`].
fn file_key(source: &str, context: u128) -> u128 {
    crate::cache::file_key(&[source, &format!("{context:032x}")])
}

/// The parts of a file that outlive its syntax tree: its text (snippets, fingerprints), its
/// item outline (suppression scopes, fingerprints) and its suppressions.
struct KeptFile {
    /// Absent when the cache answered without reading the file, or when the file had neither
    /// findings of its own nor suppressions: read once the run knows the file has findings.
    source: Option<Arc<str>>,
    /// Made at once for files with suppressions (their scopes need it); for the others only
    /// if the file has findings, once the run knows it does.
    outline: Option<Arc<ItemOutline>>,
    suppressions: FileSuppressions,
}

/// What the cache stores for a file, as read back.
type StoredFile = CachedFile<FileAnalysis, EncodedBytes, Option<ItemOutline>, FileSuppressions>;

/// The stamp of a file on disk for the cache (none for an overlay, whose text is not the
/// disk's). Taken before the file is read: an edit during the read shows in the next stamp.
fn stamp_of(
    path: &Path,
    overlays: &std::collections::HashMap<PathBuf, Arc<str>>,
) -> Option<crate::cache::FileStamp> {
    if overlay_of(overlays, path).is_some() {
        return None;
    }
    let now = std::time::SystemTime::now();
    std::fs::metadata(path)
        .ok()
        .map(|meta| crate::cache::FileStamp::of(&meta, now))
}

/// Reads and analyses one file as a part of its crate; keeps what later stages need when it
/// has findings or suppressions, or async-context calls the crate pass may report. With a
/// cache, a file whose size and times are those recorded with its entry (`stamp`, from
/// [`stamp_of`]) is not even read.
fn check_file(
    path: &Path,
    read: ReadFrom<'_>,
    cx: &crate::model::FileContext,
    cache: Option<(&PackageCache, u128)>,
    stamp: Option<crate::cache::FileStamp>,
) -> Result<CheckedFile, FileError> {
    guarded(path, || {
        // Paths that are not UTF-8 are analysed every time.
        let cache = cache
            .zip(path.to_str())
            .map(|((cache, shared), name)| (cache, name, context_key(cx, shared)));
        // The size the engine stat'ed the file for (never an overlay's): read without a second
        // `stat` of the path.
        let stamped_size = stamp.map(|stamp| stamp.size);
        // (Only a cached run stamps files, and never an overlay's.)
        let stamp = stamp.filter(|_| cache.is_some() && read.overlay.is_none());
        if let Some((cache, name, context)) = cache
            && let Some(stamp) = &stamp
            && stamp.size <= read.max_size
            && let Some(stored) = cache.get_unchanged::<StoredFile>(name, context, stamp)
        {
            return Ok(from_cache(stored, None));
        }
        let source = match read.overlay {
            Some(text) if text.len() as u64 > read.max_size => {
                return Err(FileError::new(
                    path.to_path_buf(),
                    format!(
                        "file too large to analyse ({} bytes; the limit is {})",
                        text.len(),
                        read.max_size
                    ),
                ));
            }
            Some(text) => text.to_string(),
            None => match stamped_size {
                Some(len) => parse::read_source_of_size(path, read.max_size, len)?,
                None => parse::read_source(path, read.max_size)?,
            },
        };
        let cache =
            cache.map(|(cache, name, context)| (cache, name, context, file_key(&source, context)));
        if let Some((cache, name, _, key)) = cache
            && let Some(stored) = cache.get_read::<StoredFile>(name, key, stamp)
        {
            return Ok(from_cache(stored, Some(Arc::from(source))));
        }
        // The entry of the file before an edit: if the edit only moved code, the stored crate
        // pass may still answer ([`moved`]).
        let previous = cache.and_then(|(cache, name, context, _)| {
            cache
                .get_previous::<StoredFile>(name, context)
                .map(|stored| Box::new((stored.analysis, stored.items)))
        });
        let mut ast = parse::parse_for_analysis(path, &source, cx)?;
        // Test items the run leaves out are not modelled; the engine still needs where they
        // are, to count them as skipped.
        let test_code = cx.skip_test_items.then(|| {
            let code = crate::model::TestCode::of(&ast);
            crate::model::TestCode::prune(&mut ast);
            code
        });
        let mut analysis = crate::analyze_parsed_in(path, &source, &ast, cx);
        if let Some(code) = test_code {
            analysis.test_code = code;
        }
        let keep = !analysis.diagnostics.is_empty()
            || !analysis.deferred.is_empty()
            || crate::suppress::may_contain(&source)
            || !analysis.summary.items.async_lock_decls.is_empty()
            || !analysis.summary.items.runtime_calls.is_empty()
            || analysis
                .summary
                .items
                .functions
                .iter()
                .any(|f| f.calls.iter().any(|c| c.ctx == crate::model::Ctx::Async));
        let kept = keep.then(|| {
            // The outline is made now, from this tree, for a file with suppressions (their
            // scopes need it) or with findings of its own (the report needs it, and with it in
            // the cache a warm run does not parse the file again to show them).
            let may_suppress = crate::suppress::may_contain(&source);
            let outline =
                (may_suppress || !analysis.diagnostics.is_empty()).then(|| ItemOutline::of(&ast));
            let suppressions = match (&outline, may_suppress) {
                (Some(outline), true) => FileSuppressions::parse(path, &source, outline),
                _ => FileSuppressions::default(),
            };
            // The text is kept with the outline; a file kept only for the crate pass (its
            // async-context calls) is read again at the end in the rare case that a crate-level
            // finding lands in it, as for a file the cache answered: copying and holding every
            // such text (most of tokio's) until then costs more.
            let source = outline.is_some().then(|| Arc::from(source));
            let outline = outline.map(Arc::new);
            KeptFile {
                source,
                outline,
                suppressions,
            }
        });
        let mut encoded_items = None;
        if let Some((cache, name, context, key)) = cache
            // A value that cannot be encoded is simply not recorded.
            && let Ok(encoded) = postcard::to_allocvec(&analysis.summary.items)
        {
            let encoded = EncodedBytes(encoded);
            // The analysis is stored without its summary, which is stored encoded beside it.
            let items = std::mem::take(&mut analysis.summary.items);
            let record = CachedFile {
                analysis: &analysis,
                items: &encoded,
                kept: kept
                    .as_ref()
                    .map(|k| (k.outline.as_deref(), &k.suppressions)),
            };
            let _ = cache.put_read(name, key, context, stamp, &record);
            analysis.summary.items = items;
            encoded_items = Some(encoded);
        }
        Ok(CheckedFile {
            analysis,
            kept,
            from_cache: false,
            encoded_items,
            unread: false,
            previous,
        })
    })
}

/// A file's results as the cache had them, with its text if it was read.
fn from_cache(stored: StoredFile, source: Option<Arc<str>>) -> CheckedFile {
    CheckedFile {
        unread: source.is_none(),
        analysis: stored.analysis,
        encoded_items: Some(stored.items),
        kept: stored.kept.map(|(outline, suppressions)| KeptFile {
            source,
            outline: outline.map(Arc::new),
            suppressions,
        }),
        from_cache: true,
        previous: None,
    }
}

/// Where [`check_file`] takes a file's text from: its overlay ([`CheckOptions::overlays`]) if
/// it has one, else the disk, within the size limit either way.
#[derive(Clone, Copy)]
struct ReadFrom<'a> {
    max_size: u64,
    overlay: Option<&'a str>,
}

/// The overlay of `path` (a display path), looked up by its absolute form.
fn overlay_of<'a>(
    overlays: &'a std::collections::HashMap<PathBuf, Arc<str>>,
    path: &Path,
) -> Option<&'a str> {
    if overlays.is_empty() {
        return None;
    }
    overlays
        .get(&crate::config::absolute(path))
        .map(|text| &**text)
}

/// When the user names single files of a package (a pre-commit hook passing changed files), the
/// rest of the package is analysed too, so crate-level facts are those of a full run; a
/// package found by walking a directory (a workspace member checked from its own folder) brings
/// the members it depends on by path, which the walk did not reach. Findings are then reported
/// for the files the user's paths cover only (the returned set; `None` when nothing was added).
fn complete_named_packages(
    paths: &[PathBuf],
    overlays: &std::collections::HashMap<PathBuf, Arc<str>>,
    found: &mut discover::Discovery,
    manifests: &mut std::collections::HashMap<PathBuf, Option<Manifest>>,
) -> Option<std::collections::HashSet<PathBuf>> {
    // Read once per root, kept for the run.
    let mut path_deps_of = |root: &Path| -> Option<Vec<PathBuf>> {
        let manifest = manifests
            .entry(root.to_path_buf())
            .or_insert_with(|| manifest::read(root).ok())
            .as_ref()?;
        Some(
            manifest
                .path_deps
                .iter()
                .map(|(_, dir)| normalized(dir))
                .collect(),
        )
    };
    let cwd = std::env::current_dir().ok();
    let named_files: Vec<PathBuf> = paths
        .iter()
        .filter(|p| p.is_file() || (!p.exists() && overlay_of(overlays, p).is_some()))
        .map(|p| discover::display_path(p, cwd.as_deref()))
        .collect();
    // The packages to complete: those holding a named file, and the workspace members any
    // package found depends on by path but the walk did not reach (their functions are part
    // of the facts), transitively below.
    let mut queue: Vec<PathBuf> = found
        .packages
        .iter()
        .filter(|p| p.files.iter().any(|f| named_files.contains(f)))
        .map(|p| p.root.clone())
        .collect();
    for package in &found.packages {
        let Some(deps) = path_deps_of(&package.root) else {
            continue;
        };
        queue.extend(
            deps.into_iter()
                .filter(|dir| !found.packages.iter().any(|p| &p.root == dir)),
        );
    }
    if queue.is_empty() {
        return None;
    }
    // A package found under a named directory is checked whole, its manifest too (a finding
    // of `mixed_runtimes` points into it): `check .` in a workspace member reports what a run
    // from the workspace root reports there.
    let named_dirs: Vec<PathBuf> = paths
        .iter()
        .filter(|p| p.is_dir())
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect();
    let under_named_dir = |root: &Path| {
        std::fs::canonicalize(root)
            .is_ok_and(|root| named_dirs.iter().any(|dir| root.starts_with(dir)))
    };
    let reported: std::collections::HashSet<PathBuf> = found
        .packages
        .iter()
        .flat_map(|p| {
            let manifest = under_named_dir(&p.root)
                .then(|| discover::display_path(&p.root.join("Cargo.toml"), cwd.as_deref()));
            p.files.iter().cloned().chain(manifest)
        })
        .collect();
    let mut done = std::collections::HashSet::new();
    while let Some(root) = queue.pop() {
        if !done.insert(root.clone()) {
            continue;
        }
        let Some(deps) = path_deps_of(&root) else {
            continue;
        };
        queue.extend(deps);
        let whole = discover::discover(std::slice::from_ref(&root));
        let Some(all) = whole.packages.into_iter().find(|p| p.root == root) else {
            continue;
        };
        match found.packages.iter_mut().find(|p| p.root == root) {
            Some(package) => {
                let mut files: std::collections::BTreeSet<PathBuf> =
                    package.files.drain(..).collect();
                files.extend(all.files);
                package.files = files.into_iter().collect();
            }
            None => found.packages.push(all),
        }
    }
    found.packages.sort_by(|a, b| a.root.cmp(&b.root));
    Some(reported)
}

/// `a/b/../c` as `a/c`, without touching the file system.
fn normalized(path: &Path) -> PathBuf {
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

/// `file` (a display path) relative to its package's root (an absolute path).
/// A file's path from its package's own directory (`integration/src/client.rs`) when the
/// package sits below the checked folder, so that the package's name still says whether it is
/// a test-support or benchmark package; from the package root otherwise.
fn in_package(root: &Path, file: &Path, cwd: Option<&Path>) -> PathBuf {
    let rel = relative_to(root, file, cwd);
    let depth = |p: &Path| {
        p.components()
            .filter(|c| matches!(c, std::path::Component::Normal(_)))
            .count()
    };
    match root.file_name() {
        Some(name) if file.is_relative() && depth(file) > depth(&rel) => Path::new(name).join(rel),
        _ => rel,
    }
}

fn relative_to(root: &Path, file: &Path, cwd: Option<&Path>) -> PathBuf {
    let absolute = match cwd {
        Some(cwd) => cwd.join(file),
        None => file.to_path_buf(),
    };
    absolute
        .strip_prefix(root)
        .map_or_else(|_| file.to_path_buf(), Path::to_path_buf)
}

/// The packages, as groups of indices, that depend on each other by path (directly or
/// through others of the run): each group's crate pass needs only its own summaries.
fn package_groups(
    packages: &[discover::Package],
    manifests: &[Option<Manifest>],
) -> Vec<Vec<usize>> {
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let roots: Vec<PathBuf> = packages.iter().map(|p| canonical(&p.root)).collect();
    // Union-find over path dependencies.
    let mut parent: Vec<usize> = (0..packages.len()).collect();
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for (i, manifest) in manifests.iter().enumerate() {
        for (_, dir) in manifest.iter().flat_map(|m| &m.path_deps) {
            let dir = canonical(dir);
            if let Some(j) = roots.iter().position(|r| *r == dir) {
                let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                parent[a] = b;
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..packages.len() {
        let root = find(&mut parent, i);
        groups.entry(root).or_default().push(i);
    }
    groups.into_values().collect()
}

/// The crate index's view of a group of packages: library names, and dependencies by path on
/// other packages of the group.
fn package_inputs(
    packages: &[&discover::Package],
    manifests: &[&Option<Manifest>],
    files: Vec<Vec<FileInput>>,
) -> Vec<PackageInput> {
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let roots: Vec<PathBuf> = packages.iter().map(|p| canonical(&p.root)).collect();
    files
        .into_iter()
        .zip(manifests)
        .zip(packages)
        .map(|((files, &manifest), package)| {
            let deps = manifest
                .iter()
                .flat_map(|m| &m.path_deps)
                .filter_map(|(name, dir)| {
                    let dir = canonical(dir);
                    roots
                        .iter()
                        .position(|r| *r == dir)
                        .map(|i| (name.clone(), i))
                })
                .collect();
            PackageInput {
                lib_name: manifest.as_ref().and_then(|m| m.lib_name.clone()),
                deps,
                dependency: false,
                manifest: manifest.clone().map(|m| {
                    // Shown like the package's files are (relative when they are).
                    let root = files
                        .first()
                        .and_then(|f| f.path.ancestors().nth(f.rel.components().count()))
                        .map_or_else(|| package.root.clone(), Path::to_path_buf);
                    (root.join("Cargo.toml"), m)
                }),
                files,
            }
        })
        .collect()
}

/// A file's summary as the cache has it, beside the [`FileInput`] the crate index takes.
struct EncodedItems {
    /// The encoded summary (none without a cache, or for a path that is not UTF-8).
    bytes: Option<EncodedBytes>,
    /// The [`FileInput`] holds the summary decoded already (the file was analysed this run);
    /// else it is empty until [`decode_items`].
    decoded: bool,
}

/// What the crate pass of a group of packages produced, stored to answer the next run whose
/// inputs hash the same ([`crate_pass_key`]).
#[derive(serde::Serialize, serde::Deserialize)]
struct CratePassRecord {
    /// The hash of the inputs it was computed from.
    key: u128,
    /// Each package's findings after the crate index settled them, in the group's order.
    settled: Vec<Vec<Diagnostic>>,
    /// The crate-level findings.
    found: Vec<Diagnostic>,
    /// Lines of library items only tests use.
    test_support: Vec<(PathBuf, (usize, usize))>,
}

/// The hash of everything the crate pass of a group reads: each package's name, path
/// dependencies and manifest, each file's display and relative paths and encoded summary,
/// and each package's findings and deferred findings as the pass receives them (the run's
/// fingerprint, which the record is stored under, covers the build and the knowledge). None
/// when a file's summary has no encoding.
fn crate_pass_key<'a>(
    inputs: &[PackageInput],
    encoded: &[Vec<EncodedItems>],
    outcomes: impl Iterator<Item = &'a PackageOutcome>,
) -> Option<u128> {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    // Every field is preceded by its length, so that no two inputs make the same stream.
    let mut field = |bytes: &[u8]| {
        hasher.update(&(bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    field(&(inputs.len() as u64).to_le_bytes());
    for (package, encoded) in inputs.iter().zip(encoded) {
        field(
            format!(
                "{:?} {:?} {} {:?}",
                package.lib_name, package.deps, package.dependency, package.manifest
            )
            .as_bytes(),
        );
        field(&(package.files.len() as u64).to_le_bytes());
        if package.files.len() != encoded.len() {
            return None;
        }
        for (file, items) in package.files.iter().zip(encoded) {
            field(file.path.as_os_str().as_encoded_bytes());
            field(file.rel.as_os_str().as_encoded_bytes());
            field(&items.bytes.as_ref()?.0);
        }
    }
    for outcome in outcomes {
        field(&postcard::to_allocvec(&(&outcome.diagnostics, &outcome.for_index)).ok()?);
    }
    Some(hasher.digest128())
}

/// The stored crate-pass result of a group moved to this run's positions, when exactly one file
/// of the group was edited, the stored result is that of the file before the edit (with the
/// file's previous entry in its place, the inputs hash to the stored key), and the edit only
/// moved code in it ([`moved`]); `None` otherwise, and the pass runs.
fn moved_result(
    stored: CratePassRecord,
    key: u128,
    inputs: &[PackageInput],
    encoded: &mut [Vec<EncodedItems>],
    outcomes: &mut [&mut PackageOutcome],
) -> Option<CratePassRecord> {
    let mut edited = None;
    for (p, outcome) in outcomes.iter().enumerate() {
        match outcome.edited {
            Edited::None => {}
            Edited::One(_) if edited.is_none() => edited = Some(p),
            Edited::One(_) | Edited::Many => return None,
        }
    }
    let p = edited?;
    let Edited::One(before) = std::mem::replace(&mut outcomes[p].edited, Edited::None) else {
        return None;
    };
    let EditedFile {
        file,
        old_items,
        old_outcome: (mut old_diagnostics, mut old_for_index),
    } = *before;
    let slot = encoded.get_mut(p)?.get_mut(file)?;
    let mut old_bytes = Some(old_items);
    // The inputs as they were before the edit, hashed; then this run's put back.
    std::mem::swap(&mut slot.bytes, &mut old_bytes);
    std::mem::swap(&mut outcomes[p].diagnostics, &mut old_diagnostics);
    std::mem::swap(&mut outcomes[p].for_index, &mut old_for_index);
    let old_key = crate_pass_key(inputs, encoded, outcomes.iter().map(|o| &**o));
    let slot = &mut encoded[p][file];
    std::mem::swap(&mut slot.bytes, &mut old_bytes);
    std::mem::swap(&mut outcomes[p].diagnostics, &mut old_diagnostics);
    std::mem::swap(&mut outcomes[p].for_index, &mut old_for_index);
    if old_key != Some(stored.key) {
        return None;
    }
    let input = inputs.get(p)?.files.get(file)?;
    let old_items: crate::summary::FileItems = postcard::from_bytes(&old_bytes?.0).ok()?;
    let shift = moved::Shift::between(
        &input.path,
        moved::Inputs {
            items: &old_items,
            findings: &old_diagnostics,
            deferred: &old_for_index,
        },
        moved::Inputs {
            items: &input.items,
            findings: &outcomes[p].diagnostics,
            deferred: &outcomes[p].for_index,
        },
    )?;
    let mut record = stored;
    record.key = key;
    for d in record.settled.iter_mut().flatten().chain(&mut record.found) {
        shift.diagnostic(d)?;
    }
    for (path, lines) in &mut record.test_support {
        shift.lines_of(path, lines)?;
    }
    Some(record)
}

/// Decodes, on the pool, the summaries of the files the cache answered for into their
/// [`FileInput`]s. Returns the files whose summary could not be decoded.
fn decode_items(
    pool: &rayon::ThreadPool,
    inputs: &mut [PackageInput],
    encoded: &[Vec<EncodedItems>],
) -> Vec<PathBuf> {
    let mut pending: Vec<(&mut FileInput, &[u8])> = Vec::new();
    for (package, encoded) in inputs.iter_mut().zip(encoded) {
        for (file, items) in package.files.iter_mut().zip(encoded) {
            if !items.decoded {
                let bytes = items.bytes.as_ref().map_or(&[][..], |b| b.0.as_slice());
                pending.push((file, bytes));
            }
        }
    }
    pool.install(|| {
        pending
            .into_par_iter()
            .filter_map(|(file, bytes)| match postcard::from_bytes(bytes) {
                Ok(items) => {
                    file.items = items;
                    None
                }
                Err(_) => Some(file.path.clone()),
            })
            .collect()
    })
}

/// Runs per-file work, turning a panic into that file's error, then empties the thread's span
/// table (every tree of the file has been dropped by then).
fn guarded<T>(path: &Path, work: impl FnOnce() -> Result<T, FileError>) -> Result<T, FileError> {
    let result = catch_unwind(AssertUnwindSafe(work));
    proc_macro2::extra::invalidate_current_thread_spans();
    result.unwrap_or_else(|payload| {
        Err(FileError::new(
            path.to_path_buf(),
            format!("internal error: {}", panic_message(payload.as_ref())),
        ))
    })
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("panic with a non-string payload")
}

fn worker_pool(options: &CheckOptions) -> Result<rayon::ThreadPool, rayon::ThreadPoolBuildError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads.max(1))
        .stack_size(WORKER_STACK_SIZE)
        .thread_name(|i| format!("asyncwise-worker-{i}"))
        .build()
}

fn pool_failure(
    packages: &[discover::Package],
    error: &rayon::ThreadPoolBuildError,
) -> Vec<FileError> {
    packages
        .iter()
        .flat_map(|p| &p.files)
        .map(|path| {
            FileError::new(
                path.clone(),
                format!("could not start worker threads: {error}"),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_packages_keep_their_directory_name() {
        let root = Path::new("/repo/linkerd/app/integration");
        let file = Path::new("linkerd/app/integration/src/client.rs");
        let cwd = Some(Path::new("/repo"));
        let seen = in_package(root, file, cwd);
        assert_eq!(seen, Path::new("integration/src/client.rs"));
        assert_eq!(FileTarget::of(&seen), FileTarget::Tests);
        // The checked folder's own package is read from its root, whatever it is called.
        let own = in_package(
            Path::new("/work/test"),
            Path::new("src/lib.rs"),
            Some(Path::new("/work/test")),
        );
        assert_eq!(own, Path::new("src/lib.rs"));
        assert_eq!(FileTarget::of(&own), FileTarget::Main);
        let demo = in_package(
            Path::new("/repo/examples/demo"),
            Path::new("examples/demo/src/main.rs"),
            cwd,
        );
        assert_eq!(FileTarget::of(&demo), FileTarget::Main);
    }

    #[test]
    fn panics_become_file_errors() {
        let path = Path::new("boom.rs");
        let err = guarded::<()>(path, || panic!("kaboom")).unwrap_err();
        assert_eq!(err.message, "internal error: kaboom");
        let err =
            guarded::<()>(path, || std::panic::panic_any(format!("owned {}", 1))).unwrap_err();
        assert_eq!(err.message, "internal error: owned 1");
    }

    #[test]
    fn check_source_survives_deep_nesting() {
        for text in [
            "(".repeat(100_000),
            format!("fn f() {{ {}x; }}", "!".repeat(100_000)),
            format!("fn f() {{ x{}; }}", ".a()".repeat(100_000)),
        ] {
            assert!(check_source("deep.rs", &text).is_err());
        }
    }

    #[test]
    fn accepted_depth_is_analysed_without_overflow() {
        let depth = parse::MAX_NESTING - 3;
        let text = format!("fn f() {{ {}1{}; }}", "(".repeat(depth), ")".repeat(depth));
        assert!(check_source("ok.rs", &text).is_ok());
        let generics = format!("type T = {}u8{};", "Vec<".repeat(depth), ">".repeat(depth));
        assert!(check_source("ok.rs", &generics).is_ok());
        // Chains at the limit, in each of their shapes (method calls are kept shorter: the
        // model's cost grows faster than linearly with them, and this test is about the stack).
        let long = parse::MAX_CHAIN - 10;
        let chain = format!(
            "fn f() {{ x{}; x{}; x{}; x{}; }}",
            ".a".repeat(long),
            "?".repeat(long),
            " + x".repeat(long),
            ".a()".repeat(1000)
        );
        assert!(check_source("ok.rs", &chain).is_ok());
    }
}
