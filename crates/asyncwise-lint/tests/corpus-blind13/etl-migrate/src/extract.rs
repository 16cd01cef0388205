use std::sync::Arc;

use futures::{TryStreamExt, pin_mut};
use tokio::sync::mpsc::UnboundedSender;
use tokio_postgres::{Client, Row};

pub async fn extract_table(
    source: Arc<Client>,
    table: String,
    rows: UnboundedSender<(String, Row)>,
) -> anyhow::Result<u64> {
    let query = format!("SELECT * FROM {table}");
    let stream = source.query_raw(query.as_str(), std::iter::empty::<i32>()).await?;
    pin_mut!(stream);
    let mut n = 0;
    while let Some(row) = stream.try_next().await? {
        rows.send((table.clone(), row))?;
        n += 1;
    }
    Ok(n)
}

/// Table sizes for the progress report; the stats views are cheap to read.
pub async fn estimated_sizes(source: &Client, tables: &[String]) -> Vec<i64> {
    let mut sizes = Vec::new();
    for t in tables {
        let est = source.query_one("SELECT reltuples::int8 FROM pg_class WHERE relname = $1", &[t]).await; //~ sequential_await
        sizes.push(est.map(|r| r.get(0)).unwrap_or(-1));
    }
    sizes
}
