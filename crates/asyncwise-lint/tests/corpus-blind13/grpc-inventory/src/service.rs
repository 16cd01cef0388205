use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::{mpsc, Mutex as AsyncMutex, RwLock};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use crate::auth;
use crate::pricing::{AuditLog, PricingClient};
use crate::proto::inventory_server::Inventory;
use crate::proto::*;
use crate::store::{self, Store};

pub struct InventoryService {
    pub store: Arc<Store>,
    pub pricing: PricingClient,
    pub audit: AuditLog,
    in_flight: AtomicUsize,
    reservations: AsyncMutex<HashMap<String, i64>>, //~ async_mutex_unneeded
    price_cache: RwLock<HashMap<String, u64>>,
}

fn internal<E: std::fmt::Display>(e: E) -> Status {
    Status::internal(e.to_string())
}

impl InventoryService {
    pub fn new(store: Arc<Store>, pricing: PricingClient, audit: AuditLog) -> Self {
        InventoryService {
            store,
            pricing,
            audit,
            in_flight: AtomicUsize::new(0),
            reservations: AsyncMutex::new(HashMap::new()),
            price_cache: RwLock::new(HashMap::new()),
        }
    }

    // The write guard stays alive across the fetch so that two misses for one SKU fetch once.
    async fn price_of(&self, sku: &str) -> Result<u64, Status> {
        let mut cache = self.price_cache.write().await;
        if let Some(price) = cache.get(sku) {
            return Ok(*price);
        }
        let price = self.pricing.fetch(sku).await.map_err(internal)?;
        cache.insert(sku.to_owned(), price);
        Ok(price)
    }
}

#[tonic::async_trait]
impl Inventory for InventoryService {
    type WatchStockStream = ReceiverStream<Result<StockReply, Status>>;

    async fn get_stock(
        &self,
        request: Request<StockQuery>,
    ) -> Result<Response<StockReply>, Status> {
        let sku = store::sku_key(&request.get_ref().sku); // @helper
        let qty = self.store.quantity(&sku).map_err(internal)?; // @helper //~ blocking_in_async
        Ok(Response::new(StockReply {
            sku,
            qty: qty.unwrap_or(0),
        }))
    }

    async fn reserve(
        &self,
        request: Request<ReserveRequest>,
    ) -> Result<Response<ReserveReply>, Status> {
        let req = request.into_inner();
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let price = self.price_of(&req.sku).await?; //~ cleanup_after_await
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        {
            let mut held = self.reservations.lock().await;
            *held.entry(req.sku.clone()).or_insert(0) += req.qty;
        }
        let left = self.store.adjust(&req.sku, -req.qty).map_err(internal)?; // @helper //~ blocking_in_async
        Ok(Response::new(ReserveReply {
            left,
            total_cents: price * req.qty as u64,
        }))
    }

    async fn release(
        &self,
        request: Request<ReserveRequest>,
    ) -> Result<Response<ReserveReply>, Status> {
        let req = request.into_inner();
        let remaining = {
            let mut held = self.reservations.lock().await;
            let slot = held.entry(req.sku.clone()).or_insert(0);
            *slot -= req.qty;
            *slot
        };
        self.audit.record("release", &req.sku).await;
        Ok(Response::new(ReserveReply {
            left: remaining,
            total_cents: 0,
        }))
    }

    async fn summary(
        &self,
        request: Request<SummaryQuery>,
    ) -> Result<Response<SummaryReply>, Status> {
        let day = request.into_inner().day;
        let priced = self.pricing.priced_skus(&day).await.map_err(internal)?; //~ sequential_await
        let moves = self.audit.count_moves(&day).await.map_err(internal)?;
        let warm = futures::executor::block_on(self.pricing.warm_hits()); //~ block_on_in_async
        Ok(Response::new(SummaryReply { priced, moves, warm }))
    }

    async fn import(
        &self,
        request: Request<Streaming<StockDelta>>,
    ) -> Result<Response<ImportReply>, Status> {
        let mut deltas = request.into_inner();
        let (tx, mut rx) = mpsc::unbounded_channel(); //~ unbounded_channel
        let store = self.store.clone();
        let applier = tokio::task::spawn_blocking(move || {
            let mut applied = 0u64;
            while let Some(delta) = rx.blocking_recv() {
                let delta: StockDelta = delta;
                if store.adjust(&delta.sku, delta.change).is_ok() {
                    applied += 1;
                }
            }
            applied
        });
        while let Some(delta) = deltas.message().await? {
            let _ = tx.send(delta);
        }
        drop(tx);
        let applied = applier.await.map_err(internal)?;
        Ok(Response::new(ImportReply { applied }))
    }

    async fn set_operator(
        &self,
        request: Request<OperatorRequest>,
    ) -> Result<Response<OperatorReply>, Status> {
        let req = request.into_inner();
        let caller = request_operator(&req)?;
        let phc = self.store.operator_hash(caller).map_err(internal)?; // @helper //~ blocking_in_async
        let ok = phc.is_some_and(|phc| auth::verify_operator(&phc, &req.caller_password)); // @helper //~ blocking_in_async
        if !ok {
            return Err(Status::permission_denied("bad operator credentials"));
        }
        let _fresh = auth::new_operator_hash(&req.new_password).map_err(internal)?; // @helper //~ blocking_in_async(pedantic)
        Ok(Response::new(OperatorReply { updated: true }))
    }

    async fn watch_stock(
        &self,
        request: Request<StockQuery>,
    ) -> Result<Response<Self::WatchStockStream>, Status> {
        let sku = store::sku_key(&request.into_inner().sku); // @helper
        let (tx, rx) = mpsc::channel(16);
        let pricing = self.pricing.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(5));
            loop {
                every.tick().await;
                let price = pricing.fetch(&sku).await.unwrap_or_default();
                let reply = Ok(StockReply {
                    sku: sku.clone(),
                    qty: price as i64,
                });
                if tx.send(reply).await.is_err() {
                    break;
                }
            }
        });
        Ok(Response::new(ReceiverStream::new(rx)))
    }
}

fn request_operator(req: &OperatorRequest) -> Result<&str, Status> {
    if req.caller.is_empty() {
        Err(Status::unauthenticated("caller required"))
    } else {
        Ok(&req.caller)
    }
}
