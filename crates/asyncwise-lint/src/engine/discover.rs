//! Finding the files to check: a `.gitignore`-aware walk, grouped by package.
//!
//! * Directories are walked with the `ignore` crate: `.gitignore`, `.ignore` and git's exclude
//!   files are honoured (also outside a git repository), hidden entries are skipped, and only
//!   `.rs` files are kept.
//! * A file git tracks is source, even when a `.gitignore` pattern matches it (it was added
//!   with `git add -f`, or the pattern came later): walking a directory inside a git work tree
//!   also checks the tracked files the ignore files exclude (asked of `git ls-files`; without
//!   git, only the walk counts).
//! * A path named explicitly is always checked, whatever the ignore files say: naming a file
//!   checks it, naming a directory walks it (ignore files below it still apply; when the
//!   directory itself is excluded, by a pattern like `fixtures/**` or by being hidden, the
//!   ignore files above it are not consulted).
//! * Vendored third-party packages are not the project's code: a directory named `vendor` or
//!   `third_party` (the layouts of `cargo vendor` and of monorepos) that holds packages (a
//!   subdirectory with a `Cargo.toml`) is skipped when walking, as `target/` is. Naming it, or a
//!   path inside it, checks it.
//! * Paths are kept as the user would type them relative to the working directory
//!   ([`display_path`]); every diagnostic reports these.
//! * Files are grouped by package: the nearest ancestor directory holding a `Cargo.toml`, or the
//!   file's own directory when there is none.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Component, Path, PathBuf};

use crate::diagnostic::FileError;

/// The files of one package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// The directory holding the package's `Cargo.toml` (or the files' directory when none).
    pub root: PathBuf,
    /// The package's files to check, as display paths, sorted.
    pub files: Vec<PathBuf>,
}

/// The outcome of [`discover`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Discovery {
    /// Packages, sorted by root.
    pub packages: Vec<Package>,
    /// Paths that do not exist or could not be walked.
    pub errors: Vec<FileError>,
    /// Files named on the command line (not found by walking a directory): they select their
    /// target, as `cargo clippy --test NAME` does.
    pub explicit: BTreeSet<PathBuf>,
    /// Named directories in which no Rust file was found.
    pub empty: Vec<PathBuf>,
}

impl Discovery {
    /// How many files were found, over every package.
    ///
    /// ```
    /// assert_eq!(asyncwise_lint::engine::discover::Discovery::default().file_count(), 0);
    /// ```
    pub fn file_count(&self) -> usize {
        self.packages.iter().map(|p| p.files.len()).sum()
    }

    /// Takes `given`, a named file that is not on disk (an editor's unsaved buffer), as found:
    /// its "could not read" error goes and it joins its package (the nearest `Cargo.toml`).
    pub(crate) fn add_unsaved(&mut self, given: &Path) {
        let cwd = std::env::current_dir().ok();
        let shown = display_path(given, cwd.as_deref());
        self.errors.retain(|e| e.path != shown);
        let root = PackageRoots::default().root_of(&shown, cwd.as_deref());
        match self.packages.iter_mut().find(|p| p.root == root) {
            Some(package) => {
                if let Err(at) = package.files.binary_search(&shown) {
                    package.files.insert(at, shown.clone());
                }
            }
            None => {
                let at = self.packages.partition_point(|p| p.root < root);
                let files = vec![shown.clone()];
                self.packages.insert(at, Package { root, files });
            }
        }
        self.explicit.insert(shown);
    }
}

/// Rewrites `path` the way a user would type it from `cwd`: absolute paths under `cwd` become
/// relative, `.` components disappear, and the working directory itself is `.`.
///
/// ```
/// use asyncwise_lint::engine::discover::display_path;
/// use std::path::{Path, PathBuf};
/// let cwd = Path::new("/home/me/proj");
/// assert_eq!(display_path(Path::new("./src/lib.rs"), Some(cwd)), PathBuf::from("src/lib.rs"));
/// assert_eq!(display_path(Path::new("/home/me/proj/src/lib.rs"), Some(cwd)), PathBuf::from("src/lib.rs"));
/// assert_eq!(display_path(Path::new("/elsewhere/a.rs"), Some(cwd)), PathBuf::from("/elsewhere/a.rs"));
/// assert_eq!(display_path(Path::new("/home/me/proj"), Some(cwd)), PathBuf::from("."));
/// ```
pub fn display_path(path: &Path, cwd: Option<&Path>) -> PathBuf {
    let relative = match cwd {
        Some(cwd) if path.is_absolute() => path.strip_prefix(cwd).unwrap_or(path),
        _ => path,
    };
    let out: PathBuf = relative
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect();
    if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out
    }
}

