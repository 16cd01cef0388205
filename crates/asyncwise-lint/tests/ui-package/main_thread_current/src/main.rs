// The migration of `main_thread`, under a current-thread runtime: `main`'s thread is the
// runtime's only worker, so the spawned task waits while the migration blocks. The default form.
use rusqlite::Connection;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    tokio::spawn(async {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        }
    });
    init("legacy.db").await;
}

async fn init(path: &str) {
    migrate(path).await.ok();
}

async fn migrate(path: &str) -> rusqlite::Result<usize> {
    let legacy = Connection::open(path)?; //~ blocking_in_async
    let mut copied = 0;
    for table in ["users", "sessions"] {
        copied += copy_table(&legacy, table).await?;
    }
    Ok(copied)
}

async fn copy_table(conn: &Connection, table: &str) -> rusqlite::Result<usize> {
    conn.execute(&format!("INSERT INTO new_{table} SELECT * FROM {table}"), []) //~ blocking_in_async
}
