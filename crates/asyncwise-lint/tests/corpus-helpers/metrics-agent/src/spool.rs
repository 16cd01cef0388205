//! Batches that could not be sent are kept as JSON files and sent again later.

use std::io::{self, BufWriter};
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::parse::Sample;

pub struct Spool {
    dir: PathBuf,
    max_files: usize,
}

impl Spool {
    pub fn new(dir: PathBuf, max_files: usize) -> Spool {
        Spool { dir, max_files }
    }

    pub fn save(&self, batch: &[Sample]) -> io::Result<()> {
        self.rotate()?;
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        let file = std::fs::File::create(self.dir.join(format!("{millis}.json")))?;
        serde_json::to_writer(BufWriter::new(file), batch).map_err(io::Error::from)
    }

    /// Reads and removes every spooled batch, oldest first.
    pub fn drain(&self) -> io::Result<Vec<Sample>> {
        let mut samples = Vec::new();
        for path in self.files()? {
            let text = std::fs::read_to_string(&path)?;
            samples.extend(serde_json::from_str::<Vec<Sample>>(&text).unwrap_or_default());
            std::fs::remove_file(&path)?;
        }
        Ok(samples)
    }

    /// Bytes waiting on disk, for the status endpoint.
    pub async fn backlog_bytes(&self) -> u64 {
        let files = self.files().unwrap_or_default(); // @helper //~ blocking_in_async
        files.len() as u64 * 4096
    }

    fn rotate(&self) -> io::Result<()> {
        let mut files = self.files()?;
        while files.len() >= self.max_files {
            std::fs::remove_file(files.remove(0))?;
        }
        Ok(())
    }

    fn files(&self) -> io::Result<Vec<PathBuf>> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        files.sort();
        Ok(files)
    }
}
