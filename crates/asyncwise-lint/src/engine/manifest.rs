//! What the analyzer reads from a package's `Cargo.toml`: its name, its library's name, its
//! edition, and the packages it depends on by path.
//!
//! Parsed with `toml_edit`, which keeps spans, so a later diagnostic about the manifest can point
//! at the line. A manifest that does not parse yields [`ManifestError`]; the engine then checks
//! the package's files without package facts rather than failing them.

use std::path::{Path, PathBuf};

use toml_edit::{Document, Item};

pub use crate::model::Edition;

/// A package's manifest facts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Manifest {
    /// `[package] name`.
    pub name: Option<String>,
    /// The name code uses for the library: `[lib] name`, or the package name with `-` as `_`.
    pub lib_name: Option<String>,
    /// `[package] edition`; cargo's default (2015) when absent; when inherited
    /// (`edition.workspace = true`), the workspace's, or 2021 if that cannot be read.
    pub edition: Edition,
    /// The edition is inherited from the workspace.
    pub edition_inherited: bool,
    /// Dependencies with a `path` (any dependency table): (the name code uses, the directory
    /// the path names, joined to the manifest's directory).
    pub path_deps: Vec<(String, PathBuf)>,
    /// The features of `tokio` in `[dependencies]` (with `default-features` off or on, tokio
    /// has no default feature), when the package depends on it; merged with the workspace's
    /// `[workspace.dependencies]` entry when inherited. Fixes that rewrite to `tokio::fs` or
    /// `tokio::time` need the `fs` or `time` feature.
    pub tokio_features: Option<Vec<String>>,
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
    if let Some(features) = manifest.tokio_features.as_mut()
        && features.iter().any(|f| f == INHERITED)
    {
        features.retain(|f| f != INHERITED);
        features.extend(workspace_tokio_features(dir).unwrap_or_default());
    }
    Ok(manifest)
}

/// `[workspace.package] edition` of the nearest enclosing workspace manifest.
fn workspace_edition(dir: &Path) -> Option<Edition> {
    dir.ancestors().find_map(|d| {
        let text = std::fs::read_to_string(d.join("Cargo.toml")).ok()?;
        let doc = Document::parse(text.as_str()).ok()?;
        let workspace = doc.as_table().get("workspace")?;
        workspace
            .get("package")
            .and_then(|p| p.get("edition"))
            .and_then(Item::as_str)
            .and_then(Edition::parse)
    })
}

/// Marks `tokio = { workspace = true }` until the workspace's entry is read.
const INHERITED: &str = "\0workspace";

/// The features of `[workspace.dependencies] tokio` of the nearest enclosing workspace.
fn workspace_tokio_features(dir: &Path) -> Option<Vec<String>> {
    dir.ancestors().find_map(|d| {
        let text = std::fs::read_to_string(d.join("Cargo.toml")).ok()?;
        let doc = Document::parse(text.as_str()).ok()?;
        let deps = doc.as_table().get("workspace")?.get("dependencies")?;
        Some(dependency_features(deps.get("tokio")?))
    })
}

/// The features a dependency entry turns on (`"1"` has none).
fn dependency_features(dep: &Item) -> Vec<String> {
    let Some(table) = dep.as_table_like() else {
        return Vec::new();
    };
    let mut features: Vec<String> = table
        .get("features")
        .and_then(Item::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|f| f.as_str())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if table.get("workspace").and_then(Item::as_bool) == Some(true) {
        features.push(INHERITED.to_string());
    }
    features
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
    let doc = Document::parse(text).map_err(|e| e.to_string())?;
    let root = doc.as_table();
    let package = root.get("package");
    let name = package
        .and_then(|p| p.get("name"))
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
    let mut tables: Vec<&Item> = ["dependencies", "dev-dependencies", "build-dependencies"]
        .iter()
        .filter_map(|t| root.get(t))
        .collect();
    if let Some(targets) = root.get("target").and_then(Item::as_table_like) {
        for (_, target) in targets.iter() {
            for t in ["dependencies", "dev-dependencies", "build-dependencies"] {
                tables.extend(target.get(t));
            }
        }
    }
    for table in tables {
        let Some(table) = table.as_table_like() else {
            continue;
        };
        for (key, dep) in table.iter() {
            let Some(dep) = dep.as_table_like() else {
                continue;
            };
            if let Some(path) = dep.get("path").and_then(Item::as_str) {
                path_deps.push((key.replace('-', "_"), dir.join(path)));
            }
        }
    }
    let tokio_features = root
        .get("dependencies")
        .and_then(|deps| deps.get("tokio"))
        .map(dependency_features);
    Ok(Manifest {
        name,
        lib_name,
        edition,
        edition_inherited,
        path_deps,
        tokio_features,
    })
}
