use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

use crate::audit::AuditLog;

pub struct Session {
    pub account: u64,
    pub expires_at: u64,
}

pub struct AppState {
    pub db: Arc<Mutex<Connection>>,
    pub sessions: tokio::sync::Mutex<HashMap<String, Session>>, //~ async_mutex_unneeded
    pub rates: tokio::sync::RwLock<HashMap<String, f64>>,
    pub limits: Mutex<HashMap<u64, u64>>,
    pub inflight: AtomicUsize,
    pub audit: AuditLog,
    pub ledger: crate::routes::LedgerClient,
    pub fx: crate::routes::FxClient,
}

impl AppState {
    pub fn open(database: &str, audit_path: &str) -> anyhow::Result<Self> {
        let conn = Connection::open(database)?;
        Ok(Self {
            db: Arc::new(Mutex::new(conn)),
            sessions: tokio::sync::Mutex::new(HashMap::new()),
            rates: tokio::sync::RwLock::new(HashMap::new()),
            limits: Mutex::new(HashMap::new()),
            inflight: AtomicUsize::new(0),
            audit: AuditLog::new(audit_path),
            ledger: crate::routes::LedgerClient::default(),
            fx: crate::routes::FxClient::default(),
        })
    }

    /// Counts a request as in flight until the guard is dropped, also when the handler's
    /// future is dropped half-way.
    pub fn track(&self) -> InflightGuard<'_> {
        self.inflight.fetch_add(1, Ordering::Relaxed);
        InflightGuard { state: self }
    }
}

pub struct InflightGuard<'a> {
    state: &'a AppState,
}

impl Drop for InflightGuard<'_> {
    fn drop(&mut self) {
        self.state.inflight.fetch_sub(1, Ordering::Relaxed);
    }
}
