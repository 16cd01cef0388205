//! Targets as cargo sees them: which files and items a run checks.
//!
//! `cargo clippy` without flags checks the library and binaries. Test code is compiled only
//! for other targets: files of `tests/`, `benches/` and `examples/`, out-of-line modules
//! declared `#[cfg(test)] mod tests;` (and their submodules), and test items inside library
//! files (`#[cfg(test)]` items, functions with a test attribute). [`Targets`] says which of
//! them a run includes; the engine skips the rest and counts what it skipped. Files that a
//! package's `Cargo.toml` names as the `path` of an `[[example]]`, `[[bench]]` or `[[test]]`
//! target (and the modules beside such a target's `main.rs`) belong to that target wherever
//! they sit: a workspace member under `examples/` whose only target is an example is checked
//! with `--examples`, not by default. So is any package kept in the `examples/` directory of
//! another package or workspace (see [`example_directories_above`]), whatever its targets: an
//! example program built as a package of its own.
//!
//! A file named explicitly selects its target, as `cargo clippy --test NAME` does: a named
//! file under `tests/` or `benches/`, or a named out-of-line test module, is checked in full;
//! a named example is checked as `--example NAME` would (its test items still need
//! `--tests`), and a named library file still skips its test items unless `--tests` is given.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::facts::Target;
use crate::model::test_code::OutOfLineTestMod;

/// Which test code a run checks (library and binary code is always checked).
///
/// ```
/// use asyncwise_lint::engine::targets::Targets;
/// assert_eq!(Targets::default(), Targets::LIB_AND_BINS);
/// assert!(Targets::ALL.tests && Targets::ALL.examples && Targets::ALL.benches);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Targets {
    /// `tests/`, out-of-line test modules, and test items anywhere (`--tests`).
    pub tests: bool,
    /// `examples/` (`--examples`).
    pub examples: bool,
    /// `benches/` (`--benches`).
    pub benches: bool,
}

impl Targets {
    /// What `cargo clippy` checks without flags: library and binaries.
    pub const LIB_AND_BINS: Targets = Targets {
        tests: false,
        examples: false,
        benches: false,
    };
    /// `--all-targets`.
    pub const ALL: Targets = Targets {
        tests: true,
        examples: true,
        benches: true,
    };
}

/// What kind of target a file belongs to, from its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileTarget {
    /// Library or binary code.
    Main,
    /// A file of `tests/`.
    Tests,
    /// A file of `examples/`.
    Examples,
    /// A file of `benches/`.
    Benches,
}

impl FileTarget {
    /// Classifies a file by its path inside its package.
    ///
    /// ```
    /// use asyncwise_lint::engine::targets::FileTarget;
    /// use std::path::Path;
    /// assert_eq!(FileTarget::of(Path::new("svc/tests/common/mod.rs")), FileTarget::Tests);
    /// assert_eq!(FileTarget::of(Path::new("svc/src/tests/mod.rs")), FileTarget::Main);
    /// assert_eq!(FileTarget::of(Path::new("svc/examples/echo.rs")), FileTarget::Examples);
    /// ```
    pub fn of(path: &Path) -> FileTarget {
        // Packages that exist only to test others (`linkerd/app/test`, `pool/mock`,
        // `app/integration`) and benchmark packages (under `benchmarks/` or `bench/`): test code,
        // though cargo builds them as ordinary crates.
        let parts: Vec<&str> = path.iter().filter_map(|p| p.to_str()).collect();
        if let Some(src) = parts.iter().position(|p| *p == "src")
            && let Some(package) = src.checked_sub(1).map(|i| parts[i])
            && is_test_package(package)
        {
            return FileTarget::Tests;
        }
        if parts
            .iter()
            .take_while(|p| **p != "src")
            .any(|p| BENCH_DIRECTORIES.contains(p))
        {
            return FileTarget::Benches;
        }
        match Target::of(path) {
            Target::Main => FileTarget::Main,
            Target::SharedTests => FileTarget::Tests,
            Target::Own(name) if name.starts_with("examples/") => FileTarget::Examples,
            Target::Own(name) if name.starts_with("benches/") => FileTarget::Benches,
            Target::Own(_) => FileTarget::Tests,
        }
    }

    /// Does a run with `targets` check this file (a file named explicitly always is)?
    pub fn included(self, targets: Targets, explicit: bool) -> bool {
        explicit
            || match self {
                FileTarget::Main => true,
                FileTarget::Tests => targets.tests,
                FileTarget::Examples => targets.examples,
                FileTarget::Benches => targets.benches,
            }
    }

