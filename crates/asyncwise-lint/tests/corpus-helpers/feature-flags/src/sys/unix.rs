//! Unix: an advisory lock file held with flock, and fsync before rename.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::path::Path;

pub struct FileLock {
    _file: File,
}

/// Waits until no other process holds the lock.
pub fn lock_exclusive(path: &Path) -> io::Result<FileLock> {
    let file = File::create(path.with_extension("lock"))?;
    // SAFETY: the descriptor is valid for the lifetime of `file`.
    if unsafe { libc_flock(file.as_raw_fd()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(FileLock { _file: file })
}

extern "C" {
    #[link_name = "flock"]
    fn flock(fd: i32, op: i32) -> i32;
}

unsafe fn libc_flock(fd: i32) -> i32 {
    const LOCK_EX: i32 = 2;
    flock(fd, LOCK_EX)
}

pub fn write_durably(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, path)
}
