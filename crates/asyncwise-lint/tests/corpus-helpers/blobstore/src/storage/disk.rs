//! Blobs as files under a root directory, sharded by the first two characters of the key.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use bytes::Bytes;

use super::Storage;

#[derive(Clone)]
pub struct DiskStore {
    root: PathBuf,
}

impl DiskStore {
    pub fn open(root: impl Into<PathBuf>) -> io::Result<DiskStore> {
        let root = root.into();
        fs::create_dir_all(root.join("tmp"))?;
        Ok(DiskStore { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path_of(&self, key: &str) -> PathBuf {
        let (shard, rest) = key.split_at(2.min(key.len()));
        self.root.join(shard).join(rest)
    }

    pub fn read_blob(&self, key: &str) -> io::Result<Option<Bytes>> {
        match fs::read(self.path_of(key)) {
            Ok(data) => Ok(Some(Bytes::from(data))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub fn write_blob(&self, key: &str, value: &[u8]) -> io::Result<()> {
        let tmp = self.root.join("tmp").join(key);
        fs::write(&tmp, value)?;
        let dest = self.path_of(key);
        if let Some(dir) = dest.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::rename(tmp, dest)
    }

    pub fn list_keys(&self) -> io::Result<Vec<String>> {
        let mut keys = Vec::new();
        for shard in fs::read_dir(&self.root)? {
            let shard = shard?;
            let name = shard.file_name().to_string_lossy().into_owned();
            if name == "tmp" {
                continue;
            }
            for blob in fs::read_dir(shard.path())? {
                keys.push(format!("{name}{}", blob?.file_name().to_string_lossy()));
            }
        }
        Ok(keys)
    }
}

impl Storage for DiskStore {
    fn get(&self, key: &str) -> io::Result<Option<Bytes>> {
        self.read_blob(key)
    }

    fn put(&self, key: &str, value: Bytes) -> io::Result<()> {
        self.write_blob(key, &value)
    }

    fn remove(&self, key: &str) -> io::Result<()> {
        fs::remove_file(self.path_of(key))
    }
}
