use std::path::PathBuf;
use std::time::Duration;

pub struct CheckpointStore {
    path: PathBuf,
}

impl CheckpointStore {
    pub fn new(path: &str) -> Self {
        Self { path: PathBuf::from(path) }
    }

    pub fn save(&self, job_id: u64) -> std::io::Result<()> {
        let tmp = self.path.with_extension("tmp");
        std::fs::write(&tmp, job_id.to_string())?;
        std::fs::rename(tmp, &self.path)
    }

    pub fn file_name(&self) -> String {
        self.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    }
}

/// Spreads restarts of many workers over a few seconds.
pub fn jitter_pause(worker_id: u64) {
    std::thread::sleep(Duration::from_millis(50 * (worker_id % 20)));
}
