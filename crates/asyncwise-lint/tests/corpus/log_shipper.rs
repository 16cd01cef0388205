//! Batching log shipper: tails stdin and a file, ships batches to a broker.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::signal::ctrl_c;
use tokio::sync::{mpsc, watch};

mod config {
    use std::path::PathBuf;
    use std::time::Duration;

    pub struct ShipperConfig {
        pub brokers: Vec<String>,
        pub topic: String,
        pub batch_size: usize,
        pub linger: Duration,
        pub spool_dir: PathBuf,
    }
}

/// Spool helpers; deliberately named `fs`, this is not `std::fs`.
mod fs {
    use std::path::Path;

    pub async fn append(dir: &Path, payload: &[u8]) -> std::io::Result<()> {
        let name = dir.join(format!("{}.spool", chrono::Utc::now().timestamp_millis()));
        tokio::fs::write(name, payload).await
    }

    pub async fn read_dir(dir: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
        let mut out = Vec::new();
        let mut rd = tokio::fs::read_dir(dir).await?;
        while let Some(e) = rd.next_entry().await? {
            out.push(e.path());
        }
        Ok(out)
    }
}

use config::ShipperConfig;

#[derive(Debug, Clone)]
pub struct LogLine {
    raw: String,
}

#[derive(Default, Debug)]
pub struct Stats {
    batches: u64,
    shipped: u64,
    failed: u64,
}

#[async_trait::async_trait]
pub trait Producer: Send + Sync {
    async fn send_batch(&self, topic: &str, lines: &[LogLine]) -> anyhow::Result<()>;
    async fn ping(&self, broker: &str) -> bool;
}

pub struct Shipper {
    cfg: ShipperConfig,
    producer: Arc<dyn Producer>,
    stats: Arc<std::sync::Mutex<Stats>>,
    shutdown: watch::Receiver<bool>,
}

impl Shipper {
    pub async fn run(mut self, mut lines: mpsc::Receiver<LogLine>) -> anyhow::Result<()> {
        let mut batch = Vec::with_capacity(self.cfg.batch_size);
        let mut linger = tokio::time::interval(self.cfg.linger);
        self.replay_spool().await?;
        loop {
            tokio::select! {
                maybe = lines.recv() => match maybe {
                    Some(line) => {
                        batch.push(line);
                        if batch.len() >= self.cfg.batch_size {
                            self.flush(&mut batch).await?;
                        }
                    }
                    None => break,
                },
                _ = linger.tick() => {
                    if !batch.is_empty() {
                        self.flush(&mut batch).await?;
                    }
                }
                _ = self.shutdown.changed() => break,
            }
        }
        self.flush(&mut batch).await
    }

    async fn flush(&self, batch: &mut Vec<LogLine>) -> anyhow::Result<()> {
        let n = batch.len() as u64;
        let mut stats = self.stats.lock().unwrap(); //~ lock_across_await
        stats.batches += 1;
        match self.producer.send_batch(&self.cfg.topic, batch).await {
            Ok(()) => stats.shipped += n,
            Err(e) => {
                stats.failed += n;
                log::warn!("broker rejected batch: {e}");
                let payload: Vec<u8> = batch.iter().flat_map(|l| l.raw.bytes().chain([b'\n'])).collect();
                fs::append(&self.cfg.spool_dir, &payload).await?;
            }
        }
        batch.clear();
        Ok(())
    }

    async fn replay_spool(&self) -> anyhow::Result<()> {
        for file in fs::read_dir(&self.cfg.spool_dir).await? {
            let raw = tokio::fs::read_to_string(&file).await?;
            let lines: Vec<LogLine> = raw.lines().map(|l| LogLine { raw: l.to_string() }).collect();
            self.producer.send_batch(&self.cfg.topic, &lines).await?;
            tokio::fs::remove_file(&file).await?;
        }
        Ok(())
    }

    pub async fn probe_brokers(&self) -> usize {
        let mut probes = Vec::new();
        for broker in &self.cfg.brokers {
            let producer = Arc::clone(&self.producer);
            let broker = broker.clone();
            probes.push(tokio::spawn(async move { producer.ping(&broker).await })); //~ unbounded_spawn
        }
        let mut alive = 0;
        for p in probes {
            if matches!(p.await, Ok(true)) {
                alive += 1;
            }
        }
        alive
    }
}

async fn read_stdin(tx: mpsc::Sender<LogLine>) {
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(raw)) = lines.next_line().await {
        if tx.send(LogLine { raw }).await.is_err() {
            break;
        }
    }
}

fn spawn_file_tailer(path: PathBuf, tx: mpsc::Sender<LogLine>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let (raw_tx, raw_rx) = std::sync::mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for l in text.lines() {
                let _ = raw_tx.send(l.to_string());
            }
        });
        for raw in raw_rx {
            if tx.blocking_send(LogLine { raw }).is_err() {
                break;
            }
        }
        let _ = reader.join();
    })
}

fn build_producer(_brokers: &[String]) -> Arc<dyn Producer> {
    unimplemented!("wired up by the deployment crate")
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let cfg = ShipperConfig {
        brokers: vec!["10.0.0.5:9092".into()],
        topic: "app-logs".into(),
        batch_size: 500,
        linger: Duration::from_millis(250),
        spool_dir: PathBuf::from("/var/spool/shipper"),
    };
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let (line_tx, line_rx) = mpsc::channel(10_000);

    tokio::spawn(async move { //~ detached_task
        ctrl_c().await.expect("install ctrl-c handler");
        let _ = shutdown_tx.send(true);
    });
    tokio::spawn(read_stdin(line_tx.clone()));
    let tailer: std::thread::JoinHandle<()> = spawn_file_tailer(cfg.spool_dir.join("app.log"), line_tx);

    let archive = async move |path: PathBuf| -> std::io::Result<usize> {
        let bytes = tokio::fs::read(&path).await?;
        tokio::fs::write(path.with_extension("archived"), &bytes).await?;
        std::fs::remove_file(&path)?; //~ blocking_in_async
        Ok(bytes.len())
    };
    let archived = archive(cfg.spool_dir.join("stale.spool")).await.unwrap_or(0);
    log::info!("archived {archived} bytes of stale spool");

    let stats = Arc::new(std::sync::Mutex::new(Stats::default()));
    let producer = build_producer(&cfg.brokers);
    let shipper = Shipper { cfg, producer, stats: stats.clone(), shutdown: shutdown_rx };
    if shipper.probe_brokers().await == 0 {
        let pending = pollster::block_on(shipper.producer.ping("10.0.0.6:9092")); //~ block_on_in_async
        log::warn!("no primary broker reachable; fallback alive = {pending}");
    }
    let res = shipper.run(line_rx).await;
    tailer.join().expect("tailer panicked"); //~ blocking_in_async
    log::info!("final stats: {:?}", stats.lock().unwrap());
    res
}
