//! SQLite storage behind a small connection pool.
//!
//! `rusqlite` is synchronous, so every query runs on the blocking pool via
//! [`tokio::task::spawn_blocking`]. Connections are checked out with a
//! semaphore permit so at most `max_connections` queries run at once.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::{debug, info, instrument};

const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_init", include_str!("../migrations/0001_init.sql")),
    ("0002_tags", include_str!("../migrations/0002_tags.sql")),
];

const WARMUP_CONNECTIONS: usize = 2;

#[derive(Debug, Error)]
pub enum DbError {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error("creating data directory {path}: {source}")]
    DataDir { path: PathBuf, source: std::io::Error },
    #[error("pool closed")]
    Closed,
    #[error("blocking task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

pub type DbResult<T> = Result<T, DbError>;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DbConfig {
    pub path: PathBuf,
    #[serde(default = "default_max")]
    pub max_connections: usize,
    #[serde(default)]
    pub read_only: bool,
    #[serde(default = "default_busy_timeout_ms")]
    pub busy_timeout_ms: u64,
}

fn default_max() -> usize {
    4
}

fn default_busy_timeout_ms() -> u64 {
    5_000
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
}

/// A connection checked out of the pool. Returned on drop.
pub struct PooledConn {
    conn: Option<Connection>,
    pool: Arc<Inner>,
    _permit: OwnedSemaphorePermit,
}

impl Drop for PooledConn {
    fn drop(&mut self) {
        if let Some(c) = self.conn.take() {
            self.pool.idle.lock().unwrap().push(c);
        }
    }
}

struct Inner {
    config: DbConfig,
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
}

#[derive(Clone)]
pub struct Pool {
    inner: Arc<Inner>,
}

impl Pool {
    /// Creates the data directory and runs migrations. Called once at
    /// start-up, before the server is listening, from a blocking context.
    pub fn open_blocking(config: DbConfig) -> DbResult<Self> {
        if let Some(dir) = config.path.parent() {
            fs::create_dir_all(dir).map_err(|source| DbError::DataDir {
                path: dir.to_owned(),
                source,
            })?;
        }
        let conn = open_conn(&config)?;
        migrate(&conn)?;
        let permits = Arc::new(Semaphore::new(config.max_connections));
        let inner = Arc::new(Inner {
            idle: Mutex::new(vec![conn]),
            permits,
            config,
        });
        Ok(Self { inner })
    }

    /// Async wrapper around [`Pool::open_blocking`].
    pub async fn open(config: DbConfig) -> DbResult<Self> {
        let pool = tokio::task::spawn_blocking(move || Self::open_blocking(config)).await??;
        pool.warm_up().await?;
        Ok(pool)
    }

    async fn warm_up(&self) -> DbResult<()> {
        let mut handles = Vec::with_capacity(WARMUP_CONNECTIONS);
        for _ in 0..WARMUP_CONNECTIONS {
            let cfg = self.inner.config.clone();
            handles.push(tokio::spawn(async move {
                tokio::task::spawn_blocking(move || open_conn(&cfg)).await?
            }));
        }
        for h in handles {
            let conn = h.await??;
            self.inner.idle.lock().unwrap().push(conn);
        }
        debug!(idle = self.idle_count(), "pool warmed up");
        Ok(())
    }

    pub fn idle_count(&self) -> usize {
        self.inner.idle.lock().unwrap().len()
    }

