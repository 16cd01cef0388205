//! What the analyzer reads from a package's `Cargo.toml`: its name, its library's name, its
//! edition, the packages it depends on by path, and its normal `[dependencies]` with their
//! features and locations (for rules that point into the manifest, such as `mixed_runtimes`).
//!
//! Parsed with `toml_edit`, which keeps spans, so a later diagnostic about the manifest can point
//! at the line. A manifest that does not parse yields [`ManifestError`]; the engine then checks
//! the package's files without package facts rather than failing them.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use toml_edit::{Document, Item};

/// A TOML text and its parse, shared by every reader of the same text ([`document`]).
pub(crate) struct SharedDocument {
    text: Box<str>,
    parsed: OnceLock<Result<Document<String>, toml_edit::TomlError>>,
}

impl SharedDocument {
    /// The document, or why the text is not TOML.
    pub(crate) fn parsed(&self) -> &Result<Document<String>, toml_edit::TomlError> {
        self.parsed
            .get_or_init(|| Document::parse(self.text.to_string()))
    }
}

/// The parsed documents of the texts read so far, by a hash of the text.
static DOCUMENTS: Mutex<Option<std::collections::HashMap<u64, Arc<SharedDocument>>>> =
    Mutex::new(None);

/// How many documents [`document`] keeps (a long-running server meets edited texts).
const KEPT_DOCUMENTS: usize = 256;

/// The parse of a TOML text, made once per text however many readers ask: the manifest reader,
/// the configuration reader and the workspace lookups each parsed a package's `Cargo.toml`
/// again (two parses of tokio's on every run, on two threads). Keyed by the text itself, so an
/// edited file is parsed afresh; a reader that asks while another parses the same text waits
/// for that parse instead of repeating it.
pub(crate) fn document(text: &str) -> Arc<SharedDocument> {
    use std::hash::BuildHasher as _;
    let key = foldhash::fast::FixedState::with_seed(0).hash_one(text);
    let shared = {
        let mut documents = DOCUMENTS.lock().unwrap_or_else(|e| e.into_inner());
        let documents = documents.get_or_insert_with(Default::default);
        match documents.get(&key) {
            Some(found) if *found.text == *text => Arc::clone(found),
            _ => {
                if documents.len() >= KEPT_DOCUMENTS {
                    documents.clear();
                }
                let fresh = Arc::new(SharedDocument {
                    text: text.into(),
                    parsed: OnceLock::new(),
                });
                documents.insert(key, Arc::clone(&fresh));
                fresh
            }
        }
    };
    // Parsed outside the lock: readers of other texts do not wait for it.
    shared.parsed();
    shared
}

pub use crate::model::Edition;

/// A package's manifest facts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Manifest {
    /// `[package] name`.
    pub name: Option<String>,
    /// `[package] version`, when written in the manifest (not inherited from the workspace).
    pub version: Option<String>,
    /// The name code uses for the library: `[lib] name`, or the package name with `-` as `_`.
    pub lib_name: Option<String>,
    /// `[package] edition`; cargo's default (2015) when absent; when inherited
    /// (`edition.workspace = true`), the workspace's, or 2021 if that cannot be read.
    pub edition: Edition,
    /// The edition is inherited from the workspace.
    pub edition_inherited: bool,
    /// Dependencies with a `path` (any dependency table): (the name code uses, the directory
    /// the path names, joined to the manifest's directory). [`read`] adds entries inherited
    /// from the workspace (`core.workspace = true`) whose workspace entry has a `path`.
    pub path_deps: Vec<(String, PathBuf)>,
    /// Keys of entries of any dependency table inherited from the workspace (`workspace =
    /// true`).
    pub inherited_keys: Vec<String>,
    /// The names (as in [`Manifest::path_deps`], `-` as `_`) of path or workspace-inherited
    /// dependencies that only `[dev-dependencies]` tables name: packages this one needs for
    /// its tests, examples and benches only.
    pub dev_only_keys: Vec<String>,
    /// The entries of the top-level `[dependencies]` table (not dev-, build- or
    /// target-specific ones), with workspace-inherited entries completed from the workspace.
    pub dependencies: Vec<Dependency>,
    /// Packages named by non-optional entries of `[target.'cfg(..)'.dependencies]` tables: on
    /// for the platforms the `cfg` selects.
    pub platform_dependencies: Vec<String>,
    /// The `[features]` table: each feature with what it enables.
    pub features: Vec<(String, Vec<String>)>,
    /// `# asyncwise: allow(rule, ..) -- reason` comments: (1-based line, rule names). Such a
    /// comment covers a finding on its own line or on the next one.
    pub allows: Vec<(usize, Vec<String>)>,
    /// The `path`s of its `[[bin]]` targets, relative to the package root as written
    /// (`src/hickory-dns.rs`): binaries outside `src/main.rs` and `src/bin/`.
    pub bin_paths: Vec<PathBuf>,
    /// `[[example]]`, `[[bench]]` and `[[test]]` targets with a `path`: (the kind, the path as
    /// written, relative to the package). Their files are test code wherever they sit.
    pub test_targets: Vec<(TestTarget, PathBuf)>,
}

