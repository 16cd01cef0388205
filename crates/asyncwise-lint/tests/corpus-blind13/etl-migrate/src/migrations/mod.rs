//! Schema migrations of the target database, applied in file-name order before the copy.

use std::path::Path;

use tokio_postgres::Client;

pub async fn run(target: &Client, dir: &Path) -> anyhow::Result<()> {
    let mut files: Vec<_> = std::fs::read_dir(dir)? //~ blocking_in_async(pedantic)
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    target
        .batch_execute("CREATE TABLE IF NOT EXISTS schema_versions (name TEXT PRIMARY KEY)")
        .await?;
    let applied = target.query("SELECT name FROM schema_versions", &[]).await?;
    let known: Vec<String> = applied.iter().map(|r| r.get(0)).collect();
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        if known.contains(&name) {
            continue;
        }
        let sql = tokio::fs::read_to_string(&file).await?;
        target.batch_execute(&sql).await?;
        target.execute("INSERT INTO schema_versions (name) VALUES ($1)", &[&name]).await?;
        tracing::info!(%name, "migration applied");
    }
    Ok(())
}

pub async fn status(target: &Client, audit: &Client) -> anyhow::Result<(i64, i64)> {
    let applied = target.query_one("SELECT count(*) FROM schema_versions", &[]).await?;
    let expected = audit.query_one("SELECT count(*) FROM expected_versions", &[]).await?;
    Ok((applied.get(0), expected.get(0)))
}
