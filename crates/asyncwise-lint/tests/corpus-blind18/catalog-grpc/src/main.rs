mod health;
mod pool;
mod proto;
mod search;
mod service;

use std::sync::Arc;

use tonic::transport::Server;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let db_url = std::env::var("DATABASE_URL")?;
    let pool = Arc::new(pool::Pool::new(db_url, 16));
    let (stop_tx, stop_rx) = tokio::sync::broadcast::channel(1);
    let maintainer = tokio::spawn(pool.clone().maintain(stop_rx));
    tokio::spawn(health::serve("0.0.0.0:8081".parse()?)); //~ detached_task

    let svc = service::CatalogService::new(pool.clone(), "/srv/catalog/assets".into());
    Server::builder()
        .add_service(proto::catalog_server::CatalogServer::new(svc))
        .serve("0.0.0.0:50051".parse()?)
        .await?;

    let _ = stop_tx.send(());
    maintainer.await?;
    Ok(())
}
