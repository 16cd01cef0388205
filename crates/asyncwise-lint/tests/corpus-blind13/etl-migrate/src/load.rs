use std::path::PathBuf;
use std::sync::Mutex;

use tokio::sync::mpsc::UnboundedReceiver;
use tokio_postgres::Row;

pub struct Loader {
    conn: Mutex<postgres::Client>,
    checkpoint: PathBuf,
}

impl Loader {
    pub fn connect(url: &str, checkpoint: PathBuf) -> anyhow::Result<Loader> {
        let conn = postgres::Client::connect(url, postgres::NoTls)?;
        Ok(Loader {
            conn: Mutex::new(conn),
            checkpoint,
        })
    }

    pub async fn load_rows(&self, mut rows: UnboundedReceiver<(String, Row)>) -> anyhow::Result<u64> {
        let mut batch: Vec<(String, Row)> = Vec::with_capacity(1000);
        let mut total = 0;
        while let Some(item) = rows.recv().await {
            batch.push(item);
            if batch.len() >= 1000 {
                total += self.flush(&mut batch)?; // @helper //~ blocking_in_async
                self.write_checkpoint(total)?; // @helper //~ blocking_in_async(pedantic)
            }
        }
        total += self.flush(&mut batch)?; // @helper //~ blocking_in_async
        Ok(total)
    }

    fn flush(&self, batch: &mut Vec<(String, Row)>) -> anyhow::Result<u64> {
        let mut conn = self.conn.lock().unwrap();
        let mut tx = conn.transaction()?;
        for (table, row) in batch.drain(..) {
            let json: serde_json::Value = row.try_get(0).unwrap_or(serde_json::Value::Null);
            tx.execute(&format!("INSERT INTO {table}_staging (doc) VALUES ($1)"), &[&json])?;
        }
        tx.commit()?;
        Ok(1000)
    }

    fn write_checkpoint(&self, total: u64) -> std::io::Result<()> {
        std::fs::write(&self.checkpoint, total.to_string())
    }
}

/// Row counts are printed after a run; nothing waits on them.
pub fn summarise(counts: &[(String, u64)]) -> String {
    counts.iter().map(|(t, n)| format!("{t}: {n}")).collect::<Vec<_>>().join("\n")
}
