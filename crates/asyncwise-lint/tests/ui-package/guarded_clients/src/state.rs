//! Declares the shared state: a SQLite connection behind a std lock, an async Postgres client
//! behind a tokio lock, and a lock around this crate's own type.

use std::sync::{Arc, Mutex};

pub struct Labels {
    names: Vec<String>,
}

impl Labels {
    /// Shares its name with `rusqlite::Connection::execute`, but keeps a list in memory.
    pub fn execute(&mut self, name: &str) -> usize {
        self.names.push(name.to_string());
        self.names.len()
    }
}

#[derive(Clone)]
pub struct AppState {
    pub db: Arc<Mutex<rusqlite::Connection>>,
    pub events: Arc<tokio::sync::Mutex<tokio_postgres::Client>>,
    pub labels: Arc<Mutex<Labels>>,
}

impl AppState {
    pub async fn open(path: &str) -> anyhow::Result<Self> {
        let conn = tokio::task::spawn_blocking({
            let path = path.to_string();
            move || rusqlite::Connection::open(path)
        })
        .await??;
        let (client, connection) =
            tokio_postgres::connect("host=localhost", tokio_postgres::NoTls).await?;
        tokio::spawn(async move { connection.await });
        Ok(Self {
            db: Arc::new(Mutex::new(conn)),
            events: Arc::new(tokio::sync::Mutex::new(client)),
            labels: Arc::new(Mutex::new(Labels { names: Vec::new() })),
        })
    }
}
