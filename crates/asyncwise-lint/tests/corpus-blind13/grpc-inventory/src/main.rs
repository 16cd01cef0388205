mod auth;
mod health;
mod pricing;
mod proto;
mod service;
mod store;

use std::sync::Arc;

use tonic::transport::Server;

use crate::pricing::{AuditLog, PricingClient};
use crate::service::InventoryService;
use crate::store::Store;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let db_path = std::env::var("INVENTORY_DB").unwrap_or_else(|_| "inventory.db".into());
    let store = Arc::new(Store::open(&db_path)?); // @helper //~ blocking_in_async(pedantic)
    let (audit_tx, mut audit_rx) = tokio::sync::mpsc::channel(1024);
    tokio::spawn(async move {
        while let Some((what, sku)) = audit_rx.recv().await {
            tracing::info!(%what, %sku, "audit");
        }
    });
    let health_listener = tokio::net::TcpListener::bind("0.0.0.0:8081").await?;
    tokio::spawn(health::serve(health_listener, Arc::new(health::Gauges::default())));
    let service = InventoryService::new(
        store,
        PricingClient::new("http://pricing.internal"),
        AuditLog::new(audit_tx),
    );
    Server::builder()
        .add_service(proto::inventory_server::InventoryServer::new(service))
        .serve("0.0.0.0:50051".parse()?)
        .await?;
    Ok(())
}
