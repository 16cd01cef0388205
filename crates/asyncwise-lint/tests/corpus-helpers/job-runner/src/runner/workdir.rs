//! Work directories: created per job, artifacts copied out, removed afterwards.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::Runner;
use crate::fsutil::copy_dir;
use crate::spec::JobSpec;

impl Runner {
    pub(crate) fn prepare_workdir(&self, spec: &JobSpec) -> io::Result<PathBuf> {
        let dir = self.root.join("work").join(&spec.name);
        if dir.exists() {
            fs::remove_dir_all(&dir)?;
        }
        copy_dir(&spec.source, &dir)?;
        Ok(dir)
    }

    pub(crate) fn collect_artifacts(&self, spec: &JobSpec, dir: &Path) -> io::Result<()> {
        let out = self.root.join("artifacts").join(&spec.name);
        fs::create_dir_all(&out)?;
        for name in &spec.artifacts {
            fs::copy(dir.join(name), out.join(name))?;
        }
        Ok(())
    }

    pub(crate) fn cleanup(dir: &Path) -> io::Result<()> {
        fs::remove_dir_all(dir)
    }
}
