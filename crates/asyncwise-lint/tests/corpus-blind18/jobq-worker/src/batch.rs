use std::sync::Mutex;
use std::time::Duration;

use prometheus::IntGauge;
use tokio::fs::File;
use tokio::io::AsyncWriteExt;

use crate::jobs::Job;

/// Where finished jobs are journalled.
pub struct Journal {
    file: File,
}

impl Journal {
    pub async fn append(&mut self, jobs: &[Job]) -> std::io::Result<()> {
        for job in jobs {
            self.file.write_all(job.id.as_bytes()).await?;
            self.file.write_all(b"\n").await?;
        }
        Ok(())
    }

    pub async fn sync(&self) -> std::io::Result<()> {
        self.file.sync_data().await
    }
}

/// Collects finished jobs and journals them in batches.
pub struct Batcher {
    done: Mutex<Vec<Job>>,
    journal: Journal,
    draining: IntGauge,
}

impl Batcher {
    pub fn add(&self, job: Job) {
        self.done.lock().unwrap().push(job);
    }

    /// Journals the batch; `&mut self` means nobody else can reach `done` meanwhile.
    pub async fn flush(&mut self) -> std::io::Result<()> {
        let mut done = self.done.lock().unwrap(); //~ lock_across_await(pedantic)
        self.journal.append(&done).await?;
        done.clear();
        Ok(())
    }

    /// Takes the batch out first, then journals it.
    pub async fn flush_taken(&mut self) -> std::io::Result<()> {
        let batch = std::mem::take(&mut *self.done.lock().unwrap());
        self.journal.append(&batch).await
    }

    /// Waits for the journal to reach the disk, at most `deadline`.
    pub async fn settle(&self, deadline: Duration) {
        tokio::select! {
            _ = async {
                self.draining.inc();
                if let Err(e) = self.journal.sync().await {
                    tracing::warn!("journal sync: {e}");
                }
                self.draining.dec(); //~ cleanup_after_await
            } => {}
            _ = tokio::time::sleep(deadline) => tracing::warn!("journal sync timed out"),
        }
    }
}