/// The kind of a `[[example]]`, `[[bench]]` or `[[test]]` target of a manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestTarget {
    /// `[[example]]`: checked with `--examples`.
    Example,
    /// `[[bench]]`: checked with `--benches`.
    Bench,
    /// `[[test]]`: checked with `--tests`.
    Test,
}

/// One entry of `[dependencies]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dependency {
    /// The key: the name code uses (before `-` becomes `_`).
    pub key: String,
    /// The package it names (`package = ".."`, or the key).
    pub package: String,
    /// `optional = true`: only a feature turns it on.
    pub optional: bool,
    /// `default-features` (true unless turned off here or in the workspace entry).
    pub default_features: bool,
    /// Features it enables (with the workspace entry's).
    pub features: Vec<String>,
    /// `workspace = true`.
    pub inherited: bool,
    /// The entry's key and value in the manifest.
    pub span: crate::diagnostic::Span,
}

/// A manifest that could not be read or parsed.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// Reading failed.
    #[error("could not read {path}: {source}", path = .path.display())]
    Read {
        /// The manifest.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Not valid TOML.
    #[error("could not parse {path}: {message}", path = .path.display())]
    Parse {
        /// The manifest.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
}

impl Manifest {
    /// The features the package turns on for `tokio` in `[dependencies]` (with a workspace
    /// entry's when inherited), if it depends on it; fixes that rewrite to `tokio::fs` or
    /// `tokio::time` need the `fs` or `time` feature.
    ///
    /// ```
    /// use asyncwise_lint::engine::manifest::parse;
    /// let m = parse("[package]\nname = \"a\"\n[dependencies]\ntokio = { version = \"1\", features = [\"time\"] }\n", ".".as_ref()).unwrap();
    /// assert_eq!(m.tokio_features(), Some(&["time".to_string()][..]));
    /// ```
    pub fn tokio_features(&self) -> Option<&[String]> {
        self.dependencies
            .iter()
            .find(|d| d.package == "tokio")
            .map(|d| d.features.as_slice())
    }
}

/// Reads `dir/Cargo.toml`.
pub fn read(dir: &Path) -> Result<Manifest, ManifestError> {
    let path = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&path).map_err(|source| ManifestError::Read {
        path: path.clone(),
        source,
    })?;
    let mut manifest =
        parse(&text, dir).map_err(|message| ManifestError::Parse { path, message })?;
    if manifest.edition_inherited
        && let Some(edition) = workspace_edition(dir)
    {
        manifest.edition = edition;
    }
    if manifest.dependencies.iter().any(|d| d.inherited) {
        inherit_dependencies(dir, &mut manifest.dependencies);
    }
    if !manifest.inherited_keys.is_empty() {
        inherit_path_deps(dir, &manifest.inherited_keys, &mut manifest.path_deps);
    }
    Ok(manifest)
}

