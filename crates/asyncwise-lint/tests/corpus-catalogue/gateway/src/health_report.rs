//! Catalogue corpus: the gateway's health report — gathers storage, cluster, dependency and
//! latency facts for the `/status` page and the `gatewayctl status` command.
//! Focus: sequential_await (more independent runs, loop forms, and ordered sequences).

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, Mutex};

use crate::Result;

pub struct Storage;
pub struct Cluster;
pub struct Prober;
pub struct Registry;
pub struct AdvisoryDb;
pub struct DownloadStats;

impl Storage {
    pub async fn usage(&self) -> Result<u64> {
        Ok(0)
    }
}
impl Cluster {
    pub async fn members(&self) -> Result<Vec<String>> {
        Ok(Vec::new())
    }
}
impl Prober {
    pub async fn measure(&self, region: &str) -> Duration {
        Duration::from_millis(region.len() as u64)
    }
}
impl Registry {
    pub async fn latest(&self, name: &str) -> Result<String> {
        Ok(format!("{name}-1.0"))
    }
}
impl AdvisoryDb {
    pub async fn lookup(&self, _name: &str) -> Result<Vec<String>> {
        Ok(Vec::new())
    }
}
impl DownloadStats {
    pub async fn downloads(&self, _name: &str) -> Result<u64> {
        Ok(0)
    }
}

#[derive(Debug, Default)]
pub struct Report {
    pub disk: u64,
    pub peers: Vec<String>,
    pub latencies: BTreeMap<String, Duration>,
}

pub struct HealthReporter {
    storage: Storage,
    cluster: Cluster,
    prober: Prober,
    last: Mutex<Option<Report>>,
}

impl HealthReporter {
    /// Storage and cluster are asked one after the other.
    pub async fn report(&self, regions: &[String]) -> Result<Report> {
        let disk = self.storage.usage().await?; //~ sequential_await
        let peers = self.cluster.members().await?;
        let mut latencies = BTreeMap::new();
        for region in regions {
            let latency = self.prober.measure(region).await; //~ sequential_await
            latencies.insert(region.clone(), latency);
        }
        Ok(Report { disk, peers, latencies })
    }

    /// The cached report is updated under its lock while the new one is gathered.
    pub async fn refresh(&self, regions: &[String]) -> Result<()> {
        let mut last = self.last.lock().await;
        let fresh = self.report(regions).await?;
        *last = Some(fresh);
        Ok(())
    }

    /// Already concurrent.
    pub async fn quick(&self) -> Result<(u64, usize)> {
        let (disk, peers) = tokio::try_join!(self.storage.usage(), self.cluster.members())?;
        Ok((disk, peers.len()))
    }
}

/// Everything `gatewayctl deps NAME` prints, gathered one service at a time.
pub async fn dependency_facts(registry: &Registry, advisories: &AdvisoryDb, stats: &DownloadStats, name: &str) -> Result<String> {
    let latest = registry.latest(name).await?; //~ sequential_await
    let issues = advisories.lookup(name).await?;
    let downloads = stats.downloads(name).await?;
    Ok(format!("{latest}: {} advisories, {downloads} downloads", issues.len()))
}

/// Writes a request and reads its reply on the same connection: ordered by the connection.
pub async fn ask_peer(stream: TcpStream, question: &str) -> Result<String> {
    let (read_half, mut write_half) = stream.into_split();
    let mut reader = BufReader::new(read_half);
    write_half.write_all(question.as_bytes()).await?;
    write_half.flush().await?;
    let mut answer = String::new();
    let _n = reader.read_line(&mut answer).await?;
    Ok(answer)
}

/// Request/response over an actor's mailbox: the send must come before the reply.
pub async fn ask_actor(mailbox: &mpsc::Sender<(String, oneshot::Sender<u64>)>, key: &str) -> Option<u64> {
    let (reply_tx, reply_rx) = oneshot::channel();
    let sent = mailbox.send((key.to_string(), reply_tx)).await;
    let value = reply_rx.await.ok();
    sent.ok().and(value)
}

/// Effects done in order with plain statements: not `let`s, not a run.
pub async fn rotate_logs(storage: &Storage, cluster: &Cluster) -> Result<()> {
    storage.usage().await?;
    cluster.members().await?;
    tokio::time::sleep(Duration::from_millis(50)).await;
    Ok(())
}

/// Lines written one after another to one output: shared `&mut` writer, order matters.
pub async fn write_report(out: &mut TcpStream, report: &Report) -> Result<()> {
    for (region, latency) in &report.latencies {
        let line = format!("{region} {}ms\n", latency.as_millis());
        out.write_all(line.as_bytes()).await?;
    }
    Ok(())
}

/// Probes each region, but each probe is paced after the one before.
pub async fn paced_probe(prober: &Prober, regions: &[String]) -> Vec<Duration> {
    let mut out = Vec::new();
    let mut pause = Duration::from_millis(1);
    for region in regions {
        tokio::time::sleep(pause).await;
        let latency = prober.measure(region).await;
        pause = latency / 2;
        out.push(latency);
    }
    out
}
