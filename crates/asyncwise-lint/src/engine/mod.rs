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

pub mod discover;
pub mod layout;
pub mod manifest;
pub mod parse;

use std::any::Any;
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::crate_index::{CrateIndex, FileInput, PackageInput};
use crate::diagnostic::{Diagnostic, FileError};
use crate::facts::{FileAnalysis, finish_package};
use manifest::{Edition, Manifest};

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
    /// What the run knows about libraries (default: the built-in tables).
    pub knowledge: Arc<crate::knowledge::Knowledge>,
    /// Build per-file summaries and the crate index, and report blocking through helper
    /// functions (default: on). Off only to measure what the call graph costs.
    pub call_graph: bool,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            call_graph: true,
            knowledge: crate::knowledge::Knowledge::builtin(),
        }
    }
}

/// The result of checking a set of paths.
#[derive(Debug, Clone, Default)]
pub struct CheckReport {
    /// How many files were analysed (including those that failed).
    pub files_checked: usize,
    /// Findings, sorted by path and position.
    pub diagnostics: Vec<Diagnostic>,
    /// Files or paths that could not be checked, sorted by path.
    pub errors: Vec<FileError>,
    /// The text of every file with a finding, keyed by its display path (for snippets).
    pub sources: BTreeMap<PathBuf, Arc<str>>,
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
    let mut found = discover::discover(paths);
    let mut report = CheckReport {
        files_checked: found.file_count(),
        errors: std::mem::take(&mut found.errors),
        ..CheckReport::default()
    };
    let reported = complete_named_packages(paths, &mut found);
    let pool = match worker_pool(options) {
        Ok(pool) => pool,
        Err(error) => {
            report.errors.extend(pool_failure(&found.packages, &error));
            return report;
        }
    };
    let max_size = options.max_file_size;
    let cwd = std::env::current_dir().ok();
    let manifests: Vec<Option<Manifest>> = found
        .packages
        .iter()
        .map(|p| manifest::read(&p.root).ok())
        .collect();
    let packages = pool.install(|| {
        found
            .packages
            .par_iter()
            .zip(&manifests)
            .map(|(package, manifest)| {
                let edition = manifest.as_ref().map_or(Edition::default(), |m| m.edition);
                let outcomes: Vec<_> = package
                    .files
                    .par_iter()
                    .map(|path| {
                        let rel = relative_to(&package.root, path, cwd.as_deref());
                        let cx = crate::model::FileContext {
                            module: layout::module_path(&rel),
                            edition,
                            call_graph: options.call_graph,
                            knowledge: Arc::clone(&options.knowledge),
                        };
                        (rel, check_file(path, max_size, &cx))
                    })
                    .collect();
                let mut analyses = Vec::with_capacity(outcomes.len());
                let mut files = Vec::with_capacity(outcomes.len());
                let mut errors = Vec::new();
                let mut sources = BTreeMap::new();
                for (path, (rel, outcome)) in package.files.iter().zip(outcomes) {
                    match outcome {
                        Ok((mut analysis, source)) => {
                            if let Some(source) = source {
                                sources.insert(path.clone(), source);
                            }
                            files.push(FileInput {
                                path: path.clone(),
                                rel,
                                items: std::mem::take(&mut analysis.summary.items),
                            });
                            analyses.push(analysis);
                        }
                        Err(error) => errors.push(error),
                    }
                }
                (finish_package(analyses), errors, sources, files)
            })
            .collect::<Vec<_>>()
    });
    let mut inputs = Vec::with_capacity(packages.len());
    for (diagnostics, errors, sources, files) in packages {
        report.diagnostics.extend(diagnostics);
        report.errors.extend(errors);
        report.sources.extend(sources);
        inputs.push(files);
    }
    if options.call_graph {
        // A panic here would lose every finding: it becomes an error of the run instead.
        let inputs = package_inputs(&found.packages, &manifests, inputs);
        let crate_pass = catch_unwind(AssertUnwindSafe(|| {
            crate::rules::check_crate(&CrateIndex::build(inputs))
        }));
        let found_in_index = crate_pass.unwrap_or_else(|payload| {
            report.errors.push(FileError {
                path: found
                    .packages
                    .first()
                    .map_or_else(|| PathBuf::from("."), |p| p.root.clone()),
                message: format!(
                    "internal error in the crate pass: {}",
                    panic_message(payload.as_ref())
                ),
            });
            Vec::new()
        });
        // Files whose only findings come from the crate index: their text was not kept.
        for d in &found_in_index {
            if !report.sources.contains_key(&d.path)
                && let Ok(text) = std::fs::read_to_string(&d.path)
            {
                report.sources.insert(d.path.clone(), Arc::from(text));
            }
        }
        report.diagnostics.extend(found_in_index);
    }
    if let Some(reported) = &reported {
        // Files read only for their facts report neither findings nor errors; errors about
        // the user's own paths (a path that does not exist) stay.
        let added: std::collections::HashSet<&PathBuf> = found
            .packages
            .iter()
            .flat_map(|p| &p.files)
            .filter(|f| !reported.contains(*f))
            .collect();
        report.diagnostics.retain(|d| reported.contains(&d.path));
        report.errors.retain(|e| !added.contains(&e.path));
    }
    let report_sources = std::mem::take(&mut report.sources);
    for d in &report.diagnostics {
        if let Some(source) = report_sources.get(&d.path) {
            report.sources.insert(d.path.clone(), Arc::clone(source));
        }
    }
    report
        .diagnostics
        .sort_by(|a, b| (&a.path, a.span.start, a.rule).cmp(&(&b.path, b.span.start, b.rule)));
    report.diagnostics.dedup();
    report.errors.sort_by(|a, b| a.path.cmp(&b.path));
    report
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

/// Checks one file's text as if it were a crate of its own.
///
/// Runs on a fresh thread with the workers' large stack, so it is as robust as
/// [`check_paths`]: deep nesting and panics come back as a [`FileError`].
///
/// ```
/// let err = asyncwise_lint::check_source("deep.rs", &"(".repeat(100_000)).unwrap_err();
/// assert!(err.message.contains("too deeply"));
/// ```
pub fn check_source(path: impl AsRef<Path>, source: &str) -> Result<Vec<Diagnostic>, FileError> {
    let path = path.as_ref();
    let analysis = std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("asyncwise-check".into())
            .stack_size(WORKER_STACK_SIZE)
            .spawn_scoped(scope, || {
                guarded(path, || parse::analyze_source(path, source))
            })
            .map_err(|e| FileError {
                path: path.to_path_buf(),
                message: format!("could not start a worker thread: {e}"),
            })?;
        worker.join().unwrap_or_else(|payload| {
            Err(FileError {
                path: path.to_path_buf(),
                message: format!("internal error: {}", panic_message(payload.as_ref())),
            })
        })
    })?;
    let mut analysis = analysis;
    let items = std::mem::take(&mut analysis.summary.items);
    let mut found = finish_package(vec![analysis]);
    let file = FileInput {
        path: path.to_path_buf(),
        rel: path.to_path_buf(),
        items,
    };
    let index = CrateIndex::build(vec![PackageInput {
        files: vec![file],
        ..PackageInput::default()
    }]);
    found.extend(crate::rules::check_crate(&index));
    found.sort_by(|a, b| (&a.path, a.span.start, a.rule).cmp(&(&b.path, b.span.start, b.rule)));
    Ok(found)
}

