//! Other platforms: no advisory locks; a plain write.

use std::io;
use std::path::Path;

pub struct FileLock;

pub fn lock_exclusive(_path: &Path) -> io::Result<FileLock> {
    Ok(FileLock)
}

pub fn write_durably(path: &Path, bytes: &[u8]) -> io::Result<()> {
    std::fs::write(path, bytes)
}
