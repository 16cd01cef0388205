use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use crate::Record;

/// Appends one record to the spool file at `path` (alerts are written through at once).
pub fn append_once(path: &Path, record: &Record) -> std::io::Result<()> {
    let mut spool = Spool::open(path)?;
    spool.append(record)
}

/// Records waiting to be shipped, one JSON line each.
pub struct Spool {
    path: PathBuf,
    file: File,
}

impl Spool {
    pub fn open(path: &Path) -> std::io::Result<Spool> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Spool { path: path.to_path_buf(), file })
    }

    pub fn append(&mut self, record: &Record) -> std::io::Result<()> {
        let line = serde_json::to_string(record).map_err(std::io::Error::other)?;
        writeln!(self.file, "{line}")?;
        self.file.sync_data()
    }

    pub fn drain(&mut self) -> std::io::Result<Vec<Record>> {
        let reader = BufReader::new(File::open(&self.path)?);
        let records = reader
            .lines()
            .map_while(Result::ok)
            .filter_map(|l| serde_json::from_str(&l).ok())
            .collect();
        self.file.set_len(0)?;
        Ok(records)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}
