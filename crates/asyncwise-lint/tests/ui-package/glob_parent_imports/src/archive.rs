// Sync helpers that read and write files.
use std::path::Path;

pub fn load_index(path: &Path) -> std::io::Result<Vec<u8>> {
    std::fs::read(path)
}

pub fn label(name: &str) -> String {
    format!("archive:{name}")
}
