//! Synchronous queries over the shared SQLite connection.

use rusqlite::{params, Connection};

#[derive(serde::Serialize)]
pub struct Account {
    pub id: u64,
    pub owner: String,
    pub balance_cents: i64,
    pub password_hash: String,
}

pub fn find_account(conn: &Connection, id: u64) -> rusqlite::Result<Account> {
    conn.query_row(
        "SELECT id, owner, balance_cents, password_hash FROM accounts WHERE id = ?1",
        params![id],
        |row| {
            Ok(Account {
                id: row.get(0)?,
                owner: row.get(1)?,
                balance_cents: row.get(2)?,
                password_hash: row.get(3)?,
            })
        },
    )
}

pub fn find_by_owner(conn: &Connection, owner: &str) -> rusqlite::Result<Account> {
    let id: u64 = conn.query_row(
        "SELECT id FROM accounts WHERE owner = ?1",
        params![owner],
        |row| row.get(0),
    )?;
    find_account(conn, id)
}

pub fn list(conn: &Connection) -> rusqlite::Result<Vec<Account>> {
    let mut stmt = conn.prepare("SELECT id, owner, balance_cents, '' FROM accounts")?;
    let rows = stmt.query_map([], |row| {
        Ok(Account {
            id: row.get(0)?,
            owner: row.get(1)?,
            balance_cents: row.get(2)?,
            password_hash: String::new(),
        })
    })?;
    rows.collect()
}

/// Pure formatting, no I/O.
pub fn format_cents(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, (cents % 100).abs())
}
