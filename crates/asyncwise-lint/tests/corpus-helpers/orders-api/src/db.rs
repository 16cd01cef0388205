//! SQLite access. rusqlite is synchronous: every method here blocks its thread.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{params, Connection, ErrorCode, OptionalExtension};
use serde::Serialize;

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS orders (
    id INTEGER PRIMARY KEY,
    customer TEXT NOT NULL,
    total_cents INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'open'
)";

#[derive(Debug, Clone, Serialize)]
pub struct Order {
    pub id: i64,
    pub customer: String,
    pub total_cents: i64,
    pub status: String,
}

pub struct Db {
    path: PathBuf,
}

impl Db {
    pub fn open(path: &Path) -> rusqlite::Result<Db> {
        let conn = Connection::open(path)?;
        conn.execute_batch(SCHEMA)?;
        Ok(Db { path: path.to_owned() })
    }

    // One connection per call keeps the handlers free of a shared lock.
    fn connect(&self) -> rusqlite::Result<Connection> {
        let conn = Connection::open(&self.path)?;
        conn.busy_timeout(Duration::from_secs(2))?;
        Ok(conn)
    }

    pub fn find_order(&self, id: i64) -> rusqlite::Result<Option<Order>> {
        let conn = self.connect()?;
        conn.query_row(
            "SELECT id, customer, total_cents, status FROM orders WHERE id = ?1",
            params![id],
            |row| {
                Ok(Order {
                    id: row.get(0)?,
                    customer: row.get(1)?,
                    total_cents: row.get(2)?,
                    status: row.get(3)?,
                })
            },
        )
        .optional()
    }

    pub fn insert_order(&self, customer: &str, total_cents: i64) -> rusqlite::Result<i64> {
        with_busy_retry(|| {
            let conn = self.connect()?;
            conn.execute(
                "INSERT INTO orders (customer, total_cents) VALUES (?1, ?2)",
                params![customer, total_cents],
            )?;
            Ok(conn.last_insert_rowid())
        })
    }

    pub fn vacuum(&self) -> rusqlite::Result<()> {
        self.connect()?.execute_batch("VACUUM")
    }

    /// For the load balancer's health check.
    pub async fn healthy(&self) -> bool {
        self.connect().is_ok() // @helper //~ blocking_in_async
    }
}

// SQLITE_BUSY survives the busy timeout under heavy write load: wait and try a few more times.
fn with_busy_retry<T>(mut op: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let mut attempt = 0;
    loop {
        match op() {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == ErrorCode::DatabaseBusy && attempt < 3 =>
            {
                attempt += 1;
                std::thread::sleep(Duration::from_millis(50 * attempt));
            }
            other => return other,
        }
    }
}