/// Reads and analyses one file; keeps its text when it has findings (for snippets).
fn check_file(
    path: &Path,
    max_size: u64,
    cx: &crate::model::FileContext,
) -> Result<(FileAnalysis, Option<Arc<str>>), FileError> {
    guarded(path, || {
        let source = parse::read_source(path, max_size)?;
        let analysis = parse::analyze_source_in(path, &source, cx)?;
        let keep = !analysis.diagnostics.is_empty() || !analysis.deferred.is_empty();
        Ok((analysis, keep.then(|| Arc::from(source))))
    })
}

/// When the user names single files of a package (a pre-commit hook passing changed files), the
/// rest of the package is analysed too, so crate-level facts are those of a full run; findings
/// are then reported for the files the user's paths cover only (the returned set).
fn complete_named_packages(
    paths: &[PathBuf],
    found: &mut discover::Discovery,
) -> Option<std::collections::HashSet<PathBuf>> {
    let cwd = std::env::current_dir().ok();
    let named_files: Vec<PathBuf> = paths
        .iter()
        .filter(|p| p.is_file())
        .map(|p| discover::display_path(p, cwd.as_deref()))
        .collect();
    if named_files.is_empty() {
        return None;
    }
    let reported: std::collections::HashSet<PathBuf> = found
        .packages
        .iter()
        .flat_map(|p| p.files.iter().cloned())
        .collect();
    // The packages to complete: those holding a named file, and the workspace members they
    // depend on by path (their functions are part of the facts), transitively.
    let mut queue: Vec<PathBuf> = found
        .packages
        .iter()
        .filter(|p| p.files.iter().any(|f| named_files.contains(f)))
        .map(|p| p.root.clone())
        .collect();
    let mut done = std::collections::HashSet::new();
    while let Some(root) = queue.pop() {
        if !done.insert(root.clone()) {
            continue;
        }
        let Ok(manifest) = manifest::read(&root) else {
            continue;
        };
        queue.extend(
            manifest
                .path_deps
                .into_iter()
                .map(|(_, dir)| normalized(&dir)),
        );
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
fn relative_to(root: &Path, file: &Path, cwd: Option<&Path>) -> PathBuf {
    let absolute = match cwd {
        Some(cwd) => cwd.join(file),
        None => file.to_path_buf(),
    };
    absolute
        .strip_prefix(root)
        .map_or_else(|_| file.to_path_buf(), Path::to_path_buf)
}

/// The crate index's view of the discovered packages: library names, and dependencies by path
/// on other checked packages.
fn package_inputs(
    packages: &[discover::Package],
    manifests: &[Option<Manifest>],
    files: Vec<Vec<FileInput>>,
) -> Vec<PackageInput> {
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let roots: Vec<PathBuf> = packages.iter().map(|p| canonical(&p.root)).collect();
    files
        .into_iter()
        .zip(manifests)
        .map(|(files, manifest)| {
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
                files,
            }
        })
        .collect()
}

/// Runs per-file work, turning a panic into that file's error, then empties the thread's span
/// table (every tree of the file has been dropped by then).
fn guarded<T>(path: &Path, work: impl FnOnce() -> Result<T, FileError>) -> Result<T, FileError> {
    let result = catch_unwind(AssertUnwindSafe(work));
    proc_macro2::extra::invalidate_current_thread_spans();
    result.unwrap_or_else(|payload| {
        Err(FileError {
            path: path.to_path_buf(),
            message: format!("internal error: {}", panic_message(payload.as_ref())),
        })
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
        .map(|path| FileError {
            path: path.clone(),
            message: format!("could not start worker threads: {error}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
