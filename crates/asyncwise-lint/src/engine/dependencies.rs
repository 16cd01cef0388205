//! Registry dependencies whose sync functions block: read lazily from the sources cargo already
//! downloaded, summarised like the workspace's own files, and cached per crate and version.
//!
//! When the code of a package calls into a dependency crate (`ffprobe::ffprobe(path)`,
//! `clamd::scan(..)`, `MetadataCommand::new().exec()`), the crate index can only follow the
//! call if it has the dependency's functions. This module gives it them, under these rules:
//!
//! * **Which crates.** Only dependencies named by a call of the package's code outside tests
//!   (a path whose first segment is the dependency's name as code uses it, a method on a
//!   receiver of one of its types, or a chain that starts at one of its functions), and never
//!   those of [`UNREAD_CRATES`](crate::knowledge::dependencies::UNREAD_CRATES). Path
//!   dependencies on workspace members are the index's own packages, not read here.
//! * **Which version.** The one the workspace's `Cargo.lock` pins for the package (the lock's
//!   entry of the package lists its dependencies, with a version when several are locked);
//!   only crates.io (or another registry) packages. Without a `Cargo.lock` nothing is read.
//! * **Where.** `vendor/NAME-VERSION/` or `vendor/NAME/` (at that version) of the workspace
//!   root, then `$CARGO_HOME/registry/src/*/NAME-VERSION/` (`CARGO_HOME` defaults to
//!   `~/.cargo`): the sources `cargo fetch` or any build already unpacked. Nothing is
//!   downloaded and cargo is never run; a crate that is not on disk is simply not followed.
//! * **What.** The files under the crate's `src/` (binaries and test code left out), bounded by
//!   [`MAX_FILES`] and [`MAX_BYTES`]; each is summarised as a workspace file is, and the
//!   dependency's own blocking calls are kept only for the kinds that propagate out of a
//!   library ([`propagation`](crate::knowledge::dependencies::propagation)). A crate index of
//!   the dependency alone settles which of its functions block (through its own helpers); the
//!   summary keeps those, and the declared return types of the others (to type builder
//!   chains), and nothing else.
//! * **Cache.** That pruned summary is stored per (name, version, source directory) in the
//!   run's cache directory (`DIR/v3/deps/`, keyed by the tool's build like every entry,
//!   written atomically, ignored when damaged), so a warm run reads no dependency source.
//!
//! Nothing here is an error for the user: a crate too large, a file that does not parse or a
//! lock file that cannot be read is skipped, and said on stderr only with
//! `ASYNCWISE_DEBUG_DEPENDENCIES` set.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Deserialize;

use crate::cache::Cache;
use crate::crate_index::{CrateIndex, FileInput, PackageInput};
use crate::engine::manifest::Manifest;
use crate::knowledge::dependencies::{Propagation, UNREAD_CRATES, propagation};
use crate::model::{ChainBase, Ctx};
use crate::summary::{FIELD_PREFIX, FileItems};

/// A dependency with more `.rs` files under `src/` than this is not read.
pub const MAX_FILES: usize = 600;

/// A dependency with more bytes of `.rs` files under `src/` than this is not read.
pub const MAX_BYTES: u64 = 6 << 20;

/// The environment variable that makes skipped dependencies show on stderr.
pub const DEBUG_ENV: &str = "ASYNCWISE_DEBUG_DEPENDENCIES";

/// Says why a dependency was not read, when [`DEBUG_ENV`] is set.
fn debug(message: impl FnOnce() -> String) {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if *ON.get_or_init(|| std::env::var_os(DEBUG_ENV).is_some()) {
        eprintln!("asyncwise: dependencies: {}", message());
    }
}

/// A crate by (name, version).
type CrateKey = (String, String);

/// Where a run finds dependency sources.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// Cargo's home (`registry/src/*/` below it holds unpacked crates); `None`: not looked at.
    pub cargo_home: Option<PathBuf>,
}

impl Sources {
    /// Cargo's home as cargo finds it: `$CARGO_HOME`, else `~/.cargo`.
    ///
    /// ```
    /// let sources = asyncwise_lint::engine::dependencies::Sources::from_environment();
    /// # let _ = sources;
    /// ```
    pub fn from_environment() -> Sources {
        let cargo_home = std::env::var_os("CARGO_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::home_dir().map(|home| home.join(".cargo")));
        Sources { cargo_home }
    }
}

/// `Cargo.lock`, as far as it is read here.
#[derive(Debug, Deserialize)]
struct Lockfile {
    #[serde(default)]
    package: Vec<LockedPackage>,
}

/// One `[[package]]` of `Cargo.lock`.
#[derive(Debug, Deserialize)]
struct LockedPackage {
    name: String,
    version: String,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    dependencies: Vec<String>,
}

impl Lockfile {
    /// The lock file of the workspace rooted at `root`, if it has one that reads.
    fn read(root: &Path) -> Option<Lockfile> {
        let path = root.join("Cargo.lock");
        let text = std::fs::read_to_string(&path).ok()?;
        match toml_edit::de::from_str::<Lockfile>(&text) {
            Ok(lock) => Some(lock),
            Err(error) => {
                debug(|| format!("{}: not read ({error})", path.display()));
                None
            }
        }
    }

