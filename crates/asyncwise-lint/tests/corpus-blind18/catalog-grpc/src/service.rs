use std::path::PathBuf;
use std::sync::Arc;

use tonic::{Request, Response, Status};

use crate::pool::Pool;
use crate::proto::catalog_server::Catalog;
use crate::proto::{Empty, GetProductRequest, ListRequest, Product, ProductList};
use crate::search::SearchIndex;

pub struct CatalogService {
    pool: Arc<Pool>,
    replica: Arc<Pool>,
    search: SearchIndex,
    assets: PathBuf,
    stats: std::sync::Mutex<Stats>,
}

#[derive(Default)]
struct Stats {
    served: u64,
    misses: u64,
}

fn internal<E: std::fmt::Display>(e: E) -> Status {
    Status::internal(e.to_string())
}

impl CatalogService {
    pub fn new(pool: Arc<Pool>, assets: PathBuf) -> CatalogService {
        CatalogService {
            search: SearchIndex::new(pool.clone()),
            replica: pool.clone(),
            pool,
            assets,
            stats: std::sync::Mutex::new(Stats::default()),
        }
    }

    fn load_image(&self, id: i64) -> std::io::Result<Vec<u8>> {
        std::fs::read(self.assets.join(format!("{id}.webp")))
    }
}

#[tonic::async_trait]
impl Catalog for CatalogService {
    async fn get_product(&self, request: Request<GetProductRequest>) -> Result<Response<Product>, Status> {
        let id = request.into_inner().id;
        let conn = self.pool.get().await.map_err(internal)?;
        let row = conn
            .client
            .query_opt("SELECT name FROM products WHERE id = $1", &[&id])
            .await
            .map_err(internal)?;
        self.pool.put(conn);
        let Some(row) = row else {
            self.stats.lock().unwrap().misses += 1;
            return Err(Status::not_found("no such product"));
        };
        let image = self.load_image(id).unwrap_or_default(); // @helper //~ blocking_in_async
        let mut stats = self.stats.lock().unwrap(); //~ lock_across_await
        stats.served += 1;
        let warm = self.pool.get().await.map_err(internal)?;
        self.pool.put(warm);
        Ok(Response::new(Product { id, name: row.get(0), image }))
    }

    async fn list_products(&self, request: Request<ListRequest>) -> Result<Response<ProductList>, Status> {
        let skus = request.into_inner().skus;
        let primary = self.pool.get().await.map_err(internal)?;
        let replica = self.replica.get().await.map_err(internal)?;
        let names = primary.client.query("SELECT id, name FROM products WHERE sku = ANY($1)", &[&skus]).await.map_err(internal)?; //~ sequential_await
        let stock = replica.client.query("SELECT id, qty FROM stock WHERE sku = ANY($1)", &[&skus]).await.map_err(internal)?;
        tracing::debug!(found = names.len(), stocked = stock.len(), "listing");
        let products = names.iter().map(|r| Product { id: r.get(0), name: r.get(1), image: Vec::new() }).collect();
        self.stats.lock().unwrap().served += 1;
        Ok(Response::new(ProductList { products }))
    }

    async fn reindex(&self, _request: Request<Empty>) -> Result<Response<Empty>, Status> {
        let handle = tokio::runtime::Handle::current();
        let rows = handle.block_on(self.search.rebuild()).map_err(internal)?; //~ block_on_in_async
        tracing::info!(rows, "search index rebuilt");
        Ok(Response::new(Empty {}))
    }
}
