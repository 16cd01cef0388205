//! Ledger gRPC service (tonic) with a pluggable journal store.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex as PlMutex;
use tokio::sync::{mpsc, RwLock};
use tokio::task::JoinSet;
use tokio_stream::{wrappers::ReceiverStream, Stream};
use tonic::{transport::Server, Request, Response, Status};

pub mod pb {
    tonic::include_proto!("ledger.v1");
}

use pb::ledger_server::{Ledger, LedgerServer};
use pb::{Balance, Entry, GetBalanceRequest, PostEntryReply, PostEntryRequest, WatchRequest};

type EntryStream = Pin<Box<dyn Stream<Item = Result<Entry, Status>> + Send>>;

#[derive(Clone, Default, Debug)]
pub struct Metrics {
    posted: u64,
    watchers: u64,
}

#[tonic::async_trait]
pub trait JournalStore: Send + Sync + 'static {
    async fn append(&self, account: &str, amount: i64) -> std::io::Result<()>;
    async fn tail(&self, from: usize) -> mpsc::Receiver<Entry>;
}

pub struct LedgerService {
    balances: RwLock<BTreeMap<String, i64>>,
    journal: Arc<PlMutex<Vec<Entry>>>,
    metrics: Arc<PlMutex<Metrics>>,
    store: Arc<dyn JournalStore>,
}

#[tonic::async_trait]
impl Ledger for LedgerService {
    async fn post_entry(
        &self,
        req: Request<PostEntryRequest>,
    ) -> Result<Response<PostEntryReply>, Status> {
        let req = req.into_inner();
        {
            let mut journal = self.journal.lock();
            let seq = journal.len() as u64;
            journal.push(Entry { account: req.account.clone(), amount: req.amount, seq });
        }
        let mut balances = self.balances.write().await;
        *balances.entry(req.account.clone()).or_default() += req.amount;
        self.store
            .append(&req.account, req.amount)
            .await
            .map_err(|e| Status::internal(e.to_string()))?;
        drop(balances);
        self.metrics.lock().posted += 1;
        Ok(Response::new(PostEntryReply { accepted: true }))
    }

    async fn get_balance(
        &self,
        req: Request<GetBalanceRequest>,
    ) -> Result<Response<Balance>, Status> {
        let account = req.into_inner().account;
        let cents = self.balances.read().await.get(&account).copied().unwrap_or(0);
        if cents == 0 {
            // legacy fallback: the old ledger only has a blocking client wrapper
            let body = reqwest::blocking::get(format!("http://legacy-ledger/balance/{account}")) //~ blocking_in_async
                .map_err(|e| Status::unavailable(e.to_string()))?
                .text()
                .map_err(|e| Status::internal(e.to_string()))?;
            let cents = body.trim().parse().unwrap_or(0);
            return Ok(Response::new(Balance { account, cents }));
        }
        Ok(Response::new(Balance { account, cents }))
    }

    type WatchStream = EntryStream;

    async fn watch(&self, req: Request<WatchRequest>) -> Result<Response<Self::WatchStream>, Status> {
        let from = req.into_inner().from_seq as usize;
        let backlog: Vec<Entry> = self.journal.lock().iter().skip(from).cloned().collect();
        self.metrics.lock().watchers += 1;
        let (tx, rx) = mpsc::channel(128);
        let store = self.store.clone();
        tokio::spawn(async move { //~ detached_task
            for entry in backlog {
                tx.send(Ok(entry)).await.expect("watcher went away");
            }
            let mut tail = store.tail(from).await;
            while let Some(entry) = tail.recv().await {
                if tx.send(Ok(entry)).await.is_err() {
                    break;
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx)) as Self::WatchStream))
    }
}

pub struct FileStore {
    path: PathBuf,
}

#[tonic::async_trait]
impl JournalStore for FileStore {
    async fn append(&self, account: &str, amount: i64) -> std::io::Result<()> {
        let path = self.path.clone();
        let line = format!("{account},{amount}\n");
        tokio::task::spawn_blocking(move || {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new().append(true).create(true).open(&path)?;
            f.write_all(line.as_bytes())?;
            f.sync_data()
        })
        .await?
    }

    async fn tail(&self, from: usize) -> mpsc::Receiver<Entry> {
        let (tx, rx) = mpsc::channel(64);
        let raw = std::fs::read_to_string(&self.path).unwrap_or_default(); //~ blocking_in_async
        tokio::spawn(async move {
            for (seq, line) in raw.lines().enumerate().skip(from) {
                let Some((account, amount)) = line.split_once(',') else {
                    continue;
                };
                let entry = Entry {
                    account: account.to_string(),
                    amount: amount.parse().unwrap_or(0),
                    seq: seq as u64,
                };
                if tx.send(entry).await.is_err() {
                    return;
                }
            }
        });
        rx
    }
}

async fn compact_journal(path: PathBuf) -> std::io::Result<()> {
    let raw = tokio::fs::read_to_string(&path).await?;
    let mut net: BTreeMap<&str, i64> = BTreeMap::new();
    for line in raw.lines() {
        if let Some((acct, amt)) = line.split_once(',') {
            *net.entry(acct).or_default() += amt.parse::<i64>().unwrap_or(0);
        }
    }
    let out: String = net.iter().map(|(a, n)| format!("{a},{n}\n")).collect();
    tokio::fs::write(path.with_extension("compact"), out).await
}

async fn report_metrics(m: Arc<PlMutex<Metrics>>) {
    let mut tick = tokio::time::interval(Duration::from_secs(10));
    loop {
        tick.tick().await;
        let snapshot = m.lock().clone();
        log::info!("ledger metrics: {:?}", snapshot);
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = "[::1]:50051".parse()?;
    let journal_path = PathBuf::from("/var/lib/ledger/journal.csv");
    let svc = LedgerService {
        balances: RwLock::new(BTreeMap::new()),
        journal: Arc::new(PlMutex::new(Vec::new())),
        metrics: Arc::new(PlMutex::new(Metrics::default())),
        store: Arc::new(FileStore { path: journal_path.clone() }),
    };
    let on_disk: Vec<u64> = ["journal.csv", "journal.compact"]
        .iter()
        .map(|f| std::fs::metadata(journal_path.with_file_name(f)).map(|m| m.len()).unwrap_or(0)) //~ blocking_in_async
        .collect();
    log::info!("journal files on disk: {:?}", on_disk);
    tokio::spawn(report_metrics(svc.metrics.clone()));
    tokio::spawn(compact_journal(journal_path.clone())); //~ detached_task
    let compaction = tokio::spawn(compact_journal(journal_path));
    let mut warmups = JoinSet::new();
    for acct in std::env::var("LEDGER_WARM_ACCOUNTS").unwrap_or_default().split(',') {
        let store = svc.store.clone();
        let from = acct.len();
        warmups.spawn(async move { store.tail(from).await.recv().await }); //~ unbounded_spawn
    }
    while warmups.join_next().await.is_some() {}
    Server::builder()
        .add_service(LedgerServer::new(svc))
        .serve(addr)
        .await?;
    compaction.await??;
    Ok(())
}
