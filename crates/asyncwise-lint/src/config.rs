//! Configuration: `[workspace.metadata.asyncwise]` and `[package.metadata.asyncwise]` in
//! `Cargo.toml`, or an `asyncwise.toml` beside a `Cargo.toml` (whose keys are then written at
//! the top level).
//!
//! For a file, the nearest directory holding a `Cargo.toml` or an `asyncwise.toml` gives the
//! package settings; the workspace above it (the nearest ancestor `Cargo.toml` with a
//! `[workspace]` table) gives settings the package inherits. The nearest setting of a key wins;
//! lists (`exclude`, `blocking`, `offload`, `spawn`) and the `rules` table are combined, each
//! `exclude` glob relative to the directory of the file that sets it. An `asyncwise.toml` and
//! an `asyncwise` table in the `Cargo.toml` beside it are an error: keep one.
//!
//! Unknown keys, unknown rule names and unknown levels are errors that point at the place in
//! the file and suggest the closest valid name.
//!
//! ```
//! use asyncwise_lint::config::{Config, Level};
//! let config = Config::from_toml_str(r#"
//!     exclude = ["benches/**"]
//!     require_reason = true
//!     [rules]
//!     unbounded_channel = "allow"
//! "#).unwrap();
//! assert_eq!(config.exclude, ["benches/**"]);
//! assert_eq!(config.rules["unbounded_channel"], Level::Allow);
//! let err = Config::from_toml_str("exlude = []").unwrap_err();
//! assert!(err.message.contains("did you mean `exclude`?"));
//! ```

use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use serde::de::IntoDeserializer as _;

use crate::diagnostic::{FileError, LineCol};

/// Maps keyed by paths, asked once or more per directory of a walk: foldhash, not SipHash
/// (nothing here is keyed by untrusted input that could aim at collisions).
type PathMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// The keys of an `asyncwise` configuration table.
///
/// The reference in the README is generated from these doc comments (see the test
/// `config_reference`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Glob patterns of files and directories not to check when walking directories, relative
    /// to the directory of the file that sets them (`"benches/**"`, `"tests/fixtures"`). A path
    /// named on the command line is always checked.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// When `true`, a suppression comment without `-- reason` is an error
    /// (`invalid_suppression`). Default `false`.
    #[serde(default)]
    pub require_reason: Option<bool>,
    /// Levels: `name = "allow" | "warn" | "deny"`, where a name is a rule, a group
    /// (`correctness`, `suspicious`, `perf`, `pedantic`) or `all`. `all` applies first, then
    /// groups, then rules, so a rule's own setting wins; the command line's `--select`,
    /// `--ignore` and `-A/-W/-D` apply after the configuration.
    #[serde(default)]
    pub rules: BTreeMap<String, Level>,
    /// Functions that block the thread (of your code, or of a dependency asyncwise does not
    /// know), as
    /// ``{ path = "mycrate::db::query_sync", help = "use `query(..).await`" }`` (`help`
    /// optional). A call of one in async code is a `blocking_in_async` finding, and a function of
    /// your crate that calls one blocks too. Your package's own functions are written with its
    /// library's name (`mycrate::…`) or as `crate::…`.
    #[serde(default)]
    pub blocking: Vec<BlockingFn>,
    /// Functions that run a closure off the async executor, like `spawn_blocking`
    /// (`"mycrate::pool::run_blocking"`): code in the closures handed to them is not async
    /// context.
    #[serde(default)]
    pub offload: Vec<String>,
    /// Functions that spawn a task, like `tokio::spawn` (`"mycrate::rt::spawn_named"`): their
    /// tasks are checked by `unbounded_spawn` and `detached_task`, and what they run is async
    /// context.
    #[serde(default)]
    pub spawn: Vec<String>,
    /// Functions that bound how many tasks run at once when called (awaited) before a spawn
    /// in a loop, like `Semaphore::acquire` (`"mycrate::limits::acquire_slot"`): such a loop
    /// is not reported by `unbounded_spawn`. Matched by the function's name.
    #[serde(default)]
    pub bound: Vec<String>,
    /// Levels for some paths only, as
    /// ``[[…asyncwise.overrides]]`` tables with `paths` (globs relative to the directory of the
    /// file that sets them) and `rules` (as above): `{ paths = ["src/bin/**"], rules = {
    /// blocking_in_async = "allow" } }`. They apply after every `rules` table, in order, the
    /// workspace's before the package's.
    #[serde(default)]
    pub overrides: Vec<Override>,
    /// Levels for test code, when it is checked (`--all-targets`, `--tests`, ...): files of
    /// `tests/`, `benches/` and `examples/`, `#[cfg(test)]` modules and test functions, as
    /// `{ detached_task = "allow" }`. They apply after `rules` and `overrides`.
    #[serde(default)]
    pub test_rules: BTreeMap<String, Level>,
}

