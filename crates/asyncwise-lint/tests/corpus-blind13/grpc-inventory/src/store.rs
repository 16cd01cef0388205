//! SQLite-backed stock table. Synchronous on purpose: the service wraps it.

use rusqlite::{params, Connection, OptionalExtension};
use std::sync::Mutex;

pub struct Store {
    conn: Mutex<Connection>,
}

impl Store {
    pub fn open(path: &str) -> rusqlite::Result<Self> {
        let conn = Connection::open(path)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS items (sku TEXT PRIMARY KEY, qty INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS operators (name TEXT PRIMARY KEY, phc TEXT NOT NULL);",
        )?;
        Ok(Store {
            conn: Mutex::new(conn),
        })
    }

    pub fn quantity(&self, sku: &str) -> rusqlite::Result<Option<i64>> {
        let conn = self.conn.lock().unwrap();
        conn.query_row("SELECT qty FROM items WHERE sku = ?1", params![sku], |r| {
            r.get(0)
        })
        .optional()
    }

    pub fn adjust(&self, sku: &str, delta: i64) -> rusqlite::Result<i64> {
        let conn = self.conn.lock().unwrap();
        conn.execute(
            "INSERT INTO items (sku, qty) VALUES (?1, ?2)
             ON CONFLICT(sku) DO UPDATE SET qty = qty + ?2",
            params![sku, delta],
        )?;
        conn.query_row("SELECT qty FROM items WHERE sku = ?1", params![sku], |r| {
            r.get(0)
        })
    }

    pub fn operator_hash(&self, name: &str) -> rusqlite::Result<Option<String>> {
        let conn = self.conn.lock().unwrap();
        conn.query_row(
            "SELECT phc FROM operators WHERE name = ?1",
            params![name],
            |r| r.get(0),
        )
        .optional()
    }
}

/// Normalises a SKU as the warehouse scanners print it.
pub fn sku_key(raw: &str) -> String {
    raw.trim().to_ascii_uppercase().replace(' ', "-")
}
