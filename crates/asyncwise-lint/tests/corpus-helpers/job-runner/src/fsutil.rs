//! File helpers shared by the runner. All synchronous.

use std::fs;
use std::io;
use std::path::Path;

use serde::de::DeserializeOwned;

/// Reads a JSON file into any deserializable type.
pub fn load_json<T: DeserializeOwned>(path: &Path) -> io::Result<T> {
    let file = fs::File::open(path)?;
    serde_json::from_reader(io::BufReader::new(file)).map_err(io::Error::from)
}

/// Copies a directory tree (recursive).
pub fn copy_dir(from: &Path, to: &Path) -> io::Result<u64> {
    fs::create_dir_all(to)?;
    let mut bytes = 0;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            bytes += copy_dir(&entry.path(), &target)?;
        } else {
            bytes += fs::copy(entry.path(), target)?;
        }
    }
    Ok(bytes)
}

/// Joins path segments without touching the disk.
pub fn rel(base: &Path, parts: &[&str]) -> std::path::PathBuf {
    parts.iter().fold(base.to_path_buf(), |p, s| p.join(s))
}