/// Levels for the files some globs match (see [`Config::overrides`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    /// Globs of files and directories, relative to the directory of the configuration file.
    pub paths: Vec<String>,
    /// Levels by rule, group or `all`.
    #[serde(default)]
    pub rules: BTreeMap<String, Level>,
}

/// The keys of [`Config`], for "did you mean" (a test keeps it in step with the struct).
pub const CONFIG_KEYS: &[&str] = &[
    "exclude",
    "require_reason",
    "rules",
    "blocking",
    "offload",
    "spawn",
    "bound",
    "overrides",
    "test_rules",
];

/// The keys of an [`Override`].
const OVERRIDE_KEYS: &[&str] = &["paths", "rules"];

/// The keys of a [`BlockingFn`] row.
const BLOCKING_KEYS: &[&str] = &["path", "help"];

/// A rule's level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Not reported.
    Allow,
    /// Reported as a warning.
    Warn,
    /// Reported as an error.
    Deny,
}

impl From<Level> for crate::levels::Level {
    fn from(level: Level) -> Self {
        match level {
            Level::Allow => crate::levels::Level::Allow,
            Level::Warn => crate::levels::Level::Warn,
            Level::Deny => crate::levels::Level::Deny,
        }
    }
}

/// A user's blocking function.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockingFn {
    /// Its path, `crate::module::function`.
    pub path: String,
    /// What to call instead, shown as the finding's help.
    #[serde(default)]
    pub help: Option<String>,
}

impl Config {
    /// Parses an `asyncwise.toml` (keys at the top level) and validates it.
    ///
    /// Errors carry the line and column of the offending key or value; the path is empty
    /// (callers set it).
    pub fn from_toml_str(text: &str) -> Result<Config, FileError> {
        parse_section(text, &[])?.ok_or_else(|| FileError::new("", "empty configuration"))
    }
}

/// Finds the `asyncwise` table at `section` (e.g. `["package", "metadata", "asyncwise"]`, or
/// `[]` for the whole document), checks its keys and deserializes it.
///
/// Read with `toml_edit`, as manifests are (`engine/manifest.rs`): one TOML crate, whose
/// document keeps the spans that errors point at and which deserializes through serde.
fn parse_section(text: &str, section: &[&str]) -> Result<Option<Config>, FileError> {
    let shared = crate::engine::manifest::document(text);
    let doc = shared
        .parsed()
        .as_ref()
        .map_err(|e| toml_error(text, e.message(), e.span()))?;
    let mut item = doc.as_item();
    for key in section {
        match item.get(*key) {
            Some(inner) if inner.is_table_like() => item = inner,
            _ => return Ok(None),
        }
    }
    let Some(table) = item.as_table_like() else {
        return Ok(None);
    };
    check_keys(text, table, CONFIG_KEYS, "key")?;
    check_rules(text, table, "rules")?;
    check_rules(text, table, "test_rules")?;
    for row in rows(table.get("overrides")) {
        check_keys(text, row, OVERRIDE_KEYS, "key of an `overrides` table")?;
        check_rules(text, row, "rules")?;
    }
    for row in rows(table.get("blocking")) {
        check_keys(text, row, BLOCKING_KEYS, "key of a `blocking` row")?;
    }
    // Deserialize only the section: a table item becomes an inline-table value.
    let value = item
        .clone()
        .into_value()
        .map_err(|_| FileError::new("", format!("[{}]: not a table", section.join("."))))?;
    let config = Config::deserialize(value.into_deserializer()).map_err(|e| {
        let place = if section.is_empty() {
            String::new()
        } else {
            format!("[{}]: ", section.join("."))
        };
        FileError::new("", format!("{place}{}", e.message()))
    })?;
    validate_paths(&config)?;
    Ok(Some(config))
}

