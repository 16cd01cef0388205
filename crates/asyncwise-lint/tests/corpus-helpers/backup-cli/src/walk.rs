//! Directory walking (synchronous, recursive).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

pub fn collect_files(root: &Path) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    visit(root, &mut out)?;
    out.sort();
    Ok(out)
}

fn visit(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            if !is_ignored(&path) {
                visit(&path, out)?;
            }
        } else {
            out.push(path);
        }
    }
    Ok(())
}

pub fn total_size(root: &Path) -> io::Result<u64> {
    collect_files(root)?
        .iter()
        .map(|p| fs::metadata(p).map(|m| m.len()))
        .sum()
}

fn is_ignored(path: &Path) -> bool {
    matches!(
        path.file_name().and_then(|n| n.to_str()),
        Some(".git" | "target" | "node_modules")
    )
}

/// Number of components above the file (no I/O; recursive on the parent).
pub fn depth(path: &Path) -> usize {
    match path.parent() {
        Some(parent) if parent != Path::new("") => 1 + depth(parent),
        _ => 0,
    }
}