    /// Are the test items of an included file of this target checked?
    pub fn keeps_test_items(self, targets: Targets, explicit: bool) -> bool {
        targets.tests || explicit && matches!(self, FileTarget::Tests | FileTarget::Benches)
    }
}

/// Directories that hold benchmarks: cargo's `benches/` of a package, and the same split into
/// packages of their own (`benchmarks/`, `bench/`).
pub const BENCH_DIRECTORIES: &[&str] = &["benches", "benchmarks", "bench"];

/// Is a package in its workspace a benchmark package: does its directory, from the workspace
/// root, lie in a directory of benchmarks (`benchmarks/router` of a workspace whose
/// `benchmarks/` holds its load harnesses)? Cargo's convention for a package's benchmarks is
/// its `benches/` directory; a workspace that moves them into packages of their own keeps
/// them in such a directory just the same. A package only *named* like a benchmark
/// (`foo-bench`) is not one: it may be a benchmarking tool its project ships.
///
/// ```
/// use asyncwise_lint::engine::targets::in_bench_directory;
/// use std::path::Path;
/// let ws = Path::new("/src/broker");
/// assert!(in_bench_directory(&ws.join("benchmarks/router"), ws));
/// assert!(in_bench_directory(&ws.join("crates/bench/load"), ws));
/// assert!(!in_bench_directory(&ws.join("crates/server"), ws));
/// assert!(!in_bench_directory(&ws.join("tools/sky-bench"), ws));
/// // only the part inside the workspace counts: a checkout under ~/benchmarks is not bench code
/// assert!(!in_bench_directory(Path::new("/home/u/benchmarks/svc/core"), Path::new("/home/u/benchmarks/svc")));
/// ```
pub fn in_bench_directory(package_root: &Path, workspace_root: &Path) -> bool {
    package_root
        .strip_prefix(workspace_root)
        .is_ok_and(|inside| {
            inside
                .iter()
                .any(|c| c.to_str().is_some_and(|c| BENCH_DIRECTORIES.contains(&c)))
        })
}

/// Can [`in_bench_directory`] be true for `package_root` in any workspace: does any directory
/// of its path have a benchmark directory's name? (Finding the workspace reads manifests.)
///
/// ```
/// use asyncwise_lint::engine::targets::may_be_in_bench_directory;
/// use std::path::Path;
/// assert!(may_be_in_bench_directory(Path::new("/src/broker/benchmarks/router")));
/// assert!(!may_be_in_bench_directory(Path::new("/src/broker/crates/server")));
/// ```
pub fn may_be_in_bench_directory(package_root: &Path) -> bool {
    package_root
        .iter()
        .any(|c| c.to_str().is_some_and(|c| BENCH_DIRECTORIES.contains(&c)))
}

/// Directories that hold a package's or workspace's example programs (cargo's `examples/`).
pub const EXAMPLE_DIRECTORIES: &[&str] = &["examples"];

/// The directories above a package's own, nearest first, named like one of examples
/// (`examples/axum` of a client library, `examples/openapi/hello` of a workspace of examples).
/// One whose parent directory holds a `Cargo.toml` is the examples directory of that package or
/// workspace, and a package inside it is an example program: it shows how to use the library
/// and is checked with `--examples`. (The engine asks the file system about the parent: a
/// directory of the user's that happens to be named `examples` has no manifest above it.)
///
/// ```
/// use asyncwise_lint::engine::targets::example_directories_above;
/// use std::path::Path;
/// let above: Vec<_> = example_directories_above(Path::new("client/examples/axum")).collect();
/// assert_eq!(above, vec![Path::new("client/examples")]);
/// assert_eq!(example_directories_above(Path::new("examples/openapi/hello")).count(), 1);
/// // the package's own directory does not count: a crate named `examples` is not inside one
/// assert_eq!(example_directories_above(Path::new("crates/examples")).count(), 0);
/// ```
pub fn example_directories_above(package_root: &Path) -> impl Iterator<Item = &Path> {
    package_root.ancestors().skip(1).filter(|d| {
        d.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| EXAMPLE_DIRECTORIES.contains(&n))
    })
}

/// Directories that hold a project's documentation: a workspace member inside one (`docs/book`,
/// an mdbook's code listings built as a package so they compile) is documentation code.
pub const DOC_DIRECTORIES: &[&str] = &["docs", "doc"];