/// Adds the path dependencies that `key.workspace = true` entries inherit: the workspace
/// entry's `path` (joined to the workspace's directory), under the member's key, which is the
/// name its code uses whatever the workspace entry's `package` is.
fn inherit_path_deps(dir: &Path, keys: &[String], path_deps: &mut Vec<(String, PathBuf)>) {
    let found = dir.ancestors().skip(1).find_map(|d| {
        let text = std::fs::read_to_string(d.join("Cargo.toml")).ok()?;
        let shared = document(&text);
        let doc = shared.parsed().as_ref().ok()?;
        let table = doc.as_table().get("workspace")?.get("dependencies")?;
        let table = table.as_table_like()?;
        let paths: Vec<(String, PathBuf)> = table
            .iter()
            .filter_map(|(key, item)| {
                let path = item.as_table_like()?.get("path")?.as_str()?;
                Some((key.to_string(), d.join(path)))
            })
            .collect();
        Some(paths)
    });
    for (key, path) in found.unwrap_or_default() {
        if keys.contains(&key) {
            path_deps.push((key.replace('-', "_"), path));
        }
    }
}

/// Completes `dep = { workspace = true }` entries from the nearest enclosing workspace's
/// `[workspace.dependencies]`: package name, features, `default-features`.
fn inherit_dependencies(dir: &Path, deps: &mut [Dependency]) {
    let found = dir.ancestors().find_map(|d| {
        let text = std::fs::read_to_string(d.join("Cargo.toml")).ok()?;
        let shared = document(&text);
        let doc = shared.parsed().as_ref().ok()?;
        let table = doc
            .as_table()
            .get("workspace")?
            .get("dependencies")?
            .as_table_like()?;
        let mut rows = Vec::new();
        for (key, item) in table.iter() {
            rows.push((key.to_string(), entry_facts(key, item)));
        }
        Some(rows)
    });
    let Some(rows) = found else { return };
    for dep in deps.iter_mut().filter(|d| d.inherited) {
        if let Some((_, (package, _, default_features, features))) =
            rows.iter().find(|(key, _)| *key == dep.key)
        {
            dep.package.clone_from(package);
            dep.default_features &= *default_features;
            dep.features.extend(features.iter().cloned());
        }
    }
}

/// (package, optional, default-features, features) of a dependency entry.
fn entry_facts(key: &str, item: &Item) -> (String, bool, bool, Vec<String>) {
    let Some(table) = item.as_table_like() else {
        return (key.to_string(), false, true, Vec::new());
    };
    let package = table
        .get("package")
        .and_then(Item::as_str)
        .unwrap_or(key)
        .to_string();
    let optional = table
        .get("optional")
        .and_then(Item::as_bool)
        .unwrap_or(false);
    let default_features = table
        .get("default-features")
        .or_else(|| table.get("default_features"))
        .and_then(Item::as_bool)
        .unwrap_or(true);
    let features = table
        .get("features")
        .and_then(Item::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    (package, optional, default_features, features)
}

/// The line/column span of a byte range of `text`.
fn span_of(text: &str, range: std::ops::Range<usize>) -> crate::diagnostic::Span {
    let point = |byte: usize| {
        let byte = byte.min(text.len());
        let before = &text[..byte];
        // Bytes, not chars: a vectorised count (a manifest has many dependency rows to place).
        let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
        let line_start = before
            .bytes()
            .rposition(|b| b == b'\n')
            .map_or(0, |i| i + 1);
        crate::diagnostic::LineCol {
            line,
            column: text[line_start..byte].chars().count() + 1,
        }
    };
    crate::diagnostic::Span {
        start: point(range.start),
        end: point(range.end),
        byte_start: range.start.min(text.len()),
        byte_end: range.end.min(text.len()),
    }
}

/// The directory of the nearest workspace manifest at or above `dir` (a `Cargo.toml` with a
/// `[workspace]` table), as cargo finds a package's workspace.
///
/// ```
/// use asyncwise_lint::engine::manifest::workspace_root;
/// let ws = std::env::temp_dir().join(format!("aw-ws-root-{}", std::process::id()));
/// std::fs::create_dir_all(ws.join("benches/load")).unwrap();
/// std::fs::write(ws.join("Cargo.toml"), "[workspace]\nmembers = [\"benches/load\"]\n").unwrap();
/// std::fs::write(ws.join("benches/load/Cargo.toml"), "[package]\nname = \"load\"\n").unwrap();
/// assert_eq!(workspace_root(&ws.join("benches/load")), Some(ws.clone()));
/// std::fs::remove_dir_all(&ws).unwrap();
/// ```
pub fn workspace_root(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| {
            std::fs::read_to_string(d.join("Cargo.toml")).is_ok_and(|text| {
                document(&text)
                    .parsed()
                    .as_ref()
                    .is_ok_and(|doc| doc.as_table().contains_key("workspace"))
            })
        })
        .map(Path::to_path_buf)
}