/// Finds every Rust file under `paths` and groups them by package.
///
/// ```
/// use asyncwise_lint::engine::discover::discover;
/// let found = discover(&["no/such/dir".into()]);
/// assert_eq!(found.file_count(), 0);
/// assert!(found.errors[0].message.contains("could not read"));
/// ```
pub fn discover(paths: &[PathBuf]) -> Discovery {
    discover_excluding(paths, &mut |_, _| false)
}

/// [`discover`], leaving out the files found by walking a directory for which `excluded`
/// (given the named directory and the file, as display paths) says so. Files named explicitly
/// are always kept.
///
/// ```
/// use asyncwise_lint::engine::discover::discover_excluding;
/// let dir = std::env::temp_dir().join(format!("asyncwise-excl-doc-{}", std::process::id()));
/// std::fs::create_dir_all(dir.join("gen")).unwrap();
/// std::fs::write(dir.join("gen/a.rs"), "").unwrap();
/// let found = discover_excluding(&[dir.clone()], &mut |_, p| p.starts_with(dir.join("gen")));
/// assert_eq!((found.file_count(), found.empty.len()), (0, 1));
/// std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn discover_excluding(
    paths: &[PathBuf],
    excluded: &mut dyn FnMut(&Path, &Path) -> bool,
) -> Discovery {
    let cwd = std::env::current_dir().ok();
    let cwd = cwd.as_deref();
    let mut files = BTreeSet::new();
    let mut explicit = BTreeSet::new();
    let mut errors = Vec::new();
    let mut empty = Vec::new();
    for given in paths {
        let shown = display_path(given, cwd);
        let meta = match std::fs::metadata(&shown) {
            Ok(meta) => meta,
            Err(e) => {
                errors.push(FileError::new(shown, format!("could not read: {e}")));
                continue;
            }
        };
        if !meta.is_dir() {
            explicit.insert(shown.clone());
            files.insert(shown);
            continue;
        }
        // git answers while the directory is walked.
        let tracked = TrackedButIgnored::start(&shown);
        // A named directory that its ancestors' ignore files exclude (`fixtures/**`, or a
        // hidden directory) is walked without them; ignore files inside it still apply.
        let walk = ignore::WalkBuilder::new(&shown)
            .require_git(false)
            .follow_links(false)
            .parents(!is_excluded_dir(&shown))
            .filter_entry(|e| e.depth() == 0 || !is_vendor_dir(e.path()))
            .build();
        let mut any = false;
        for entry in walk {
            match entry {
                Ok(entry) => {
                    let is_file = entry.file_type().is_some_and(|t| t.is_file());
                    let is_rust = entry.path().extension().is_some_and(|e| e == "rs");
                    if is_file && is_rust {
                        let file = display_path(entry.path(), cwd);
                        if !excluded(&shown, &file) {
                            files.insert(file);
                            any = true;
                        }
                    }
                }
                Err(e) => errors.push(walk_error(&shown, &e)),
            }
        }
        crate::timing::mark("discovery: walked");
        // Git tracks these, so they are source, whatever the ignore files say; the
        // configuration's excludes still apply.
        for tracked in tracked.finish() {
            let file = display_path(&tracked, cwd);
            if !excluded(&shown, &file) {
                files.insert(file);
                any = true;
            }
        }
        if !any {
            empty.push(shown);
        }
    }

    let mut roots = PackageRoots::default();
    let mut packages: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    for file in files {
        let root = roots.root_of(&file, cwd);
        packages.entry(root).or_default().push(file);
    }
    errors.sort_by(|a, b| a.path.cmp(&b.path));
    Discovery {
        packages: packages
            .into_iter()
            .map(|(root, files)| Package { root, files })
            .collect(),
        errors,
        explicit,
        empty,
    }
}

/// Rust files under a directory that git tracks although an ignore file excludes them, asked
/// of `git ls-files` in a child process that runs while the caller walks the directory. None
/// when the directory is not in a git work tree or git cannot be run.
struct TrackedButIgnored {
    dir: PathBuf,
    git: Option<std::process::Child>,
}

impl TrackedButIgnored {
    /// Starts git for `dir`, unless no `.git` is above it (and `GIT_DIR` does not name one
    /// elsewhere): then there is no work tree to ask about, and no process is started.
    fn start(dir: &Path) -> TrackedButIgnored {
        let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        let in_work_tree = std::env::var_os("GIT_DIR").is_some()
            || absolute
                .ancestors()
                .any(|d| std::fs::symlink_metadata(d.join(".git")).is_ok());
        let git = in_work_tree
            .then(|| {
                std::process::Command::new("git")
                    .arg("-C")
                    .arg(dir)
                    .args([
                        "ls-files",
                        "-z",
                        "--cached",
                        "--ignored",
                        "--exclude-standard",
                        "--",
                        "*.rs",
                    ])
                    .stdin(std::process::Stdio::null())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .ok()
            })
            .flatten();
        TrackedButIgnored {
            dir: dir.to_path_buf(),
            git,
        }
    }

