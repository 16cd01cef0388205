// Synchronous database clients reached through a lock's guard: the guard of a
// `Mutex<rusqlite::Connection>` (std, parking_lot or tokio, behind `Arc` or not) is used as the
// connection, so `db.lock().unwrap().execute(..)` and `conn.lock().await.query(..)` are the
// client's blocking calls. Readings: the lock's type comes from a struct field of this file,
// a parameter or a static; the guard is used in the same expression or bound by `let`; the
// same calls inside `spawn_blocking` are fine, and an async client behind a lock
// (`tokio_postgres::Client`) or a lock of a type of this crate is not these clients'.
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

pub struct Store {
    db: Mutex<Connection>,
    pg: Arc<tokio::sync::Mutex<postgres::Client>>, //~ async_mutex_unneeded(pedantic)
    fast: parking_lot::Mutex<rusqlite::Connection>,
    async_pg: tokio::sync::Mutex<tokio_postgres::Client>,
    names: Mutex<Names>,
}

pub struct Names {
    known: Vec<String>,
}

impl Names {
    pub fn execute(&mut self, name: &str) -> usize {
        self.known.push(name.to_string());
        self.known.len()
    }
}

static LOG: std::sync::LazyLock<Mutex<Connection>> =
    std::sync::LazyLock::new(|| Mutex::new(Connection::open_in_memory().unwrap()));

impl Store {
    pub async fn add_user(&self, name: String) -> anyhow::Result<()> {
        self.db.lock().unwrap().execute("INSERT INTO users VALUES (?1)", [&name])?; //~ blocking_in_async
        announce(&name).await;
        Ok(())
    }

    pub async fn count(&self) -> anyhow::Result<i64> {
        let conn = self.db.lock().expect("poisoned");
        let n = conn.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?; //~ blocking_in_async
        drop(conn);
        announce("count").await;
        Ok(n)
    }

    pub async fn rows(&self) -> anyhow::Result<u64> {
        let rows = self.pg.lock().await.execute("DELETE FROM stale", &[])?; //~ blocking_in_async
        announce("rows").await;
        Ok(rows)
    }

    pub async fn touch(&self) -> anyhow::Result<()> {
        self.fast.lock().execute_batch("UPDATE seen SET n = n + 1")?; //~ blocking_in_async
        announce("touch").await;
        Ok(())
    }

    pub async fn remote(&self) -> anyhow::Result<u64> {
        // ok: tokio-postgres's client is async; its `execute` is awaited.
        let n = self.async_pg.lock().await.execute("DELETE FROM stale", &[]).await?;
        Ok(n)
    }

    pub async fn remember(&self, name: &str) -> usize {
        // ok: a lock of this crate's own type; `Names::execute` is no database call.
        let n = self.names.lock().unwrap().execute(name);
        announce(name).await;
        n
    }

    pub async fn add_offloaded(self: Arc<Self>, name: String) -> anyhow::Result<()> {
        let store = self.clone();
        // ok: the guard is taken and used on a blocking thread.
        tokio::task::spawn_blocking(move || {
            store.db.lock().unwrap().execute("INSERT INTO users VALUES (?1)", [&name])
        })
        .await??;
        Ok(())
    }
}

pub async fn audit(conn: &Mutex<Connection>, line: &str) -> anyhow::Result<()> {
    conn.lock().unwrap().execute("INSERT INTO audit VALUES (?1)", [line])?; //~ blocking_in_async
    announce(line).await;
    Ok(())
}

pub async fn log(line: &str) -> anyhow::Result<()> {
    LOG.lock().unwrap().execute("INSERT INTO log VALUES (?1)", [line])?; //~ blocking_in_async
    announce(line).await;
    Ok(())
}

pub fn log_sync(line: &str) -> anyhow::Result<()> {
    // ok: a sync function that no async code of this file calls.
    LOG.lock().unwrap().execute("INSERT INTO log VALUES (?1)", [line])?;
    Ok(())
}

async fn announce(_what: &str) {}
