//! Blocking calls with an async twin of the same signature and result: `--fix` rewrites
//! `std::fs::read_to_string(p)` to `tokio::fs::read_to_string(p).await` (see [`crate::fix`]).
//!
//! Only pairs whose arguments (`impl AsRef<Path>`, `impl AsRef<[u8]>`, `Duration`) and result
//! (`io::Result<T>` of the same `T`, or `()`) are the same, so the rewritten call fits where the
//! old one was. `std::fs::read_dir` is not here: tokio's `ReadDir` is not an iterator.

/// A blocking function, its async twin, and the tokio feature the twin needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rewrite {
    /// The blocking function's canonical path.
    pub blocking: &'static str,
    /// The async function to call (and await) instead.
    pub with: &'static str,
    /// The tokio cargo feature `with` needs (`full` includes it).
    pub feature: &'static str,
}

const fn fs(blocking: &'static str, with: &'static str) -> Rewrite {
    Rewrite {
        blocking,
        with,
        feature: "fs",
    }
}

/// The rewrites, by blocking path.
pub const REWRITES: &[Rewrite] = &[
    Rewrite {
        blocking: "std::thread::sleep",
        with: "tokio::time::sleep",
        feature: "time",
    },
    fs("std::fs::read", "tokio::fs::read"),
    fs("std::fs::read_to_string", "tokio::fs::read_to_string"),
    fs("std::fs::write", "tokio::fs::write"),
    fs("std::fs::copy", "tokio::fs::copy"),
    fs("std::fs::rename", "tokio::fs::rename"),
    fs("std::fs::remove_file", "tokio::fs::remove_file"),
    fs("std::fs::remove_dir", "tokio::fs::remove_dir"),
    fs("std::fs::remove_dir_all", "tokio::fs::remove_dir_all"),
    fs("std::fs::create_dir", "tokio::fs::create_dir"),
    fs("std::fs::create_dir_all", "tokio::fs::create_dir_all"),
    fs("std::fs::metadata", "tokio::fs::metadata"),
    fs("std::fs::symlink_metadata", "tokio::fs::symlink_metadata"),
    fs("std::fs::canonicalize", "tokio::fs::canonicalize"),
    fs("std::fs::hard_link", "tokio::fs::hard_link"),
    fs("std::fs::read_link", "tokio::fs::read_link"),
    fs("std::fs::set_permissions", "tokio::fs::set_permissions"),
];

/// The rewrite of the blocking function `path`, if it has one.
///
/// ```
/// use asyncwise_lint::knowledge::rewrites::rewrite_of;
/// assert_eq!(rewrite_of("std::thread::sleep").unwrap().with, "tokio::time::sleep");
/// assert!(rewrite_of("std::fs::read_dir").is_none());
/// ```
pub fn rewrite_of(path: &str) -> Option<&'static Rewrite> {
    REWRITES.iter().find(|r| r.blocking == path)
}
