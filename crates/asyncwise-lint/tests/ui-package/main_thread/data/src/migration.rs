// A one-off migration with synchronous rusqlite calls, awaited only from `main`'s own future
// (`main -> init -> migrate -> copy_table`). A multi-thread `#[tokio::main]` polls that future on
// the process's main thread, not on a worker: the tasks `main` spawned before keep running on the
// workers, and only `main`'s own start-up waits. The pedantic form.
use rusqlite::Connection;

pub async fn migrate(path: &str) -> rusqlite::Result<usize> {
    let legacy = Connection::open(path)?; //~ blocking_in_async(pedantic)
    let mut copied = 0;
    for table in ["users", "sessions"] {
        copied += copy_table(&legacy, table).await?;
    }
    Ok(copied)
}

async fn copy_table(conn: &Connection, table: &str) -> rusqlite::Result<usize> {
    let rows = count_rows(conn, table); //~ blocking_in_async(pedantic)
    conn.execute(&format!("INSERT INTO new_{table} SELECT * FROM {table}"), [])?; //~ blocking_in_async(pedantic)
    Ok(rows)
}

fn count_rows(conn: &Connection, table: &str) -> usize {
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap_or(0)
}