    async fn checkout(&self) -> DbResult<PooledConn> {
        let permit = self
            .inner
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| DbError::Closed)?;
        let existing = self.inner.idle.lock().unwrap().pop();
        let conn = match existing {
            Some(c) => c,
            None => {
                let cfg = self.inner.config.clone();
                tokio::task::spawn_blocking(move || open_conn(&cfg)).await??
            }
        };
        Ok(PooledConn { conn: Some(conn), pool: self.inner.clone(), _permit: permit })
    }

    /// Runs `f` with a pooled connection on the blocking pool.
    pub async fn with_conn<F, T>(&self, f: F) -> DbResult<T>
    where
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let mut pooled = self.checkout().await?;
        tokio::task::spawn_blocking(move || {
            let conn = pooled.conn.as_ref().expect("checked-out connection");
            let out = f(conn);
            drop(pooled);
            out.map_err(DbError::from)
        })
        .await?
    }

    #[instrument(skip(self))]
    pub async fn get_note(&self, id: i64) -> DbResult<Option<Note>> {
        self.with_conn(move |c| {
            c.query_row(
                "SELECT id, title, body, tags FROM notes WHERE id = ?1",
                params![id],
                |row| {
                    let tags: String = row.get(3)?;
                    Ok(Note {
                        id: row.get(0)?,
                        title: row.get(1)?,
                        body: row.get(2)?,
                        tags: tags.split(',').filter(|t| !t.is_empty()).map(String::from).collect(),
                    })
                },
            )
            .optional()
        })
        .await
    }

    pub async fn insert_note(&self, title: String, body: String, tags: Vec<String>) -> DbResult<i64> {
        self.with_conn(move |c| {
            c.execute(
                "INSERT INTO notes (title, body, tags) VALUES (?1, ?2, ?3)",
                params![title, body, tags.join(",")],
            )?;
            Ok(c.last_insert_rowid())
        })
        .await
    }

    /// Copies the database file for a backup. Uses SQLite's online backup
    /// so writers are not blocked for long.
    pub async fn backup_to(&self, dest: &Path) -> DbResult<()> {
        let dest = dest.to_owned();
        self.with_conn(move |c| {
            let mut out = Connection::open(&dest)?;
            let backup = rusqlite::backup::Backup::new(c, &mut out)?;
            backup.run_to_completion(64, Duration::from_millis(10), None)
        })
        .await?;
        info!("backup complete");
        Ok(())
    }

    /// Vacuum in place. `block_in_place` keeps the connection on this worker.
    pub fn vacuum_in_place(&self) -> DbResult<()> {
        tokio::task::block_in_place(|| {
            let idle = self.inner.idle.lock().unwrap();
            match idle.first() {
                Some(c) => c.execute_batch("VACUUM").map_err(DbError::from),
                None => Ok(()),
            }
        })
    }
}

fn open_conn(config: &DbConfig) -> rusqlite::Result<Connection> {
    let flags = if config.read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE
    };
    let conn = Connection::open_with_flags(&config.path, flags)?;
    conn.busy_timeout(Duration::from_millis(config.busy_timeout_ms))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    Ok(conn)
}

fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY)")?;
    for (name, sql) in MIGRATIONS {
        let done: Option<String> = conn
            .query_row("SELECT name FROM _migrations WHERE name = ?1", [name], |r| r.get(0))
            .optional()?;
        if done.is_none() {
            conn.execute_batch(sql)?;
            conn.execute("INSERT INTO _migrations (name) VALUES (?1)", [name])?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(dir: &Path) -> DbConfig {
        DbConfig {
            path: dir.join("notes.db"),
            max_connections: 2,
            read_only: false,
            busy_timeout_ms: 100,
        }
    }

    #[test]
    fn open_creates_directory() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        let pool = Pool::open_blocking(cfg(&nested)).unwrap();
        assert!(fs::metadata(nested.join("notes.db")).is_ok());
        assert_eq!(pool.idle_count(), 1);
    }

    #[tokio::test]
    async fn roundtrip_note() {
        let dir = tempfile::tempdir().unwrap();
        let pool = Pool::open(cfg(dir.path())).await.unwrap();
        let id = pool
            .insert_note("t".into(), "b".into(), vec!["x".into(), "y".into()])
            .await
            .unwrap();
        let note = pool.get_note(id).await.unwrap().unwrap();
        assert_eq!(note.tags, vec!["x", "y"]);
    }
}