    /// The files git listed that exist.
    fn finish(self) -> Vec<PathBuf> {
        let Some(output) = self.git.and_then(|git| git.wait_with_output().ok()) else {
            return Vec::new();
        };
        if !output.status.success() {
            return Vec::new();
        }
        output
            .stdout
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .filter_map(|p| std::str::from_utf8(p).ok())
            .map(|p| self.dir.join(p))
            .filter(|p| p.is_file())
            .collect()
    }
}

/// A directory of vendored third-party packages: named `vendor` or `third_party`, with at least
/// one subdirectory holding a `Cargo.toml`.
///
/// ```
/// use asyncwise_lint::engine::discover::is_vendor_dir;
/// let dir = std::env::temp_dir().join(format!("asyncwise-vendor-doc-{}", std::process::id()));
/// std::fs::create_dir_all(dir.join("vendor/left-pad/src")).unwrap();
/// std::fs::write(dir.join("vendor/left-pad/Cargo.toml"), "[package]\nname = \"left-pad\"\n").unwrap();
/// std::fs::create_dir_all(dir.join("src/vendor")).unwrap();
/// assert!(is_vendor_dir(&dir.join("vendor")));
/// assert!(!is_vendor_dir(&dir.join("src/vendor")), "a module named vendor is the project's code");
/// std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn is_vendor_dir(dir: &Path) -> bool {
    let named = dir
        .file_name()
        .is_some_and(|n| n == "vendor" || n == "third_party");
    named
        && std::fs::read_dir(dir).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| e.path().join("Cargo.toml").is_file())
        })
}

/// Whether a walk of `dir`'s parent would skip `dir` (ignored by an ignore file, or hidden).
fn is_excluded_dir(dir: &Path) -> bool {
    let Some(name) = dir.file_name().map(std::ffi::OsStr::to_os_string) else {
        return false;
    };
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let listed = ignore::WalkBuilder::new(parent)
        .require_git(false)
        .max_depth(Some(1))
        .filter_entry(move |e| e.depth() == 0 || e.file_name() == name)
        .build()
        .flatten()
        .any(|e| e.depth() == 1);
    !listed
}

/// A walk error as a [`FileError`], naming the deepest path the error mentions.
fn walk_error(root: &Path, error: &ignore::Error) -> FileError {
    fn path_of(error: &ignore::Error) -> Option<&Path> {
        match error {
            ignore::Error::WithPath { path, .. } => Some(path),
            ignore::Error::Loop { child, .. } => Some(child),
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                path_of(err)
            }
            ignore::Error::Partial(errors) => errors.first().and_then(path_of),
            _ => None,
        }
    }
    FileError::new(
        path_of(error).map_or_else(|| root.to_path_buf(), Path::to_path_buf),
        format!("could not walk: {error}"),
    )
}

/// Memoised search for the nearest ancestor holding a `Cargo.toml`.
#[derive(Default)]
struct PackageRoots {
    /// (foldhash: asked once per file, SipHash was a visible share of a warm run.)
    known: HashMap<PathBuf, Option<PathBuf>, foldhash::fast::FixedState>,
}

impl PackageRoots {
    fn root_of(&mut self, file: &Path, cwd: Option<&Path>) -> PathBuf {
        let absolute = match cwd {
            Some(cwd) => cwd.join(file),
            None => file.to_path_buf(),
        };
        let dir = absolute.parent().unwrap_or(&absolute).to_path_buf();
        self.manifest_dir(&dir).unwrap_or(dir)
    }

    fn manifest_dir(&mut self, dir: &Path) -> Option<PathBuf> {
        if let Some(known) = self.known.get(dir) {
            return known.clone();
        }
        let found = if dir.join("Cargo.toml").is_file() {
            Some(dir.to_path_buf())
        } else {
            dir.parent().and_then(|parent| self.manifest_dir(parent))
        };
        self.known.insert(dir.to_path_buf(), found.clone());
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_alone_is_the_working_directory() {
        assert_eq!(display_path(Path::new("."), None), PathBuf::from("."));
        assert_eq!(display_path(Path::new("./."), None), PathBuf::from("."));
        assert_eq!(
            display_path(Path::new("../x/./a.rs"), None),
            PathBuf::from("../x/a.rs")
        );
    }
}