/// `[workspace.package] edition` of the nearest enclosing workspace manifest.
fn workspace_edition(dir: &Path) -> Option<Edition> {
    dir.ancestors().find_map(|d| {
        let text = std::fs::read_to_string(d.join("Cargo.toml")).ok()?;
        let shared = document(&text);
        let doc = shared.parsed().as_ref().ok()?;
        let workspace = doc.as_table().get("workspace")?;
        workspace
            .get("package")
            .and_then(|p| p.get("edition"))
            .and_then(Item::as_str)
            .and_then(Edition::parse)
    })
}

/// Parses a manifest's text; `dir` is the directory it is in (for path dependencies).
///
/// ```
/// use asyncwise_lint::engine::manifest::{parse, Edition};
/// let m = parse("[package]\nname = \"my-app\"\nedition = \"2018\"\n[dependencies]\ncore-lib = { path = \"../core\" }\nserde = \"1\"\n", "ws/app".as_ref()).unwrap();
/// assert_eq!(m.lib_name.as_deref(), Some("my_app"));
/// assert_eq!(m.edition, Edition::E2018);
/// assert_eq!(m.path_deps, vec![("core_lib".to_string(), "ws/app/../core".into())]);
/// ```
pub fn parse(text: &str, dir: &Path) -> Result<Manifest, String> {
    let shared = document(text);
    let doc = shared.parsed().as_ref().map_err(|e| e.to_string())?;
    let root = doc.as_table();
    let package = root.get("package");
    let name = package
        .and_then(|p| p.get("name"))
        .and_then(Item::as_str)
        .map(str::to_string);
    let version = package
        .and_then(|p| p.get("version"))
        .and_then(Item::as_str)
        .map(str::to_string);
    let edition_item = package.and_then(|p| p.get("edition"));
    let edition_inherited = edition_item.is_some_and(|e| e.as_str().is_none());
    let edition = match edition_item.map(|e| e.as_str()) {
        None => Edition::E2015,
        Some(text) => text.and_then(Edition::parse).unwrap_or(Edition::E2021),
    };
    let lib_name = root
        .get("lib")
        .and_then(|l| l.get("name"))
        .and_then(Item::as_str)
        .map(str::to_string)
        .or_else(|| name.clone())
        .map(|n| n.replace('-', "_"));
    let mut path_deps = Vec::new();
    let mut inherited_keys = Vec::new();
    const TABLES: [&str; 3] = ["dependencies", "dev-dependencies", "build-dependencies"];
    // (the table, is it a `[dev-dependencies]` table)
    let mut tables: Vec<(&Item, bool)> = TABLES
        .iter()
        .filter_map(|t| Some((root.get(t)?, *t == "dev-dependencies")))
        .collect();
    if let Some(targets) = root.get("target").and_then(Item::as_table_like) {
        for (_, target) in targets.iter() {
            for t in TABLES {
                tables.extend(target.get(t).map(|item| (item, t == "dev-dependencies")));
            }
        }
    }
    let mut dev_keys = Vec::new();
    let mut other_keys = Vec::new();
    for (table, dev) in tables {
        let Some(table) = table.as_table_like() else {
            continue;
        };
        for (key, dep) in table.iter() {
            let Some(dep) = dep.as_table_like() else {
                continue;
            };
            let code_name = key.replace('-', "_");
            if dev {
                dev_keys.push(code_name);
            } else {
                other_keys.push(code_name);
            }
            if let Some(path) = dep.get("path").and_then(Item::as_str) {
                path_deps.push((key.replace('-', "_"), dir.join(path)));
            } else if dep.get("workspace").and_then(Item::as_bool) == Some(true) {
                inherited_keys.push(key.to_string());
            }
        }
    }
    let mut platform_dependencies = Vec::new();
    if let Some(targets) = root.get("target").and_then(Item::as_table_like) {
        for (_, target) in targets.iter() {
            let Some(table) = target.get("dependencies").and_then(Item::as_table_like) else {
                continue;
            };
            for (key, item) in table.iter() {
                let (package, optional, _, _) = entry_facts(key, item);
                if !optional {
                    platform_dependencies.push(package);
                }
            }
        }
    }
    let mut dependencies = Vec::new();
    if let Some(table) = root.get("dependencies").and_then(Item::as_table_like) {
        for (key, item) in table.iter() {
            let (package, optional, default_features, features) = entry_facts(key, item);
            let inherited = item
                .as_table_like()
                .and_then(|t| t.get("workspace"))
                .and_then(Item::as_bool)
                .unwrap_or(false);
            let start = table
                .key(key)
                .and_then(|k| k.span())
                .or_else(|| item.span())
                .map(|r| r.start);
            let end = item.span().map(|r| r.end);
            // The whole `key = value` on one line when it is one; a `[dependencies.x]` table
            // is shown by its key.
            let range = match (start, end) {
                (Some(s), Some(e)) if e > s && !text[s..e].contains('\n') => s..e,
                (Some(s), _) => s..text[s..].find('\n').map_or(text.len(), |n| s + n),
                _ => 0..0,
            };
            dependencies.push(Dependency {
                key: key.to_string(),
                package,
                optional,
                default_features,
                features,
                inherited,
                span: span_of(text, range),
            });
        }
    }
    let features = root
        .get("features")
        .and_then(Item::as_table_like)
        .map(|t| {
            t.iter()
                .map(|(name, item)| {
                    let enables = item
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|v| v.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default();
                    (name.to_string(), enables)
                })
                .collect()
        })
        .unwrap_or_default();
    let mut test_targets = Vec::new();
    for (table, kind) in [
        ("example", TestTarget::Example),
        ("bench", TestTarget::Bench),
        ("test", TestTarget::Test),
    ] {
        let Some(targets) = root.get(table).and_then(Item::as_array_of_tables) else {
            continue;
        };
        for target in targets.iter() {
            if let Some(path) = target.get("path").and_then(Item::as_str) {
                let path = Path::new(path);
                test_targets.push((kind, path.strip_prefix(".").unwrap_or(path).to_path_buf()));
            }
        }
    }
    let allows = text
        .lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let comment = &line[line.find('#')?..];
            let rest = comment.split_once("asyncwise: allow(")?.1;
            let names = rest.split_once(')')?.0;
            Some((
                i + 1,
                names.split(',').map(|n| n.trim().to_string()).collect(),
            ))
        })
        .collect();
    let bin_paths = root
        .get("bin")
        .and_then(Item::as_array_of_tables)
        .map(|bins| {
            bins.iter()
                .filter_map(|b| b.get("path").and_then(Item::as_str))
                .map(|p| PathBuf::from(p.trim_start_matches("./")))
                .collect()
        })
        .unwrap_or_default();
    let mut dev_only_keys: Vec<String> = dev_keys
        .into_iter()
        .filter(|k| !other_keys.contains(k))
        .collect();
    dev_only_keys.sort();
    dev_only_keys.dedup();
    Ok(Manifest {
        dev_only_keys,
        bin_paths,
        name,
        version,
        lib_name,
        edition,
        edition_inherited,
        path_deps,
        inherited_keys,
        dependencies,
        platform_dependencies,
        features,
        allows,
        test_targets,
    })
}

