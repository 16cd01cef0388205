//! Append-only local spool: every accepted record is written here before it is batched,
//! so a crash between the broker commit and the database write loses nothing.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

pub struct Spool {
    file: File,
    path: PathBuf,
}

impl Spool {
    pub fn open(dir: &Path) -> io::Result<Spool> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join("spool.log");
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        Ok(Spool { file, path })
    }

    pub fn append(&mut self, record: &[u8]) -> io::Result<()> {
        let len = (record.len() as u32).to_be_bytes();
        self.file.write_all(&len)?;
        self.file.write_all(record)?;
        self.file.sync_data()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

pub fn replay(path: &Path) -> io::Result<Vec<Vec<u8>>> {
    let bytes = std::fs::read(path)?;
    let mut out = Vec::new();
    let mut rest = &bytes[..];
    while rest.len() >= 4 {
        let len = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        if rest.len() < 4 + len {
            break;
        }
        out.push(rest[4..4 + len].to_vec());
        rest = &rest[4 + len..];
    }
    Ok(out)
}
