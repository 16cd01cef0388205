//! Snapshot manifests: the files of a directory with their sizes and digests.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub struct Entry {
    pub path: PathBuf,
    pub size: u64,
    pub digest: String,
}

pub fn build_manifest(root: &Path) -> std::io::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for item in walkdir::WalkDir::new(root) {
        let item = item?;
        if !item.file_type().is_file() {
            continue;
        }
        entries.push(Entry {
            path: item.path().strip_prefix(root).unwrap_or(item.path()).to_path_buf(),
            size: item.metadata()?.len(),
            digest: digest_file(item.path())?,
        });
    }
    Ok(entries)
}

pub fn digest_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = [0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(format!("{:x}", hasher.finalize()))
}

/// Digest of bytes already in memory.
pub fn digest_bytes(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

pub fn chunk(entries: &[Entry], max_bytes: u64) -> Vec<Vec<&Entry>> {
    let mut parts = vec![Vec::new()];
    let mut size = 0;
    for e in entries {
        if size + e.size > max_bytes && !parts.last().map_or(true, Vec::is_empty) {
            parts.push(Vec::new());
            size = 0;
        }
        size += e.size;
        parts.last_mut().expect("one part").push(e);
    }
    parts
}