impl Manifest {
    /// The `[[example]]`, `[[bench]]` or `[[test]]` target a file belongs to, from its path
    /// relative to the package: the target's file itself, or any file beside a target's
    /// `main.rs` (its modules).
    ///
    /// ```
    /// use asyncwise_lint::engine::manifest::{parse, TestTarget};
    /// let m = parse("[package]\nname = \"demo\"\n[[example]]\nname = \"pool\"\npath = \"pool.rs\"\n[[bench]]\nname = \"load\"\npath = \"load/main.rs\"\n", ".".as_ref()).unwrap();
    /// assert_eq!(m.test_target_of("pool.rs".as_ref()), Some(TestTarget::Example));
    /// assert_eq!(m.test_target_of("load/util.rs".as_ref()), Some(TestTarget::Bench));
    /// assert_eq!(m.test_target_of("src/lib.rs".as_ref()), None);
    /// ```
    pub fn test_target_of(&self, file: &Path) -> Option<TestTarget> {
        self.test_target_lookup().of(file)
    }

    /// [`Manifest::test_target_of`] for many files: the targets indexed once (tokio declares
    /// 187), then a hash lookup and a check of the few `main.rs` directories per file.
    ///
    /// ```
    /// use asyncwise_lint::engine::manifest::{parse, TestTarget};
    /// let m = parse("[package]\nname = \"demo\"\n[[test]]\nname = \"a\"\npath = \"t/a.rs\"\n[[bench]]\nname = \"load\"\npath = \"load/main.rs\"\n", ".".as_ref()).unwrap();
    /// let lookup = m.test_target_lookup();
    /// assert_eq!(lookup.of("t/a.rs".as_ref()), Some(TestTarget::Test));
    /// assert_eq!(lookup.of("load/util.rs".as_ref()), Some(TestTarget::Bench));
    /// assert_eq!(lookup.of("src/lib.rs".as_ref()), None);
    /// ```
    pub fn test_target_lookup(&self) -> TestTargetLookup<'_> {
        let mut exact: std::collections::HashMap<&Path, usize> =
            std::collections::HashMap::with_capacity(self.test_targets.len());
        let mut beside_main = Vec::new();
        for (i, (_, path)) in self.test_targets.iter().enumerate() {
            exact.entry(path.as_path()).or_insert(i);
            let bytes = path.as_os_str().as_encoded_bytes();
            if (bytes == b"main.rs" || bytes.ends_with(b"/main.rs"))
                && let Some(dir) = path.parent()
                && !dir.as_os_str().is_empty()
                && dir != Path::new("src")
            {
                beside_main.push((i, dir));
            }
        }
        TestTargetLookup {
            targets: &self.test_targets,
            exact,
            beside_main,
        }
    }
}