/// Is a package in its workspace a documentation package: does its directory, from the
/// workspace root, lie *inside* a documentation directory (`docs/book` of a workspace whose
/// book's listings are a package)? Such code shows how to use the library, as an example does,
/// and is checked with `--examples`. The package's own directory does not count: a crate named
/// `docs` (`crates/docs`, a service that builds documentation) is product code.
///
/// ```
/// use asyncwise_lint::engine::targets::in_doc_directory;
/// use std::path::Path;
/// let ws = Path::new("/src/quic");
/// assert!(in_doc_directory(&ws.join("docs/book"), ws));
/// assert!(in_doc_directory(&ws.join("doc/listings/ch01"), ws));
/// assert!(!in_doc_directory(&ws.join("crates/docs"), ws));
/// assert!(!in_doc_directory(&ws.join("docs"), ws));
/// // only the part inside the workspace counts
/// assert!(!in_doc_directory(Path::new("/home/u/docs/svc/core"), Path::new("/home/u/docs/svc")));
/// ```
pub fn in_doc_directory(package_root: &Path, workspace_root: &Path) -> bool {
    package_root
        .strip_prefix(workspace_root)
        .is_ok_and(|inside| {
            let dirs: Vec<&str> = inside.iter().filter_map(|c| c.to_str()).collect();
            dirs.split_last()
                .is_some_and(|(_, above)| above.iter().any(|d| DOC_DIRECTORIES.contains(d)))
        })
}

/// Can [`in_doc_directory`] be true for `package_root` in any workspace: does a directory of
/// its path above the package's own have a documentation directory's name?
///
/// ```
/// use asyncwise_lint::engine::targets::may_be_in_doc_directory;
/// use std::path::Path;
/// assert!(may_be_in_doc_directory(Path::new("/src/quic/docs/book")));
/// assert!(!may_be_in_doc_directory(Path::new("/src/registry/crates/docs")));
/// ```
pub fn may_be_in_doc_directory(package_root: &Path) -> bool {
    package_root.parent().is_some_and(|above| {
        above
            .iter()
            .any(|c| c.to_str().is_some_and(|c| DOC_DIRECTORIES.contains(&c)))
    })
}

