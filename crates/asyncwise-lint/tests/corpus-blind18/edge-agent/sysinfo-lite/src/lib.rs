//! Reads a few numbers out of /proc and asks `uname` for the kernel.

mod proc;

pub use proc::{load_average, read_meminfo, MemInfo};

use std::process::Command;

/// The running kernel's release, as `uname -r` prints it.
pub fn kernel_version() -> std::io::Result<String> {
    let out = Command::new("uname").arg("-r").output()?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Parses `key: value kB` lines; pure, no I/O.
pub fn parse_kv(text: &str) -> Vec<(String, u64)> {
    text.lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            let n = v.split_whitespace().next()?.parse().ok()?;
            Some((k.trim().to_owned(), n))
        })
        .collect()
}
