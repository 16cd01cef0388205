//! Buffers samples and ships them in batches.

use std::sync::Mutex;

use crate::parse::Sample;
use crate::sink::Sink;
use crate::spool::Spool;
use crate::AgentConfig;

pub struct Collector {
    samples: Mutex<Vec<Sample>>,
    batch_size: usize,
    sink: Sink,
    spool: Spool,
}

impl Collector {
    pub fn new(cfg: &AgentConfig) -> Collector {
        Collector {
            samples: Mutex::new(Vec::with_capacity(cfg.batch_size)),
            batch_size: cfg.batch_size,
            sink: Sink::new(&cfg.sink_url),
            spool: Spool::new(cfg.spool_dir.clone(), 64),
        }
    }

    /// Puts batches spooled by an earlier run back in the buffer.
    pub fn requeue_spooled(&self) -> std::io::Result<usize> {
        let spooled = self.spool.drain()?;
        let n = spooled.len();
        self.samples.lock().unwrap_or_else(|e| e.into_inner()).extend(spooled);
        Ok(n)
    }

    pub async fn record(&self, sample: Sample) -> anyhow::Result<()> {
        let mut samples = self.samples.lock().unwrap_or_else(|e| e.into_inner()); //~ lock_across_await
        samples.push(sample);
        if samples.len() >= self.batch_size {
            self.sink.send(&samples).await?;
            samples.clear();
        }
        Ok(())
    }

    pub async fn flush(&self) -> anyhow::Result<()> {
        let batch = std::mem::take(&mut *self.samples.lock().unwrap_or_else(|e| e.into_inner()));
        if batch.is_empty() {
            return Ok(());
        }
        if let Err(e) = self.sink.send(&batch).await {
            self.spool.save(&batch)?; // @helper //~ blocking_in_async
            return Err(e);
        }
        Ok(())
    }
}