/// Is a package directory or package named like a test-support crate (`test`, `mock`,
/// `test-utils`, `integration`, `foo-test`, `proto-fuzz`, `db-dst`, `server-stress`,
/// `test-server`, ...)? The names are a knowledge table
/// ([`TEST_PACKAGE_NAMES`](crate::knowledge::test_code::TEST_PACKAGE_NAMES) and the suffixes
/// and prefixes beside it); `_` counts as `-`.
///
/// ```
/// use asyncwise_lint::engine::targets::is_test_package;
/// assert!(is_test_package("mock") && is_test_package("app-test-support") && is_test_package("integration"));
/// assert!(is_test_package("slatedb-dst") && is_test_package("symbolicator-stress") && is_test_package("tests-database"));
/// assert!(is_test_package("kanidmd_testkit") && is_test_package("tracker-test-helpers") && is_test_package("testkit"));
/// assert!(!is_test_package("core") && !is_test_package("attest") && !is_test_package("sky-bench"));
/// ```
pub fn is_test_package(name: &str) -> bool {
    use crate::knowledge::test_code::{
        TEST_PACKAGE_NAMES, TEST_PACKAGE_PREFIXES, TEST_PACKAGE_SUFFIXES,
    };
    let name = name.replace('_', "-");
    TEST_PACKAGE_NAMES.contains(&name.as_str())
        || TEST_PACKAGE_SUFFIXES.iter().any(|s| name.ends_with(s))
        || TEST_PACKAGE_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// Which packages of a run exist to test a member that uses them: for each package (its root
/// and manifest, in the order given), is it depended on by other packages of the run only
/// through `[dev-dependencies]`, and does it itself depend (not only for its own tests) on one
/// of the packages that use it that way? Such a package is built, inside its workspace, only
/// for the tests of the package it depends on: cargo forbids a dependency cycle, so the member
/// it tests can reach it through its dev-dependencies alone (a CCM bridge or mock server crate
/// of a database driver that drives the driver in the driver's integration tests). A package
/// used only as a dev-dependency but without that back edge is an ordinary library another
/// member happens to use in tests (a protocol client one server's tests talk to) and stays
/// checked. Only packages of the same run are seen: a member checked alone is not judged so.
///
/// ```
/// use asyncwise_lint::engine::{manifest::parse, targets::test_support_by_use};
/// use std::path::PathBuf;
/// let driver = parse("[package]\nname = \"driver\"\n[dev-dependencies]\nbridge = { path = \"../bridge\" }\n", "/ws/driver".as_ref()).unwrap();
/// let bridge = parse("[package]\nname = \"bridge\"\n[dependencies]\ndriver = { path = \"../driver\" }\n", "/ws/bridge".as_ref()).unwrap();
/// let roots = [PathBuf::from("/ws/driver"), PathBuf::from("/ws/bridge")];
/// assert_eq!(test_support_by_use(&roots, &[Some(&driver), Some(&bridge)]), vec![false, true]);
/// ```
pub fn test_support_by_use(
    roots: &[PathBuf],
    manifests: &[Option<&crate::engine::manifest::Manifest>],
) -> Vec<bool> {
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| normalize(p));
    let roots: Vec<PathBuf> = roots.iter().map(|r| canonical(r)).collect();
    let index_of = |dir: &Path| roots.iter().position(|r| *r == canonical(dir));
    // For each package: (dependents through dev-dependencies only, dependents otherwise).
    let mut dev_users: Vec<Vec<usize>> = vec![Vec::new(); roots.len()];
    let mut other_users: Vec<Vec<usize>> = vec![Vec::new(); roots.len()];
    // For each package: the packages it depends on other than for its tests.
    let mut needs: Vec<Vec<usize>> = vec![Vec::new(); roots.len()];
    for (user, manifest) in manifests.iter().enumerate() {
        let Some(manifest) = manifest else { continue };
        for (name, dir) in &manifest.path_deps {
            let Some(dep) = index_of(dir).filter(|&d| d != user) else {
                continue;
            };
            if manifest.dev_only_keys.contains(name) {
                dev_users[dep].push(user);
            } else {
                other_users[dep].push(user);
                needs[user].push(dep);
            }
        }
    }
    (0..roots.len())
        .map(|p| {
            other_users[p].is_empty() && dev_users[p].iter().any(|user| needs[p].contains(user))
        })
        .collect()
}

/// Files and directories of out-of-line test modules, collected from their declarations.
#[derive(Debug, Default)]
pub struct TestModuleFiles {
    /// The files, as bytes: paths here are normalized display paths (one separator between
    /// components, no `.`), for which equal bytes and equal components are the same thing,
    /// and bytes hash without parsing components (asked for every file of a package).
    files: HashSet<Box<[u8]>, foldhash::fast::FixedState>,
    dirs: Vec<PathBuf>,
}

impl TestModuleFiles {
    /// Records `decl`, declared in the file `declared_in`.
    ///
    /// ```
    /// use asyncwise_lint::engine::targets::TestModuleFiles;
    /// use asyncwise_lint::model::test_code::OutOfLineTestMod;
    /// use std::path::Path;
    /// let mut files = TestModuleFiles::default();
    /// let decl = OutOfLineTestMod { nesting: vec![], name: "tests".into(), path_attr: None };
    /// files.add(Path::new("src/store.rs"), &decl);
    /// assert!(files.contains(Path::new("src/store/tests.rs")));
    /// assert!(files.contains(Path::new("src/store/tests/helpers.rs")));
    /// assert!(!files.contains(Path::new("src/store.rs")));
    /// ```
    pub fn add(&mut self, declared_in: &Path, decl: &OutOfLineTestMod) {
        let parent = declared_in.parent().unwrap_or(Path::new(""));
        let mut dir = module_dir(declared_in);
        for inner in &decl.nesting {
            dir.push(inner);
        }
        if let Some(attr) = &decl.path_attr {
            let base = if decl.nesting.is_empty() {
                parent
            } else {
                &dir
            };
            let file = normalize(&base.join(attr));
            if let Some(d) = file.parent() {
                self.dirs.push(d.join(file.file_stem().unwrap_or_default()));
            }
            self.files.insert(bytes_of(&file).into());
            return;
        }
        let sub = dir.join(&decl.name);
        self.files
            .insert(bytes_of(&normalize(&dir.join(format!("{}.rs", decl.name)))).into());
        self.files
            .insert(bytes_of(&normalize(&sub.join("mod.rs"))).into());
        self.dirs.push(normalize(&sub));
    }