/// The tables of an array of tables (`[[overrides]]`) or of an inline array of inline tables
/// (`overrides = [{ .. }]`); other rows are left to deserialization to reject.
fn rows(item: Option<&toml_edit::Item>) -> Vec<&dyn toml_edit::TableLike> {
    match item {
        Some(toml_edit::Item::ArrayOfTables(tables)) => tables
            .iter()
            .map(|t| t as &dyn toml_edit::TableLike)
            .collect(),
        Some(toml_edit::Item::Value(toml_edit::Value::Array(values))) => values
            .iter()
            .filter_map(|v| v.as_inline_table())
            .map(|t| t as &dyn toml_edit::TableLike)
            .collect(),
        _ => Vec::new(),
    }
}

/// Checks the rule names and levels of the table `key` of `table`, if it has one.
fn check_rules(text: &str, table: &dyn toml_edit::TableLike, key: &str) -> Result<(), FileError> {
    let Some(rules) = table.get(key).and_then(toml_edit::Item::as_table_like) else {
        return Ok(());
    };
    let known: Vec<&str> = crate::suppress::known_rules()
        .chain(crate::levels::Group::ALL.map(crate::levels::Group::as_str))
        .chain(["all"])
        .collect();
    check_keys(text, rules, &known, "rule")?;
    let levels = ["allow", "warn", "deny"];
    for (name, level) in rules.iter() {
        let Some(level_text) = level.as_str() else {
            // Said here rather than by deserialization, which cannot name the rule or the place.
            return Err(located(
                text,
                level.span(),
                format!(
                    "the level for `{name}` is not a string; expected one of `allow`, `warn`, `deny`"
                ),
            ));
        };
        if !levels.contains(&level_text) {
            return Err(located(
                text,
                level.span(),
                unknown("level", level_text, &levels, Some(name)),
            ));
        }
    }
    Ok(())
}

fn validate_paths(config: &Config) -> Result<(), FileError> {
    let paths = config
        .blocking
        .iter()
        .map(|b| ("blocking", &b.path))
        .chain(config.offload.iter().map(|p| ("offload", p)))
        .chain(config.spawn.iter().map(|p| ("spawn", p)))
        .chain(config.bound.iter().map(|p| ("bound", p)));
    for (key, path) in paths {
        if syn::parse_str::<syn::Path>(path).is_err() || path.contains('<') {
            return Err(FileError::new(
                "",
                format!("`{key}`: `{path}` is not a path like `mycrate::module::function`"),
            ));
        }
    }
    for pattern in &config.exclude {
        glob(pattern).map_err(|e| FileError::new("", format!("`exclude`: {e}")))?;
    }
    for o in &config.overrides {
        if o.paths.is_empty() {
            return Err(FileError::new(
                "",
                "`overrides`: a table without `paths` applies nowhere",
            ));
        }
        for pattern in &o.paths {
            glob(pattern).map_err(|e| FileError::new("", format!("`overrides`: {e}")))?;
        }
    }
    Ok(())
}

