use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use async_std::sync::Mutex;
use telemetry_core::spool::Spool;
use telemetry_core::Record;

pub struct Agent {
    pub spool: Mutex<Spool>,
    pub last_seen: Mutex<HashMap<String, u64>>, //~ async_mutex_unneeded
    pub shipping: AtomicBool,
    pub alert_path: std::path::PathBuf,
}

impl Agent {
    pub fn new(spool: Spool) -> Self {
        Agent { spool: Mutex::new(spool), last_seen: Mutex::new(HashMap::new()), shipping: AtomicBool::new(false), alert_path: "/var/spool/alerts.jsonl".into() }
    }

    pub async fn accept(&self, record: Record) -> std::io::Result<()> {
        self.last_seen.lock().await.insert(record.host.clone(), record.at_ms);
        let mut spool = self.spool.lock().await;
        spool.append(&record) // @helper //~? blocking_in_async
    }

    pub async fn take_batch(&self) -> std::io::Result<Vec<Record>> {
        let mut spool = self.spool.lock().await;
        let path = spool.path().to_path_buf();
        async_std::fs::metadata(&path).await?;
        spool.drain() // @helper //~? blocking_in_async
    }

    pub fn is_shipping(&self) -> bool {
        self.shipping.load(Ordering::Relaxed)
    }
}