    /// Is `file` an out-of-line test module or one of its submodules?
    pub fn contains(&self, file: &Path) -> bool {
        self.files.contains(bytes_of(file)) || self.dirs.iter().any(|d| is_within(file, d))
    }
}

/// A path's bytes as the platform encodes them.
fn bytes_of(path: &Path) -> &[u8] {
    path.as_os_str().as_encoded_bytes()
}

/// `path.starts_with(dir)` for normalized paths, comparing bytes: `dir`'s bytes, then a
/// separator or the end (so `src/tests` holds `src/tests/a.rs`, not `src/tests_util.rs`).
fn is_within(path: &Path, dir: &Path) -> bool {
    let (path, dir) = (bytes_of(path), bytes_of(dir));
    match path.strip_prefix(dir) {
        Some([]) => true,
        Some([first, ..]) => std::path::is_separator(char::from(*first)),
        None => false,
    }
}

/// The directory holding the submodules of the module a file defines.
fn module_dir(file: &Path) -> PathBuf {
    let parent = file.parent().unwrap_or(Path::new(""));
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    // Crate roots (and `mod.rs`) keep their submodules beside them; `tests/it.rs` and
    // `src/bin/tool.rs` are crate roots too.
    let beside = matches!(stem, "lib" | "main" | "mod" | "build")
        || parent.ends_with("src/bin")
        || FileTarget::of(file) != FileTarget::Main;
    if beside {
        parent.to_path_buf()
    } else {
        parent.join(stem)
    }
}

/// Removes `.` components and folds `dir/..` (paths here are display paths, never symlinked).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir
                if out
                    .components()
                    .next_back()
                    .is_some_and(|l| matches!(l, std::path::Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decl(nesting: &[&str], name: &str, path_attr: Option<&str>) -> OutOfLineTestMod {
        OutOfLineTestMod {
            nesting: nesting.iter().map(|s| s.to_string()).collect(),
            name: name.into(),
            path_attr: path_attr.map(str::to_string),
        }
    }

    #[test]
    fn module_files_from_roots_mod_rs_and_nesting() {
        let mut files = TestModuleFiles::default();
        files.add(Path::new("svc/src/lib.rs"), &decl(&[], "tests", None));
        files.add(
            Path::new("svc/src/net/mod.rs"),
            &decl(&["inner"], "t", None),
        );
        files.add(
            Path::new("svc/src/bin/tool.rs"),
            &decl(&[], "cli_tests", None),
        );
        files.add(
            Path::new("svc/src/db.rs"),
            &decl(&[], "t", Some("../fixtures/db_tests.rs")),
        );
        for yes in [
            "svc/src/tests.rs",
            "svc/src/tests/mod.rs",
            "svc/src/tests/util.rs",
            "svc/src/net/inner/t.rs",
            "svc/src/bin/cli_tests.rs",
            "svc/fixtures/db_tests.rs",
        ] {
            assert!(files.contains(Path::new(yes)), "{yes}");
        }
        for no in ["svc/src/lib.rs", "svc/src/net/t.rs", "svc/src/db.rs"] {
            assert!(!files.contains(Path::new(no)), "{no}");
        }
    }

    #[test]
    fn test_support_and_benchmark_packages() {
        for (path, want) in [
            ("linkerd/app/test/src/resolver.rs", FileTarget::Tests),
            ("linkerd/pool/mock/src/lib.rs", FileTarget::Tests),
            ("linkerd/app/integration/src/tcp.rs", FileTarget::Tests),
            ("benchmarks/clients/async.rs", FileTarget::Benches),
            ("net/bench/src/echo.rs", FileTarget::Benches),
            ("linkerd/app/core/src/serve.rs", FileTarget::Main),
            ("svc/src/integration/mod.rs", FileTarget::Main),
        ] {
            assert_eq!(FileTarget::of(Path::new(path)), want, "{path}");
        }
    }

    #[test]
    fn explicit_files_select_their_target() {
        let t = Targets::LIB_AND_BINS;
        assert!(!FileTarget::Tests.included(t, false));
        assert!(FileTarget::Tests.included(t, true));
        assert!(FileTarget::Tests.keeps_test_items(t, true));
        assert!(!FileTarget::Examples.keeps_test_items(t, true));
        assert!(!FileTarget::Main.keeps_test_items(t, true));
        assert!(FileTarget::Main.keeps_test_items(Targets::ALL, false));
    }
}
