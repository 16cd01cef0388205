//! Module paths from the package layout, as cargo and rustc lay crates out.
//!
//! `src/lib.rs`, `src/main.rs`, `src/bin/name.rs` (or `src/bin/name/main.rs`), and each file
//! directly under `examples/`, `tests/` or `benches/` is a crate root (`crate`); below a root,
//! `foo.rs` and `foo/mod.rs` are module `foo`, and `foo/bar.rs` is `foo::bar`. A file outside
//! any package is laid out relative to its own directory. A `#[path]` attribute can put a file
//! elsewhere; the crate index ([`crate::crate_index`]) corrects for it from the summaries.

use std::path::{Component, Path};

/// The module path of the file at `rel` (relative to its package root).
///
/// ```
/// use asyncwise_lint::engine::layout::module_path;
/// use std::path::Path;
/// assert_eq!(module_path(Path::new("src/lib.rs")), "crate");
/// assert_eq!(module_path(Path::new("src/net/mod.rs")), "crate::net");
/// assert_eq!(module_path(Path::new("src/net/tcp.rs")), "crate::net::tcp");
/// assert_eq!(module_path(Path::new("src/bin/tool/util.rs")), "crate::util");
/// assert_eq!(module_path(Path::new("tests/common/mod.rs")), "crate::common");
/// assert_eq!(module_path(Path::new("examples/echo.rs")), "crate");
/// ```
pub fn module_path(rel: &Path) -> String {
    let parts: Vec<&str> = rel
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => s.to_str(),
            _ => None,
        })
        .collect();
    let below_root: &[&str] = match parts.as_slice() {
        ["src", "bin", _file] => &[],
        ["src", "bin", _dir, rest @ ..] => rest,
        ["src", rest @ ..] => rest,
        ["examples" | "tests" | "benches", _file] => &[],
        ["tests", rest @ ..] => rest,
        ["examples" | "benches", _dir, rest @ ..] => rest,
        rest => rest,
    };
    let mut module = String::from("crate");
    let Some((file, dirs)) = below_root.split_last() else {
        return module;
    };
    for dir in dirs {
        module.push_str("::");
        module.push_str(dir);
    }
    let stem = file.strip_suffix(".rs").unwrap_or(file);
    let is_root = dirs.is_empty() && matches!(stem, "lib" | "main");
    if stem != "mod" && !is_root {
        module.push_str("::");
        module.push_str(stem);
    }
    module
}
