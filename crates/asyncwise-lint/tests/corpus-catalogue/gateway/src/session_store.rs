//! Catalogue corpus: session state of the gateway — the session table, the live config, request
//! statistics, an append-only journal, and the upstream connection type (its methods live in
//! `upstream_pool.rs`). Focus: async_mutex_unneeded (locks whose guards never meet an await,
//! and locks that need to be async).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::{Mutex, MutexGuard, RwLock};

use crate::Result;

#[derive(Debug, Clone)]
pub struct Session {
    pub user: u64,
    pub expires: Instant,
}

#[derive(Debug, Clone, Default)]
pub struct StoreConfig {
    pub ttl: Duration,
    pub max_sessions: usize,
}

#[derive(Debug, Default)]
pub struct Stats {
    pub created: u64,
    pub expired: u64,
}

/// Ticket numbers handed to new sessions.
static NEXT_TICKET: Mutex<u64> = Mutex::const_new(1); //~ async_mutex_unneeded

pub struct SessionStore {
    sessions: Mutex<HashMap<String, Session>>, //~ async_mutex_unneeded
    config: RwLock<StoreConfig>, //~ async_mutex_unneeded
    stats: Arc<Mutex<Stats>>, //~ async_mutex_unneeded
    journal: Mutex<tokio::fs::File>,
    audit: std::sync::Mutex<Vec<String>>,
}

impl SessionStore {
    pub async fn open(path: &str, config: StoreConfig) -> Result<Self> {
        let file = tokio::fs::OpenOptions::new().append(true).create(true).open(path).await?;
        Ok(SessionStore {
            sessions: Mutex::new(HashMap::new()),
            config: RwLock::new(config),
            stats: Arc::new(Mutex::new(Stats::default())),
            journal: Mutex::new(file),
            audit: std::sync::Mutex::new(Vec::new()),
        })
    }

    pub async fn create(&self, token: String, user: u64) -> Result<u64> {
        let ttl = self.config.read().await.ttl;
        let ticket = {
            let mut next = NEXT_TICKET.lock().await;
            *next += 1;
            *next
        };
        self.sessions.lock().await.insert(token.clone(), Session { user, expires: Instant::now() + ttl });
        {
            let mut stats = self.stats.lock().await;
            stats.created += 1;
        }
        self.append_journal(&format!("create {token} {user} {ticket}")).await?;
        self.audit.lock().unwrap().push(format!("created {ticket}"));
        Ok(ticket)
    }

    pub async fn lookup(&self, token: &str) -> Option<Session> {
        let sessions = self.sessions.lock().await;
        sessions.get(token).filter(|s| s.expires > Instant::now()).cloned()
    }

    pub async fn reload(&self, config: StoreConfig) {
        *self.config.write().await = config;
    }

    pub async fn expire(&self) -> usize {
        let now = Instant::now();
        let removed = {
            let mut sessions = self.sessions.lock().await;
            let before = sessions.len();
            sessions.retain(|_, s| s.expires > now);
            before - sessions.len()
        };
        self.stats.lock().await.expired += removed as u64;
        removed
    }

    /// The journal's guard is held across the write and the flush: an async lock is right.
    async fn append_journal(&self, line: &str) -> Result<()> {
        let mut file = self.journal.lock().await;
        file.write_all(line.as_bytes()).await?;
        file.write_all(b"\n").await?;
        file.flush().await?;
        Ok(())
    }
}

/// One upstream connection shared by request tasks; requests are written whole under the lock
/// (see `upstream_pool.rs`), so the lock must be async.
pub struct UpstreamConn {
    pub(crate) addr: String,
    pub(crate) writer: Mutex<OwnedWriteHalf>,
}

impl UpstreamConn {
    pub fn new(addr: String, writer: OwnedWriteHalf) -> Self {
        UpstreamConn { addr, writer: Mutex::new(writer) }
    }
}

/// Part of the public API: callers lock it themselves.
pub struct SharedCache {
    pub entries: Mutex<HashMap<String, Vec<u8>>>,
}

/// A slot leased to one caller at a time; the guard itself is handed out.
pub struct Lease {
    slot: Mutex<Vec<u8>>,
}

impl Lease {
    pub async fn hold(&self) -> MutexGuard<'_, Vec<u8>> {
        self.slot.lock().await
    }
}

#[derive(Default)]
struct Tally {
    ok: u32,
    failed: u32,
}

async fn count_ok(tally: &Mutex<Tally>, n: u32) {
    tally.lock().await.ok += n;
}

async fn count_failed(tally: &Mutex<Tally>, n: u32) {
    tally.lock().await.failed += n;
}

/// The tally is locked only through parameters of helpers: not decidable here.
pub async fn tally_batch(ok: u32, failed: u32) -> (u32, u32) {
    let tally = Mutex::new(Tally::default());
    tokio::join!(count_ok(&tally, ok), count_failed(&tally, failed));
    let t = tally.into_inner();
    (t.ok, t.failed)
}

/// De-duplicates tokens while warming them; the set's guard ends with its statement.
pub async fn warm_unique(store: &SessionStore, tokens: Vec<String>) -> usize {
    let seen = Mutex::new(HashSet::new()); //~ async_mutex_unneeded
    let mut warmed = 0;
    for token in tokens {
        let fresh = seen.lock().await.insert(token.clone());
        if fresh && store.lookup(&token).await.is_some() {
            warmed += 1;
        }
    }
    warmed
}
