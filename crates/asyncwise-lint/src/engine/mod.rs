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
pub mod targets;

use std::any::Any;
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::diagnostic::{Diagnostic, FileError, Severity};
use crate::facts::{FileAnalysis, finish_package};
use crate::levels::{Level, Levels};
use crate::model::TestCode;
use targets::{FileTarget, Targets, TestModuleFiles};

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
    let found = discover::discover(paths);
    let targets = options.targets;
    let mut report = CheckReport {
        errors: found.errors,
        ..CheckReport::default()
    };
    // Files of targets the run leaves out are not even read: nothing in them is visible to
    // library code.
    let mut selected = Vec::with_capacity(found.packages.len());
    for package in &found.packages {
        let mut files = Vec::with_capacity(package.files.len());
        for path in &package.files {
            let target = FileTarget::of(path);
            let explicit = found.explicit.contains(path);
            if target.included(targets, explicit) {
                files.push(SelectedFile {
                    path: path.clone(),
                    target,
                    explicit,
                });
            } else {
                report.skipped.files += 1;
            }
        }
        report.files_checked += files.len();
        // Binaries are judged only in a real package: a `Cargo.toml`, and for the main binary a
        // `src/main.rs` with no `src/lib.rs` beside it.
        let manifest = package.root.join("Cargo.toml").is_file();
        let src = package.root.join("src");
        let layout = match manifest {
            false => None,
            true => Some(src.join("main.rs").is_file() && !src.join("lib.rs").is_file()),
        };
        selected.push((files, layout));
    }
    let pool = match worker_pool(options) {
        Ok(pool) => pool,
        Err(error) => {
            report.errors.extend(pool_failure(&found.packages, &error));
            return report;
        }
    };
    let max_size = options.max_file_size;
    let packages = pool.install(|| {
        selected
            .par_iter()
            .map(|(files, layout)| {
                let outcomes: Vec<_> = files
                    .par_iter()
                    .map(|file| check_file(&file.path, max_size))
                    .collect();
                let mut analyses = Vec::with_capacity(outcomes.len());
                let mut tests = Vec::with_capacity(outcomes.len());
                let mut concurrent = Vec::with_capacity(outcomes.len());
                let mut errors = Vec::new();
                let mut sources = BTreeMap::new();
                for (file, outcome) in files.iter().zip(outcomes) {
                    match outcome {
                        Ok((mut analysis, source)) => {
                            if let Some(source) = source {
                                sources.insert(file.path.clone(), source);
                            }
                            tests.push((file, std::mem::take(&mut analysis.test_code)));
                            concurrent.push((file.path.as_path(), analysis.concurrent));
                            analyses.push(analysis);
                        }
                        Err(error) => errors.push(error),
                    }
                }
                let mut outcome = PackageOutcome {
                    diagnostics: finish_package(analyses),
                    errors,
                    sources,
                    skipped: Skipped::default(),
                };
                outcome.leave_out_test_code(&tests, targets);
                if let Some(bin_only) = layout {
                    outcome.demote_serial_binaries(&concurrent, *bin_only);
                }
                outcome
            })
            .collect::<Vec<_>>()
    });
    for package in packages {
        report.diagnostics.extend(package.diagnostics);
        report.errors.extend(package.errors);
        report.sources.extend(package.sources);
        report.skipped.files += package.skipped.files;
        report.skipped.items += package.skipped.items;
        report.files_checked -= package.skipped.files;
    }
    apply_levels(&mut report.diagnostics, &options.levels);
    let report_sources = std::mem::take(&mut report.sources);
    for d in &report.diagnostics {
        if let Some(source) = report_sources.get(&d.path) {
            report.sources.insert(d.path.clone(), Arc::clone(source));
        }
    }
    report
        .diagnostics
        .sort_by(|a, b| (&a.path, a.span.start, a.rule).cmp(&(&b.path, b.span.start, b.rule)));
    report.errors.sort_by(|a, b| a.path.cmp(&b.path));
    report
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
    errors: Vec<FileError>,
    sources: BTreeMap<PathBuf, Arc<str>>,
    /// Out-of-line test modules found only once their parents were parsed (they were
    /// counted as checked), and test items.
    skipped: Skipped,
}

impl PackageOutcome {
    /// Drops findings in test code the run does not check, counting what was left out.
    fn leave_out_test_code(&mut self, files: &[(&SelectedFile, TestCode)], targets: Targets) {
        let mut modules = TestModuleFiles::default();
        for (file, code) in files {
            for decl in &code.out_of_line {
                modules.add(&file.path, decl);
            }
        }
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
    /// approximation of "not reachable from concurrent code".
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
        let mut serial: std::collections::HashSet<&Path> = binaries
            .into_values()
            .filter(|(concurrent, _)| !concurrent)
            .flat_map(|(_, files)| files)
            .collect();
        serial.extend(files.iter().filter_map(|(path, concurrent)| {
            let module = !concurrent
                && binary_of(path, bin_only).as_deref() == Some("main")
                && !path.ends_with("main.rs");
            module.then_some(*path)
        }));
        for d in &mut self.diagnostics {
            if d.rule == "blocking_in_async" && serial.contains(d.path.as_path()) {
                d.form = crate::levels::Form::Pedantic;
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
fn apply_levels(diagnostics: &mut Vec<Diagnostic>, levels: &Levels) {
    diagnostics.retain_mut(|d| {
        let Some(rule) = crate::rules::find(d.rule) else {
            return true;
        };
        match levels.level_of(rule, d.form) {
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

/// Checks one file's text as if it were a crate of its own, with everything included: test
/// items, and every rule in every form (`--all-targets --select all`), as fixtures need.
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
    let mut diagnostics = finish_package(vec![analysis]);
    apply_levels(&mut diagnostics, &Levels::everything());
    Ok(diagnostics)
}

/// Reads and analyses one file; keeps its text when it has findings (for snippets).
fn check_file(path: &Path, max_size: u64) -> Result<(FileAnalysis, Option<Arc<str>>), FileError> {
    guarded(path, || {
        let source = parse::read_source(path, max_size)?;
        let analysis = parse::analyze_source(path, &source)?;
        let keep = !analysis.diagnostics.is_empty() || !analysis.deferred.is_empty();
        Ok((analysis, keep.then(|| Arc::from(source))))
    })
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
