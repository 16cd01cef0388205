//! Declares the types the other files reach through locals, extractors and fields.

use std::path::{Path, PathBuf};

pub struct Settings {
    pub root: PathBuf,
    pub spool: PathBuf,
    pub pages: crate::pages::Pages,
}

impl Settings {
    /// Returns `Self` inside a `Result`: callers in other files get a `Settings`.
    pub fn from_env() -> anyhow::Result<Self> {
        let root = PathBuf::from(std::env::var("ROOT")?);
        let spool = root.join("spool");
        Ok(Self { root, spool, pages: crate::pages::Pages::default() })
    }

    pub fn fallback() -> Settings {
        Settings { root: "public".into(), spool: "spool".into(), pages: Default::default() }
    }

    /// Blocks: a sync helper that asks the filesystem.
    pub fn usable(&self) -> bool {
        self.root.is_dir()
    }

    /// Pure: hands out a path.
    pub fn spool_dir(&self) -> &Path {
        &self.spool
    }
}
