use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub id: i64,
    pub sku: String,
    pub name: String,
    pub quantity: i64,
}

pub struct Db {
    conn: Mutex<Connection>,
}

impl Db {
    pub fn open(path: &str) -> rusqlite::Result<Db> {
        let conn = Connection::open(path)?;
        conn.execute_batch(include_str!("schema.sql"))?;
        Ok(Db { conn: Mutex::new(conn) })
    }

    pub fn item(&self, id: i64) -> rusqlite::Result<Item> {
        let conn = self.conn.lock().unwrap();
        conn.query_row(
            "SELECT id, sku, name, quantity FROM items WHERE id = ?1",
            params![id],
            |row| {
                Ok(Item {
                    id: row.get(0)?,
                    sku: row.get(1)?,
                    name: row.get(2)?,
                    quantity: row.get(3)?,
                })
            },
        )
    }

    pub fn insert(&self, sku: &str, name: &str, quantity: i64) -> rusqlite::Result<i64> {
        let conn = self.conn.lock().unwrap();
        conn.execute(
            "INSERT INTO items (sku, name, quantity) VALUES (?1, ?2, ?3)",
            params![sku, name, quantity],
        )?;
        Ok(conn.last_insert_rowid())
    }

    pub fn password_hash(&self, user: &str) -> rusqlite::Result<String> {
        self.conn.lock().unwrap().query_row(
            "SELECT hash FROM users WHERE name = ?1",
            params![user],
            |row| row.get(0),
        )
    }

    pub fn add_user(&self, user: &str, hash: &str) -> rusqlite::Result<()> {
        self.conn
            .lock()
            .unwrap()
            .execute("INSERT INTO users (name, hash) VALUES (?1, ?2)", params![user, hash])?;
        Ok(())
    }

    /// Writes every item as CSV to `path`.
    pub fn export_csv(&self, path: &Path) -> anyhow::Result<()> {
        let conn = self.conn.lock().unwrap();
        let mut stmt = conn.prepare("SELECT id, sku, name, quantity FROM items ORDER BY id")?;
        let mut out = std::fs::File::create(path)?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            let sku: String = row.get(1)?;
            let name: String = row.get(2)?;
            let qty: i64 = row.get(3)?;
            writeln!(out, "{id},{sku},{name},{qty}")?;
        }
        Ok(())
    }
}
