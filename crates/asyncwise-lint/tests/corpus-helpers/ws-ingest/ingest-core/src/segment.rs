//! Append-only segment files: `u32` length prefix, then the record.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

pub const SEGMENT_EXT: &str = "seg";
const MAX_SEGMENT_BYTES: u64 = 64 << 20;

/// Appends one record to the newest segment; returns the segment's new size.
pub fn append(dir: &Path, record: &[u8]) -> io::Result<u64> {
    let path = current_segment(dir)?;
    let mut file = OpenOptions::new().create(true).append(true).open(&path)?;
    file.write_all(&(record.len() as u32).to_le_bytes())?;
    file.write_all(record)?;
    Ok(file.metadata()?.len())
}

pub fn list_segments(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut segments: Vec<PathBuf> = fs::read_dir(dir)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|ext| ext == SEGMENT_EXT))
        .collect();
    segments.sort();
    Ok(segments)
}

fn current_segment(dir: &Path) -> io::Result<PathBuf> {
    let segments = list_segments(dir)?;
    match segments.last() {
        Some(last) if fs::metadata(last)?.len() < MAX_SEGMENT_BYTES => Ok(last.clone()),
        _ => Ok(dir.join(segment_name(segments.len() as u64))),
    }
}

pub fn read_segment(path: &Path) -> io::Result<Vec<u8>> {
    fs::read(path)
}

pub fn segment_name(seq: u64) -> String {
    format!("{seq:08}.{SEGMENT_EXT}")
}
