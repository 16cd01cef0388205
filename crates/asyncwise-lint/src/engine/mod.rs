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
pub mod parse;

use std::any::Any;
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::diagnostic::{Diagnostic, FileError};
use crate::facts::{FileAnalysis, finish_package};
use crate::items::ItemOutline;
use crate::suppress::FileSuppressions;

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
    /// Read the configuration next to the checked files ([`config`](crate::config)): `exclude`
    /// globs and `require_reason` (default: `false`, as if there were none).
    pub configure: bool,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            configure: false,
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
    /// The item outline of every file with a finding (for baseline fingerprints).
    pub outlines: BTreeMap<PathBuf, Arc<ItemOutline>>,
    /// Named directories in which no Rust file was found (after exclusions).
    pub empty_paths: Vec<PathBuf>,
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
    let mut resolver = options.configure.then(crate::config::Resolver::default);
    // A file is left out by the configuration of its own package and workspace, and by that of
    // the directory being walked (so a workspace can exclude a nested, independent crate).
    let found = discover::discover_excluding(paths, &mut |root, file| {
        resolver.as_mut().is_some_and(|r| {
            let absolute = crate::config::absolute(file);
            r.for_file(file).is_excluded(&absolute)
                || r.for_dir(&crate::config::absolute(root))
                    .is_excluded(&absolute)
        })
    });
    let mut report = CheckReport {
        files_checked: found.file_count(),
        errors: found.errors,
        empty_paths: found.empty,
        ..CheckReport::default()
    };
    let pool = match worker_pool(options) {
        Ok(pool) => pool,
        Err(error) => {
            report.errors.extend(pool_failure(&found.packages, &error));
            return report;
        }
    };
    let max_size = options.max_file_size;
    let packages = pool.install(|| {
        found
            .packages
            .par_iter()
            .map(|package| {
                let outcomes: Vec<_> = package
                    .files
                    .par_iter()
                    .map(|path| check_file(path, max_size))
                    .collect();
                let mut analyses = Vec::with_capacity(outcomes.len());
                let mut errors = Vec::new();
                let mut kept = Vec::new();
                for (path, outcome) in package.files.iter().zip(outcomes) {
                    match outcome {
                        Ok(checked) => {
                            analyses.push(checked.analysis);
                            kept.push((path.clone(), checked.kept));
                        }
                        Err(error) => errors.push(error),
                    }
                }
                (finish_package(analyses), errors, kept)
            })
            .collect::<Vec<_>>()
    });
    let mut kept_by_path = BTreeMap::new();
    let mut suppressions = BTreeMap::new();
    for (diagnostics, errors, kept) in packages {
        report.diagnostics.extend(diagnostics);
        report.errors.extend(errors);
        for (path, kept) in kept.into_iter() {
            if let Some(kept) = kept {
                suppressions.insert(path.clone(), kept.suppressions.clone());
                kept_by_path.insert(path, kept);
            }
        }
    }
    // Suppressions apply to every finding, those of the crate pass included, in this one place.
    let mut reasons_required = std::collections::BTreeSet::new();
    if let Some(resolver) = resolver.as_mut() {
        for (path, file) in &suppressions {
            if !file.suppressions.is_empty() && resolver.for_file(path).require_reason() {
                reasons_required.insert(path.clone());
            }
        }
        report.errors.append(&mut resolver.errors);
    }
    let diagnostics = std::mem::take(&mut report.diagnostics);
    report.diagnostics = crate::suppress::apply(diagnostics, &suppressions, &|path| {
        reasons_required.contains(path)
    });
    for d in &report.diagnostics {
        if let Some(kept) = kept_by_path.get(&d.path) {
            report
                .sources
                .insert(d.path.clone(), Arc::clone(&kept.source));
            report
                .outlines
                .insert(d.path.clone(), Arc::clone(&kept.outline));
        }
    }
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

/// Checks one file's text as if it were a crate of its own, honouring its suppression comments
/// (without configuration: reasons are not required).
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
                guarded(path, || {
                    let ast = parse::parse_source(path, source)?;
                    let analysis = crate::analyze_parsed(path, source, &ast);
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
    let (analysis, suppressions) = analysis;
    let files = [(path.to_path_buf(), suppressions)].into();
    Ok(crate::suppress::apply(
        finish_package(vec![analysis]),
        &files,
        &|_| false,
    ))
}

/// What one checked file hands back to the driver.
struct CheckedFile {
    analysis: FileAnalysis,
    /// Only for files with findings or suppressions.
    kept: Option<KeptFile>,
}

/// The parts of a file that outlive its syntax tree: its text (snippets, fingerprints), its
/// item outline (suppression scopes, fingerprints) and its suppressions.
struct KeptFile {
    source: Arc<str>,
    outline: Arc<ItemOutline>,
    suppressions: FileSuppressions,
}

/// Reads and analyses one file; keeps what later stages need when it has findings or
/// suppressions.
fn check_file(path: &Path, max_size: u64) -> Result<CheckedFile, FileError> {
    guarded(path, || {
        let source = parse::read_source(path, max_size)?;
        let ast = parse::parse_source(path, &source)?;
        let analysis = crate::analyze_parsed(path, &source, &ast);
        let keep = !analysis.diagnostics.is_empty()
            || !analysis.deferred.is_empty()
            || crate::suppress::may_contain(&source);
        let kept = keep.then(|| {
            let outline = ItemOutline::of(&ast);
            let suppressions = FileSuppressions::parse(path, &source, &outline);
            KeptFile {
                source: Arc::from(source),
                outline: Arc::new(outline),
                suppressions,
            }
        });
        Ok(CheckedFile { analysis, kept })
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
