//! The checkpoint: how many steps are done, kept in a file so a rerun resumes.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const CHECKPOINT_FILE: &str = ".deploy-checkpoint";

pub struct Checkpoint {
    done: AtomicUsize,
}

impl Checkpoint {
    pub fn shared() -> Arc<Checkpoint> {
        let done = std::fs::read_to_string(CHECKPOINT_FILE)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        Arc::new(Checkpoint {
            done: AtomicUsize::new(done),
        })
    }

    pub fn done(&self) -> usize {
        self.done.load(Ordering::SeqCst)
    }

    pub fn advance(&self) {
        self.done.fetch_add(1, Ordering::SeqCst);
    }
}

pub fn save_checkpoint(cp: &Checkpoint) {
    let _ = std::fs::write(Path::new(CHECKPOINT_FILE), cp.done().to_string());
}
