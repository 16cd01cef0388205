use tokio_postgres::Client;

async fn count(client: &Client, table: &str) -> anyhow::Result<i64> {
    let row = client.query_one(&format!("SELECT count(*) FROM {table}"), &[]).await?;
    Ok(row.get(0))
}

pub async fn verify(source: &Client, target: &Client, tables: &[String]) -> anyhow::Result<()> {
    for table in tables {
        let src = count(source, table).await?; //~ sequential_await
        let dst = count(target, &format!("{table}_staging")).await?;
        if src != dst {
            anyhow::bail!("{table}: {src} rows in source, {dst} loaded");
        }
    }
    Ok(())
}

pub async fn spot_check(source: &Client, table: &str, ids: &[i64]) -> anyhow::Result<()> {
    let rt = tokio::runtime::Handle::current();
    for id in ids {
        let row = rt.block_on(source.query_opt(&format!("SELECT 1 FROM {table} WHERE id = $1"), &[id]))?; //~ block_on_in_async
        if row.is_none() {
            anyhow::bail!("{table}: id {id} missing");
        }
    }
    Ok(())
}
