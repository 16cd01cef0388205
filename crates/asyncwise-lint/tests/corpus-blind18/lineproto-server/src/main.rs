mod admin;
mod conn;
mod replication;
mod server;
mod store;

use std::sync::Arc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let store = Arc::new(store::Store::default());
    let status = tokio::spawn(admin::serve_status(
        store.clone(),
        "/run/lineproto/status.sock".into(),
    ));
    tokio::try_join!(
        server::run("0.0.0.0:7000", store.clone()),
        replication::run_primary("0.0.0.0:7001", store.clone()),
        admin::serve_metrics_tcp(store.clone(), "127.0.0.1:9100"),
    )?;
    status.await??;
    Ok(())
}
