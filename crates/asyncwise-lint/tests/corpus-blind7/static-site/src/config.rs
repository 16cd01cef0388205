use std::path::PathBuf;

use anyhow::bail;

pub struct SiteConfig {
    pub root: PathBuf,
    pub cache_dir: PathBuf,
    pub catalog_file: PathBuf,
    pub index: String,
}

impl SiteConfig {
    pub fn from_env() -> Self {
        let root = PathBuf::from(std::env::var("SITE_ROOT").unwrap_or_else(|_| "public".into()));
        let cache_dir = root.join(".cache");
        let catalog_file = root.join("catalog.json");
        Self { root, cache_dir, catalog_file, index: "index.html".into() }
    }

    /// Refuses to start on a root that is missing or not a directory.
    pub fn validate(&self) -> anyhow::Result<()> {
        if !self.root.is_dir() {
            bail!("site root {} is not a directory", self.root.display());
        }
        if self.index.contains('/') {
            bail!("index must be a file name");
        }
        Ok(())
    }

    /// Pure: where the rendered copy of a page is cached.
    pub fn cached_copy(&self, rel: &str) -> PathBuf {
        let mut name = self.cache_dir.join(rel);
        name.set_extension("gz");
        name
    }
}