fn glob(pattern: &str) -> Result<globset::Glob, globset::Error> {
    globset::GlobBuilder::new(pattern.trim_end_matches('/'))
        .literal_separator(true)
        .build()
}

fn check_keys(
    text: &str,
    table: &dyn toml_edit::TableLike,
    known: &[&str],
    what: &str,
) -> Result<(), FileError> {
    for (key, _) in table.iter() {
        if !known.contains(&key) {
            return Err(located(
                text,
                table.key(key).and_then(toml_edit::Key::span),
                unknown(what, key, known, None),
            ));
        }
    }
    Ok(())
}

fn unknown(what: &str, found: &str, known: &[&str], of: Option<&str>) -> String {
    let of = of.map(|o| format!(" for `{o}`")).unwrap_or_default();
    match crate::suggest::did_you_mean(found, known.iter().copied()) {
        Some(best) => format!("unknown {what} `{found}`{of}; did you mean `{best}`?"),
        None => format!(
            "unknown {what} `{found}`{of}; expected one of {}",
            known
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn located(text: &str, span: Option<std::ops::Range<usize>>, message: String) -> FileError {
    let error = FileError::new("", message);
    match span {
        Some(span) => error.at(LineCol::at_byte(text, span.start.min(text.len()))),
        None => error,
    }
}

fn toml_error(text: &str, message: &str, span: Option<std::ops::Range<usize>>) -> FileError {
    located(text, span, format!("invalid TOML: {message}"))
}

/// One file's configuration and where it applies from.
#[derive(Debug, Clone)]
pub struct Layer {
    /// The file it was read from (`Cargo.toml` or `asyncwise.toml`).
    pub file: PathBuf,
    /// The directory `exclude` globs are relative to.
    pub base: PathBuf,
    /// The settings.
    pub config: Config,
    excludes: globset::GlobSet,
    /// The `paths` of each of `config.overrides`.
    override_paths: Vec<globset::GlobSet>,
}

impl Layer {
    /// The layer of `config`, read from `file`, whose `exclude` globs are relative to `base`.
    /// Invalid globs (rejected when a file is parsed) match nothing.
    pub fn new(file: PathBuf, base: PathBuf, config: Config) -> Layer {
        let set = |patterns: &[String]| {
            let mut set = globset::GlobSetBuilder::new();
            for pattern in patterns {
                if let Ok(glob) = glob(pattern) {
                    set.add(glob);
                }
            }
            set.build().unwrap_or_else(|_| globset::GlobSet::empty())
        };
        Layer {
            file,
            base,
            excludes: set(&config.exclude),
            override_paths: config.overrides.iter().map(|o| set(&o.paths)).collect(),
            config,
        }
    }

    /// Whether an (absolute, normalised) path or one of its parent directories below this
    /// layer's base matches `globs`.
    fn matches(&self, globs: &globset::GlobSet, path: &Path) -> bool {
        let Ok(relative) = path.strip_prefix(&self.base) else {
            return false;
        };
        relative
            .ancestors()
            .filter(|p| !p.as_os_str().is_empty())
            .any(|p| globs.is_match(p))
    }
}

/// The settings that apply to one directory: the workspace's layer, then the package's.
#[derive(Debug, Clone, Default)]
pub struct Effective {
    /// Lowest precedence first.
    pub layers: Vec<Arc<Layer>>,
}

impl Effective {
    /// Whether suppressions must give a reason (the nearest setting wins; default `false`).
    pub fn require_reason(&self) -> bool {
        self.layers
            .iter()
            .rev()
            .find_map(|l| l.config.require_reason)
            .unwrap_or(false)
    }

    /// Whether no layer has an `exclude` glob: then [`Effective::is_excluded`] is false for
    /// every path, and a caller need not make its paths absolute to ask.
    pub fn excludes_nothing(&self) -> bool {
        self.layers.iter().all(|layer| layer.excludes.is_empty())
    }

    /// Whether an (absolute, normalised) path matches an `exclude` glob of any layer, itself or
    /// through one of its parent directories.
    pub fn is_excluded(&self, path: &Path) -> bool {
        self.layers
            .iter()
            .any(|layer| layer.matches(&layer.excludes, path))
    }

    /// The rows these settings add to the knowledge tables, every layer's combined.
    pub fn user_rows(&self) -> crate::knowledge::UserRows {
        let mut rows = crate::knowledge::UserRows::default();
        for layer in &self.layers {
            let config = &layer.config;
            rows.blocking.extend(
                config
                    .blocking
                    .iter()
                    .map(|b| (b.path.clone(), b.help.clone())),
            );
            rows.offload.extend(config.offload.iter().cloned());
            rows.spawn.extend(config.spawn.iter().cloned());
            rows.bound.extend(config.bound.iter().cloned());
        }
        rows
    }

    /// The rule levels, the nearest setting of each name winning.
    pub fn rules(&self) -> BTreeMap<String, Level> {
        let mut out = BTreeMap::new();
        for layer in &self.layers {
            out.extend(layer.config.rules.clone());
        }
        out
    }

    /// The levels these settings give, before the command line's: `all` first, then groups,
    /// then rules (the most specific name wins). A name that is not a rule of the registry
    /// (`unused_suppression`) has no level to set and is left out.
    ///
    /// ```
    /// use asyncwise_lint::config::{Config, Effective, Layer};
    /// use asyncwise_lint::levels::{Form, Level};
    /// let config = Config::from_toml_str("[rules]\nperf = \"deny\"\nunbounded_spawn = \"allow\"\n").unwrap();
    /// let settings = Effective { layers: vec![std::sync::Arc::new(Layer::new("asyncwise.toml".into(), ".".into(), config))] };
    /// let levels = settings.levels();
    /// let rule = |name| asyncwise_lint::rules::find(name).unwrap();
    /// assert_eq!(levels.level_of(rule("unbounded_spawn"), Form::Default), Level::Allow);
    /// assert_eq!(levels.level_of(rule("unbounded_channel"), Form::Default), Level::Deny);
    /// ```
    pub fn levels(&self) -> crate::levels::Levels {
        let mut levels = crate::levels::Levels::default();
        push_levels(&mut levels, self.rules());
        levels
    }

    /// The levels `test_rules` add for test code, the nearest setting of each name winning.
    pub fn test_levels(&self) -> crate::levels::Levels {
        let mut rules = BTreeMap::new();
        for layer in &self.layers {
            rules.extend(layer.config.test_rules.clone());
        }
        let mut levels = crate::levels::Levels::default();
        push_levels(&mut levels, rules);
        levels
    }

    /// The levels for one file (absolute, normalised): [`Effective::levels`], then the
    /// `overrides` whose `paths` match it, the workspace's before the package's.
    ///
    /// ```
    /// use asyncwise_lint::config::{Config, Effective, Layer};
    /// use asyncwise_lint::levels::{Form, Level};
    /// let config = Config::from_toml_str("[[overrides]]\npaths = [\"src/bin/**\"]\nrules = { blocking_in_async = \"allow\" }\n").unwrap();
    /// let settings = Effective { layers: vec![std::sync::Arc::new(Layer::new("/p/asyncwise.toml".into(), "/p".into(), config))] };
    /// let rule = asyncwise_lint::rules::find("blocking_in_async").unwrap();
    /// let level = |path: &str| settings.levels_for(path.as_ref()).level_of(rule, Form::Default);
    /// assert_eq!(level("/p/src/bin/tool.rs"), Level::Allow);
    /// assert_eq!(level("/p/src/lib.rs"), Level::Warn);
    /// ```
    pub fn levels_for(&self, path: &Path) -> crate::levels::Levels {
        let mut levels = self.levels();
        for layer in &self.layers {
            for (o, globs) in layer.config.overrides.iter().zip(&layer.override_paths) {
                if layer.matches(globs, path) {
                    push_levels(&mut levels, o.rules.clone());
                }
            }
        }
        levels
    }
}

/// Appends level settings by name: `all` first, then groups, then rules (the most specific name
/// wins). A name that is not a rule of the registry (`unused_suppression`) has no level to set
/// and is left out.
fn push_levels(levels: &mut crate::levels::Levels, rules: BTreeMap<String, Level>) {
    use crate::levels::{Selector, Setting};
    let mut settings: Vec<(u8, Selector, Level)> = rules
        .into_iter()
        .filter_map(|(name, level)| {
            let selector = Selector::parse(&name).ok()?;
            let order = match selector {
                Selector::All => 0,
                Selector::Group(_) => 1,
                Selector::Rule(_) => 2,
            };
            Some((order, selector, level))
        })
        .collect();
    settings.sort_by_key(|(order, ..)| *order);
    for (_, selector, level) in settings {
        levels.push(selector, Setting::Level(level.into()));
    }
}

/// Finds and caches the configuration of directories (see the [module docs](self)).
///
/// ```
/// let dir = std::env::temp_dir().join(format!("asyncwise-config-doc-{}", std::process::id()));
/// std::fs::create_dir_all(dir.join("src")).unwrap();
/// std::fs::write(dir.join("Cargo.toml"), "[package]\nname = \"x\"\n[package.metadata.asyncwise]\nexclude = [\"src/gen\"]\n").unwrap();
/// let mut resolver = asyncwise_lint::config::Resolver::default();
/// let settings = resolver.for_dir(&dir.join("src"));
/// assert!(settings.is_excluded(&dir.join("src/gen/a.rs")));
/// assert!(!settings.is_excluded(&dir.join("src/main.rs")));
/// assert!(resolver.errors.is_empty());
/// std::fs::remove_dir_all(&dir).unwrap();
/// ```
#[derive(Debug, Default)]
pub struct Resolver {
    by_dir: PathMap<PathBuf, Arc<Effective>>,
    by_file: PathMap<(PathBuf, &'static str), Option<Arc<Layer>>>,
    workspace_roots: PathMap<PathBuf, bool>,
    /// Which of `Cargo.toml` and `asyncwise.toml` each directory asked about holds: a walk
    /// resolves every directory of a tree, and each asks about the same ancestors.
    markers: PathMap<PathBuf, Markers>,
    /// Configuration files that could not be read or are invalid (each reported once).
    pub errors: Vec<FileError>,
}

/// The configuration files a directory holds.
#[derive(Debug, Clone, Copy)]
struct Markers {
    manifest: bool,
    own_toml: bool,
}

impl Resolver {
    /// The settings for files in `dir` (absolute).
    pub fn for_dir(&mut self, dir: &Path) -> Arc<Effective> {
        let dir = normalize(dir);
        if let Some(found) = self.by_dir.get(&dir) {
            return Arc::clone(found);
        }
        let effective = Arc::new(self.resolve(&dir));
        self.by_dir.insert(dir, Arc::clone(&effective));
        effective
    }

    /// The settings for a file (absolute, or relative to the working directory).
    pub fn for_file(&mut self, file: &Path) -> Arc<Effective> {
        let absolute = absolute(file);
        match absolute.parent() {
            Some(dir) => self.for_dir(dir),
            None => Arc::default(),
        }
    }

    fn resolve(&mut self, dir: &Path) -> Effective {
        let Some(package_dir) = dir.ancestors().find(|d| {
            let markers = self.markers(d);
            markers.manifest || markers.own_toml
        }) else {
            return Effective::default();
        };
        let manifest = package_dir.join("Cargo.toml");
        let is_workspace_root = self.is_workspace_root(package_dir);
        let mut layers = Vec::new();
        if !is_workspace_root {
            let workspace = package_dir
                .ancestors()
                .skip(1)
                .find(|d| self.is_workspace_root(d));
            if let Some(root) = workspace {
                layers.extend(self.layer_of_dir(root, "workspace"));
            }
        }
        if self.markers(package_dir).own_toml {
            layers.extend(self.layer_of_dir(package_dir, "package"));
        } else {
            if is_workspace_root {
                layers.extend(self.layer(&manifest, &["workspace", "metadata", "asyncwise"]));
            }
            layers.extend(self.layer(&manifest, &["package", "metadata", "asyncwise"]));
        }
        Effective { layers }
    }

    /// Which configuration files `dir` holds (asked once per directory).
    fn markers(&mut self, dir: &Path) -> Markers {
        if let Some(&known) = self.markers.get(dir) {
            return known;
        }
        let found = Markers {
            manifest: dir.join("Cargo.toml").is_file(),
            own_toml: dir.join(ASYNCWISE_TOML).is_file(),
        };
        self.markers.insert(dir.to_path_buf(), found);
        found
    }

    /// Whether `dir` holds a `Cargo.toml` with a `[workspace]` table (read once per directory).
    fn is_workspace_root(&mut self, dir: &Path) -> bool {
        if let Some(&known) = self.workspace_roots.get(dir) {
            return known;
        }
        let found = manifest_has_table(&dir.join("Cargo.toml"), "workspace");
        self.workspace_roots.insert(dir.to_path_buf(), found);
        found
    }

    /// The layer a directory contributes in a role: its `asyncwise.toml`, or its manifest's
    /// table for that role.
    fn layer_of_dir(&mut self, dir: &Path, role: &'static str) -> Option<Arc<Layer>> {
        let own_toml = dir.join(ASYNCWISE_TOML);
        if self.markers(dir).own_toml {
            let manifest = dir.join("Cargo.toml");
            for table in ["workspace", "package"] {
                if self
                    .layer(&manifest, &[table, "metadata", "asyncwise"])
                    .is_some()
                {
                    let key = (manifest.clone(), "both");
                    if let std::collections::hash_map::Entry::Vacant(entry) =
                        self.by_file.entry(key)
                    {
                        entry.insert(None);
                        self.errors.push(FileError::new(
                            shown(&manifest),
                            format!(
                                "`[{table}.metadata.asyncwise]` and `{ASYNCWISE_TOML}` both configure asyncwise here; keep one (using `{ASYNCWISE_TOML}`)"
                            ),
                        ));
                    }
                }
            }
            return self.layer(&own_toml, &[]);
        }
        self.layer(&dir.join("Cargo.toml"), &[role, "metadata", "asyncwise"])
    }

    fn layer(&mut self, file: &Path, section: &[&'static str]) -> Option<Arc<Layer>> {
        let role = section.first().copied().unwrap_or("file");
        let key = (file.to_path_buf(), role);
        if let Some(found) = self.by_file.get(&key) {
            return found.clone();
        }
        let loaded = match std::fs::read_to_string(file) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                self.errors
                    .push(FileError::new(shown(file), format!("could not read: {e}")));
                None
            }
            Ok(text) => match parse_section(&text, section) {
                Ok(config) => config.map(|config| {
                    Arc::new(Layer::new(
                        file.to_path_buf(),
                        file.parent().map(Path::to_path_buf).unwrap_or_default(),
                        config,
                    ))
                }),
                Err(mut e) => {
                    e.path = shown(file);
                    self.errors.push(e);
                    None
                }
            },
        };
        self.by_file.insert(key, loaded.clone());
        loaded
    }
}

/// The name of the stand-alone configuration file.
pub const ASYNCWISE_TOML: &str = "asyncwise.toml";

fn manifest_has_table(manifest: &Path, table: &str) -> bool {
    // A cheap textual test, exact enough for finding the workspace root (`[workspace]` or
    // `[workspace.…]` at the start of a line).
    std::fs::read_to_string(manifest).is_ok_and(|text| {
        text.lines().any(|line| {
            let line = line.trim_start();
            line.strip_prefix('[')
                .and_then(|rest| rest.strip_prefix(table))
                .is_some_and(|rest| rest.starts_with(']') || rest.starts_with('.'))
        })
    })
}

/// The path as a user would type it from the working directory.
fn shown(path: &Path) -> PathBuf {
    let cwd = std::env::current_dir().ok();
    crate::engine::discover::display_path(path, cwd.as_deref())
}

/// `path` made absolute against the working directory, with `.` and `..` resolved lexically.
///
/// ```
/// use std::path::Path;
/// let p = asyncwise_lint::config::absolute(Path::new("/a/b/../c/./d.rs"));
/// assert_eq!(p, Path::new("/a/c/d.rs"));
/// ```
pub fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        normalize(path)
    } else {
        let cwd = std::env::current_dir().unwrap_or_default();
        normalize(&cwd.join(path))
    }
}

/// [`absolute`] with the working directory given (a caller making many paths absolute asks
/// the system for it once).
///
/// ```
/// use std::path::Path;
/// let p = asyncwise_lint::config::absolute_in(Path::new("/w"), Path::new("src/../lib.rs"));
/// assert_eq!(p, Path::new("/w/lib.rs"));
/// ```
pub fn absolute_in(cwd: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        normalize(path)
    } else {
        normalize(&cwd.join(path))
    }
}

fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_point_at_the_key_and_suggest() {
        let text = "exclude = []\n[rules]\nblockin_in_async = \"deny\"\n";
        let err = Config::from_toml_str(text).unwrap_err();
        assert_eq!(
            err.message,
            "unknown rule `blockin_in_async`; did you mean `blocking_in_async`?"
        );
        assert_eq!(err.location, Some(LineCol { line: 3, column: 1 }));

        let err = Config::from_toml_str("[rules]\ndetached_task = \"dny\"\n").unwrap_err();
        assert_eq!(
            err.message,
            "unknown level `dny` for `detached_task`; did you mean `deny`?"
        );
        assert_eq!(
            err.location,
            Some(LineCol {
                line: 2,
                column: 17
            })
        );

        let err =
            Config::from_toml_str("blocking = [{ path = \"a::b\", hlep = \"x\" }]").unwrap_err();
        assert!(err.message.contains("did you mean `help`?"), "{err}");

        let err = Config::from_toml_str("spawn = [\"not a path\"]").unwrap_err();
        assert!(err.message.contains("is not a path"), "{err}");

        let err = Config::from_toml_str("exclude = 3").unwrap_err();
        assert!(err.message.contains("invalid type"), "{err}");

        let err = Config::from_toml_str("[rules]\nunbounded_spawn = 3\n").unwrap_err();
        assert_eq!(
            err.message,
            "the level for `unbounded_spawn` is not a string; expected one of `allow`, `warn`, `deny`"
        );
        assert_eq!(
            err.location,
            Some(LineCol {
                line: 2,
                column: 19
            })
        );

        let err = Config::from_toml_str("exclude = [").unwrap_err();
        assert!(err.message.starts_with("invalid TOML"), "{err}");
        assert!(err.location.is_some());
    }

    #[test]
    fn knowledge_rows_are_typed() {
        let config = Config::from_toml_str(
            "offload = [\"my::pool::run\"]\nspawn = [\"my::rt::spawn_named\"]\nblocking = [{ path = \"my::db::query_sync\", help = \"use `query`\" }, { path = \"my::x\" }]\n",
        )
        .unwrap();
        assert_eq!(config.offload, ["my::pool::run"]);
        assert_eq!(config.spawn, ["my::rt::spawn_named"]);
        assert_eq!(config.blocking[0].help.as_deref(), Some("use `query`"));
        assert_eq!(config.blocking[1].help, None);
    }
}