    /// The registry version of package `dependency` that the lock pins for the workspace
    /// package `member` (at `version`, when its manifest says).
    fn pinned(&self, member: &str, version: Option<&str>, dependency: &str) -> Option<String> {
        let mut members = self.package.iter().filter(|p| {
            p.name == member && p.source.is_none() && version.is_none_or(|v| p.version == v)
        });
        let entry = members.next()?;
        if members.next().is_some() {
            return None;
        }
        let listed = entry.dependencies.iter().find_map(|d| {
            let mut parts = d.split(' ');
            (parts.next() == Some(dependency)).then(|| parts.next().map(str::to_string))
        })?;
        let locked = self
            .package
            .iter()
            .find(|p| p.name == dependency && listed.as_deref().is_none_or(|v| p.version == v))?;
        let registry = locked
            .source
            .as_deref()
            .is_some_and(|s| s.starts_with("registry+") || s.starts_with("sparse+"));
        registry.then(|| locked.version.clone())
    }
}

/// Which packages the calls of one package may name: the name code uses -> the package name.
fn registry_names(manifest: &Manifest) -> HashMap<String, String> {
    let path_deps: Vec<&str> = manifest.path_deps.iter().map(|(n, _)| n.as_str()).collect();
    let mut names: HashMap<String, String> = HashMap::new();
    for dep in &manifest.dependencies {
        let code = dep.key.replace('-', "_");
        if !path_deps.contains(&code.as_str()) {
            names.insert(code, dep.package.clone());
        }
    }
    for package in &manifest.platform_dependencies {
        let code = package.replace('-', "_");
        if !path_deps.contains(&code.as_str()) {
            names.entry(code).or_insert_with(|| package.clone());
        }
    }
    names.retain(|code, _| !UNREAD_CRATES.contains(&code.as_str()));
    names
}

/// The first segment of the crate paths a call of the package's code names.
fn named_roots(files: &[FileInput]) -> impl Iterator<Item = &str> {
    files
        .iter()
        .flat_map(|f| &f.items.functions)
        .filter(|f| !f.in_test)
        .flat_map(|f| &f.calls)
        .filter(|call| call.ctx != Ctx::Offloaded)
        .filter_map(|call| {
            let path = match &call.receiver {
                Some(chain) => match &chain.base {
                    ChainBase::Returns(path) => path.as_str(),
                    ChainBase::Field { .. } => return None,
                },
                None if call.target.starts_with(FIELD_PREFIX) => return None,
                None => call.target.as_str(),
            };
            path.split_once("::").map(|(root, _)| root)
        })
}

/// Adds to `inputs` (a group's packages, with their roots and manifests) the registry
/// dependencies their code calls into whose functions block, as packages of their own that
/// each caller depends on. The packages added come after the group's.
pub(crate) fn add_blocking_dependencies(
    inputs: &mut Vec<PackageInput>,
    roots: &[&Path],
    manifests: &[&Option<Manifest>],
    sources: &Sources,
    cache: Option<&Cache>,
) {
    let group = inputs.len();
    // Each (name, version) is read once per group, and added once.
    let mut added: HashMap<(String, String), Option<usize>> = HashMap::new();
    let mut locks: HashMap<PathBuf, Option<Lockfile>> = HashMap::new();
    for p in 0..group {
        let Some(manifest) = manifests.get(p).and_then(|m| m.as_ref()) else {
            continue;
        };
        let names = registry_names(manifest);
        if names.is_empty() {
            continue;
        }
        let mut wanted: Vec<(String, String)> = Vec::new();
        for root in named_roots(&inputs[p].files) {
            if let Some(package) = names.get(root)
                && !wanted.iter().any(|(code, _)| code == root)
                && !inputs[p].deps.iter().any(|(name, _)| name == root)
            {
                wanted.push((root.to_string(), package.clone()));
            }
        }
        if wanted.is_empty() {
            continue;
        }
        let Some(member) = manifest.name.as_deref() else {
            continue;
        };
        // The lock beside the package (a package of its own), else the workspace's.
        let package_root = roots[p];
        let workspace = if package_root.join("Cargo.lock").is_file() {
            package_root.to_path_buf()
        } else {
            super::manifest::workspace_root(package_root).unwrap_or(package_root.to_path_buf())
        };
        let lock = locks
            .entry(workspace.clone())
            .or_insert_with(|| Lockfile::read(&workspace));
        let Some(lock) = lock.as_ref() else {
            debug(|| format!("{}: no Cargo.lock", workspace.display()));
            continue;
        };
        // The crates this package needs that are not read yet: summarised in parallel.
        let mut to_read: Vec<(String, String, PathBuf)> = Vec::new();
        let mut pinned: Vec<(String, String, String)> = Vec::new();
        for (code, package) in wanted {
            let Some(version) = lock.pinned(member, manifest.version.as_deref(), &package) else {
                debug(|| format!("{member}: {package} is not a registry dependency in the lock"));
                continue;
            };
            let key = (package.clone(), version.clone());
            if !added.contains_key(&key)
                && !to_read.iter().any(|(n, v, _)| (n, v) == (&key.0, &key.1))
            {
                match source_dir(sources, &workspace, &package, &version) {
                    Some(dir) => to_read.push((package.clone(), version.clone(), dir)),
                    None => {
                        debug(|| format!("{package} {version}: source not on disk"));
                        added.insert(key, None);
                    }
                }
            }
            pinned.push((code, package, version));
        }
        let read: Vec<(CrateKey, Option<Vec<FileInput>>)> = to_read
            .into_par_iter()
            .map(|(name, version, dir)| {
                let files = summary_of(&name, &version, &dir, cache);
                ((name, version), files)
            })
            .collect();
        for (key, files) in read {
            let index = files.filter(|f| !f.is_empty()).map(|files| {
                inputs.push(PackageInput {
                    lib_name: None,
                    deps: Vec::new(),
                    files,
                    manifest: None,
                    dependency: true,
                });
                inputs.len() - 1
            });
            added.insert(key, index);
        }
        for (code, package, version) in pinned {
            if let Some(Some(index)) = added.get(&(package, version)) {
                inputs[p].deps.push((code, *index));
            }
        }
    }
}

/// Where the sources of `name` at `version` are: the workspace's `vendor/` directory, then
/// cargo's registry.
fn source_dir(sources: &Sources, workspace: &Path, name: &str, version: &str) -> Option<PathBuf> {
    let versioned = format!("{name}-{version}");
    let vendor = workspace.join("vendor");
    let vendored = [vendor.join(&versioned), vendor.join(name)]
        .into_iter()
        .find(|dir| {
            super::manifest::read(dir).is_ok_and(|m| {
                m.name.as_deref() == Some(name) && m.version.as_deref() == Some(version)
            })
        });
    if vendored.is_some() {
        return vendored;
    }
    let registry = sources.cargo_home.as_ref()?.join("registry").join("src");
    let mut indexes: Vec<PathBuf> = std::fs::read_dir(&registry)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    indexes.sort();
    indexes
        .into_iter()
        .map(|index| index.join(&versioned))
        .find(|dir| dir.join("Cargo.toml").is_file())
}

/// What is stored per dependency: its pruned files (empty when none of its functions blocks).
#[derive(serde::Serialize, Deserialize)]
struct StoredDependency {
    files: Vec<(PathBuf, PathBuf, FileItems)>,
}

/// The pruned summary of the dependency at `dir`, from the cache or read now; `None` when it
/// cannot be read (too large, no sources).
fn summary_of(
    name: &str,
    version: &str,
    dir: &Path,
    cache: Option<&Cache>,
) -> Option<Vec<FileInput>> {
    let dir_text = dir.to_string_lossy();
    let key = [name, version, dir_text.as_ref()];
    if let Some(stored) = cache.and_then(|c| c.dependency::<StoredDependency>(&key)) {
        return Some(
            stored
                .files
                .into_iter()
                .map(|(path, rel, items)| FileInput { path, rel, items })
                .collect(),
        );
    }
    crate::timing::mark("dependency: read start");
    let files = read_dependency(name, version, dir)?;
    crate::timing::mark("dependency: read");
    if let Some(cache) = cache {
        let stored = StoredDependency {
            files: files
                .iter()
                .map(|f| (f.path.clone(), f.rel.clone(), f.items.clone()))
                .collect(),
        };
        if let Err(error) = cache.put_dependency(&key, &stored) {
            debug(|| format!("{name} {version}: not cached ({error})"));
        }
    }
    Some(files)
}

/// Reads and summarises the library files of the dependency at `dir`, then keeps what the
/// index needs of them (see the module docs).
fn read_dependency(name: &str, version: &str, dir: &Path) -> Option<Vec<FileInput>> {
    let manifest = super::manifest::read(dir).ok();
    let edition = manifest
        .as_ref()
        .map_or_else(Default::default, |m| m.edition);
    let src = dir.join("src");
    let mut paths = Vec::new();
    let mut bytes = 0u64;
    let mut todo = vec![src.clone()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if path != src.join("bin") {
                    todo.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs") && path != src.join("main.rs") {
                bytes += entry.metadata().map_or(0, |m| m.len());
                paths.push(path);
            }
        }
        if paths.len() > MAX_FILES || bytes > MAX_BYTES {
            debug(|| {
                format!(
                    "{name} {version}: too large to read (over {MAX_FILES} files or {MAX_BYTES} bytes)"
                )
            });
            return None;
        }
    }
    paths.sort();
    let knowledge = crate::knowledge::Knowledge::builtin();
    let files: Vec<FileInput> = paths
        .par_iter()
        .filter_map(|path| {
            let rel = path.strip_prefix(dir).ok()?.to_path_buf();
            let cx = crate::model::FileContext {
                module: super::layout::module_path(&rel),
                edition,
                call_graph: true,
                knowledge: std::sync::Arc::clone(&knowledge),
                tokio: crate::model::TokioFeatures::default(),
                skip_test_items: false,
            };
            let summarised = super::guarded(path, || {
                let source = super::parse::read_source(path, super::DEFAULT_MAX_FILE_SIZE)?;
                let ast = super::parse::parse_for_analysis(path, &source, &cx)?;
                Ok(summarize_file(path, &source, &ast, &cx))
            });
            match summarised {
                Ok(items) => Some(FileInput {
                    path: path.clone(),
                    rel,
                    items,
                }),
                Err(error) => {
                    debug(|| {
                        format!(
                            "{name} {version}: {}: {}",
                            error.path.display(),
                            error.message
                        )
                    });
                    None
                }
            }
        })
        .collect();
    Some(prune(files, manifest.and_then(|m| m.lib_name)))
}

