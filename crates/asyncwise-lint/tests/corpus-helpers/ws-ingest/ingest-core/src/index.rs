//! The key index: which segment and offset hold a key's latest record.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use crate::segment;

#[derive(Debug, Default)]
pub struct Index {
    entries: BTreeMap<String, (PathBuf, u64)>,
}

impl Index {
    pub fn load(dir: &Path) -> io::Result<Index> {
        rebuild(dir)
    }

    pub fn lookup(&self, key: &str) -> Option<&(PathBuf, u64)> {
        self.entries.get(key)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

pub fn rebuild(dir: &Path) -> io::Result<Index> {
    let mut entries = BTreeMap::new();
    for seg in segment::list_segments(dir)? {
        let data = segment::read_segment(&seg)?;
        scan_records(&data, |key, offset| {
            entries.insert(key.to_owned(), (seg.clone(), offset));
        });
    }
    Ok(Index { entries })
}

// Records are `key=value`; the key is everything before the first '='.
fn scan_records(data: &[u8], mut on_record: impl FnMut(&str, u64)) {
    let mut pos = 0usize;
    while pos + 4 <= data.len() {
        let len = u32::from_le_bytes([data[pos], data[pos + 1], data[pos + 2], data[pos + 3]]) as usize;
        let start = pos + 4;
        let Some(record) = data.get(start..start + len) else { break };
        if let Some(key) = std::str::from_utf8(record).ok().and_then(|r| r.split('=').next()) {
            on_record(key, pos as u64);
        }
        pos = start + len;
    }
}

/// Rewrites all but the newest segment into one. Meant for a maintenance thread.
pub fn compact(dir: &Path) -> io::Result<usize> {
    let segments = segment::list_segments(dir)?;
    if segments.len() < 3 {
        return Ok(0);
    }
    let (old, _newest) = segments.split_at(segments.len() - 1);
    let mut merged = Vec::new();
    for seg in old {
        merged.extend(segment::read_segment(seg)?);
    }
    let target = dir.join(format!("{}.tmp", segment::segment_name(0)));
    std::fs::write(&target, &merged)?;
    for seg in old {
        std::fs::remove_file(seg)?;
    }
    std::fs::rename(&target, dir.join(segment::segment_name(0)))?;
    Ok(old.len())
}