/// The test targets of a manifest, indexed by path ([`Manifest::test_target_lookup`]).
#[derive(Debug)]
pub struct TestTargetLookup<'a> {
    targets: &'a [(TestTarget, PathBuf)],
    /// A target's path as written -> its first target.
    exact: std::collections::HashMap<&'a Path, usize>,
    /// Targets whose file is a `main.rs` outside `src/`: their directory holds their modules.
    beside_main: Vec<(usize, &'a Path)>,
}

impl TestTargetLookup<'_> {
    /// The target `file` (relative to the package) belongs to: of the targets that claim it,
    /// the first the manifest declares.
    pub fn of(&self, file: &Path) -> Option<TestTarget> {
        let exact = self.exact.get(file).copied();
        let beside = self
            .beside_main
            .iter()
            .find(|(_, dir)| file.starts_with(dir))
            .map(|&(i, _)| i);
        let first = match (exact, beside) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b)?,
        };
        self.targets.get(first).map(|(kind, _)| *kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bin_paths_are_read() {
        let text = "[package]\nname = \"d\"\n\n[[bin]]\nname = \"d\"\npath = \"./src/d.rs\"\n\n[[bin]]\nname = \"e\"\n";
        let m = parse(text, Path::new(".")).expect("parses");
        assert_eq!(m.bin_paths, vec![PathBuf::from("src/d.rs")]);
    }

    const TEXT: &str = "[package]\nname = \"svc\"\n\n[dependencies]\nrt = { package = \"tokio\", version = \"1\", features = [\"rt\"] }\nasync-std = { version = \"1\", optional = true, default-features = false }\n\n[dependencies.smol]\nversion = \"2\"\n\n[dev-dependencies]\nglommio = \"0.9\"\n\n[features]\ncompat = [\"dep:async-std\", \"rt/time\"]\n";

    #[test]
    fn dependencies_keep_package_features_and_lines() {
        let m = parse(TEXT, Path::new(".")).unwrap();
        let keys: Vec<&str> = m.dependencies.iter().map(|d| d.key.as_str()).collect();
        assert_eq!(
            keys,
            ["rt", "async-std", "smol"],
            "dev-dependencies are left out"
        );
        let rt = &m.dependencies[0];
        assert_eq!(rt.package, "tokio");
        assert_eq!(rt.features, ["rt"]);
        assert_eq!((rt.span.start.line, rt.span.start.column), (5, 1));
        assert_eq!(
            &TEXT[rt.span.byte_start..rt.span.byte_end],
            "rt = { package = \"tokio\", version = \"1\", features = [\"rt\"] }"
        );
        let std = &m.dependencies[1];
        assert!(std.optional && !std.default_features);
        assert_eq!(
            m.dependencies[2].span.start.line, 8,
            "a table is shown by its header"
        );
        assert_eq!(
            m.features,
            vec![(
                "compat".to_string(),
                vec!["dep:async-std".to_string(), "rt/time".to_string()]
            )]
        );
    }

    #[test]
    fn inherited_path_dependencies_are_followed_under_the_member_s_key() {
        let dir = std::env::temp_dir().join(format!("asyncwise-ws-paths-{}", std::process::id()));
        let member = dir.join("crates/api");
        std::fs::create_dir_all(&member).unwrap();
        std::fs::write(
            dir.join("Cargo.toml"),
            "[workspace]\nmembers = [\"crates/*\"]\n[workspace.dependencies.app-core]\npackage = \"app_core_impl\"\npath = \"crates/core\"\n[workspace.dependencies]\nserde = \"1\"\n",
        )
        .unwrap();
        std::fs::write(
            member.join("Cargo.toml"),
            "[package]\nname = \"api\"\n[dependencies]\napp-core.workspace = true\nserde = { workspace = true }\n[dev-dependencies]\nlocal = { path = \"../local\" }\n",
        )
        .unwrap();
        let m = read(&member).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            m.path_deps,
            vec![
                ("local".to_string(), member.join("../local")),
                ("app_core".to_string(), dir.join("crates/core")),
            ]
        );
    }

    #[test]
    fn workspace_entries_take_the_workspace_features() {
        let dir = std::env::temp_dir().join(format!("asyncwise-manifest-{}", std::process::id()));
        let member = dir.join("member");
        std::fs::create_dir_all(&member).unwrap();
        std::fs::write(
            dir.join("Cargo.toml"),
            "[workspace]\nmembers = [\"member\"]\n[workspace.dependencies]\ntokio = { version = \"1\", features = [\"full\"], default-features = false }\n",
        )
        .unwrap();
        std::fs::write(
            member.join("Cargo.toml"),
            "[package]\nname = \"member\"\n[dependencies]\ntokio = { workspace = true, features = [\"net\"] }\n",
        )
        .unwrap();
        let m = read(&member).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let tokio = &m.dependencies[0];
        assert!(tokio.inherited && !tokio.default_features);
        assert_eq!(tokio.features, ["net", "full"]);
    }
}