/// A dependency file's summary with its blocking calls of kinds that never propagate out of a
/// library left out.
fn summarize_file(
    path: &Path,
    source: &str,
    ast: &syn::File,
    cx: &crate::model::FileContext,
) -> FileItems {
    let model = crate::model::FileModel::build_in(path, source, ast, cx);
    let test_code = crate::model::TestCode::of(ast);
    let mut items = crate::summary::summarize(&model);
    crate::summary::mark_execution(
        &mut items,
        &model,
        |line| test_code.contains_line(line),
        &[],
    );
    items.functions.retain(|f| !f.in_test);
    for f in &mut items.functions {
        f.blocking
            .retain(|b| propagation(&b.what, &b.hint, b.cost) != Propagation::Never);
    }
    items
}

/// What the crate index needs of a dependency's files: its functions that block (through its
/// own helpers too), with their calls; the declared return types of the others; the file's
/// module tables. Empty when nothing in it blocks.
fn prune(files: Vec<FileInput>, lib_name: Option<String>) -> Vec<FileInput> {
    let index = CrateIndex::build(vec![PackageInput {
        lib_name: lib_name.clone(),
        files: files.clone(),
        ..PackageInput::default()
    }]);
    let blocks = index.blocking_flags();
    if !blocks.contains(&true) {
        return Vec::new();
    }
    let mut next = blocks.into_iter();
    files
        .into_iter()
        .map(|mut file| {
            let functions = std::mem::take(&mut file.items.functions);
            file.items.functions = functions
                .into_iter()
                .filter_map(|mut f| {
                    let blocking = next.next().unwrap_or(false);
                    if !blocking {
                        f.returns.as_ref()?;
                        f.calls.clear();
                        f.blocking.clear();
                    }
                    f.untyped_method_calls.clear();
                    f.registers.clear();
                    f.off_event_fs.clear();
                    f.own_frame_blocking.clear();
                    f.per_run_blocking.clear();
                    f.cancelling_calls.clear();
                    f.awaited_untyped_calls.clear();
                    f.raced_calls.clear();
                    f.first_await_unsafe = None;
                    f.handler = false;
                    f.setup = false;
                    f.main_apart = false;
                    Some(f)
                })
                .collect();
            file.items.async_lock_decls.clear();
            file.items.async_lock_sites.clear();
            file.items.runtime_calls.clear();
            file.items.macro_locks = Default::default();
            file
        })
        .collect()
}
