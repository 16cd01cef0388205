use std::io;
use std::path::{Path, PathBuf};

pub struct Table {
    pub name: String,
    pub size: u64,
    pub data: Vec<u8>,
}

impl Table {
    pub async fn write_to_dir(&self, dir: &Path) -> io::Result<()> {
        tokio::fs::write(dir.join(&self.name), &self.data).await
    }
}

pub struct Index {
    pub offsets: Vec<u64>,
}

pub struct Bloom {
    pub bits: Vec<u8>,
}

pub async fn read_index(path: &Path) -> io::Result<Index> {
    let raw = tokio::fs::read(path.with_extension("idx")).await?;
    Ok(Index { offsets: raw.chunks(8).map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8]))).collect() })
}

pub async fn read_bloom(path: &Path) -> io::Result<Bloom> {
    let bits = tokio::fs::read(path.with_extension("bloom")).await?;
    Ok(Bloom { bits })
}

/// Reads a whole table into memory (tables are at most a few MiB).
pub fn load_sync(path: &PathBuf) -> io::Result<Vec<u8>> {
    std::fs::read(path)
}

pub fn checksum(data: &[u8]) -> u32 {
    crc32fast::hash(data)
}
