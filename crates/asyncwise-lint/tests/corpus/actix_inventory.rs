//! Inventory service: actix-web handlers sharing state through `web::Data`.

use std::collections::HashMap;
use std::process::Command;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use actix_web::{get, post, web, App, HttpResponse, HttpServer, Responder};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc::{self, UnboundedSender};

type Shared = Arc<Mutex<Inventory>>;

#[derive(Default)]
pub struct Inventory {
    items: HashMap<String, Item>,
    revision: u64,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Item {
    sku: String,
    qty: u32,
    price_cents: u64,
}

pub struct AppState {
    inventory: Shared,
    pricing: RwLock<HashMap<String, f64>>,
    audit: UnboundedSender<AuditEvent>,
    upstream: reqwest::Client,
}

#[derive(Debug)]
pub enum AuditEvent {
    Adjusted { sku: String, delta: i64 },
    Repriced { sku: String },
}

#[derive(Deserialize)]
pub struct Adjust {
    delta: i64,
}

async fn notify_warehouse(client: &reqwest::Client, sku: &str) {
    let url = format!("http://warehouse.internal/notify/{sku}");
    if let Err(e) = client.post(url).send().await {
        log::warn!("warehouse notification failed: {e}");
    }
}

async fn fetch_quote(client: &reqwest::Client, sku: &str) -> f64 {
    let url = format!("http://pricing.internal/quote/{sku}");
    match client.get(url).send().await {
        Ok(resp) => resp.json::<f64>().await.unwrap_or(0.0),
        Err(_) => 0.0,
    }
}

#[get("/items/{sku}")]
async fn get_item(state: web::Data<AppState>, sku: web::Path<String>) -> impl Responder {
    let found = state.inventory.lock().unwrap().items.get(sku.as_str()).cloned();
    match found {
        Some(item) => HttpResponse::Ok().json(item),
        None => HttpResponse::NotFound().finish(),
    }
}

#[post("/items/{sku}/adjust")]
async fn adjust(
    state: web::Data<AppState>,
    sku: web::Path<String>,
    body: web::Json<Adjust>,
) -> impl Responder {
    let mut inv = state.inventory.lock().unwrap(); //~ lock_across_await
    let Some(item) = inv.items.get_mut(sku.as_str()) else {
        return HttpResponse::NotFound().finish();
    };
    item.qty = (item.qty as i64 + body.delta).max(0) as u32;
    inv.revision += 1;
    notify_warehouse(&state.upstream, &sku).await;
    let _ = state.audit.send(AuditEvent::Adjusted {
        sku: sku.into_inner(),
        delta: body.delta,
    });
    HttpResponse::Ok().finish()
}

#[post("/items/{sku}/reprice")]
async fn reprice(state: web::Data<AppState>, sku: web::Path<String>) -> impl Responder {
    let quote = fetch_quote(&state.upstream, &sku).await;
    let mut prices = state.pricing.write().unwrap();
    prices.insert(sku.to_string(), quote);
    drop(prices);
    notify_warehouse(&state.upstream, &sku).await;
    let _ = state.audit.send(AuditEvent::Repriced { sku: sku.into_inner() });
    HttpResponse::Accepted().finish()
}

#[get("/report")]
async fn report(state: web::Data<AppState>) -> impl Responder {
    let (count, revision) = {
        let inv = state.inventory.lock().unwrap();
        (inv.items.len(), inv.revision)
    };
    let total = {
        let prices = state.pricing.read().unwrap();
        prices.values().sum::<f64>()
    };
    tokio::time::sleep(Duration::from_millis(5)).await;
    HttpResponse::Ok().json(serde_json::json!({
        "count": count,
        "revision": revision,
        "total": total,
    }))
}

#[get("/export")]
async fn export(state: web::Data<AppState>) -> impl Responder {
    if state.inventory.lock().unwrap().items.is_empty() {
        tokio::time::sleep(Duration::from_millis(50)).await;
        return HttpResponse::NoContent().finish();
    }
    let snapshot: Vec<Item> = state.inventory.lock().unwrap().items.values().cloned().collect();
    let body = serde_json::to_vec(&snapshot).unwrap();
    std::fs::write("/var/tmp/inventory-export.json", &body).unwrap(); //~ blocking_in_async
    HttpResponse::Ok().body(body)
}

#[get("/version")]
async fn version() -> impl Responder {
    let rev = Command::new("git").args(["rev-parse", "--short", "HEAD"]).output(); //~ blocking_in_async
    let rev = rev
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    HttpResponse::Ok().body(rev)
}

#[get("/items/{sku}/quote")]
async fn quote_now(state: web::Data<AppState>, sku: web::Path<String>) -> impl Responder {
    // "it's only a quick call" -- still parks the actix worker thread
    let q = futures::executor::block_on(fetch_quote(&state.upstream, &sku)); //~ block_on_in_async
    HttpResponse::Ok().json(q)
}

fn load_seed(path: &str) -> Inventory {
    let raw = std::fs::read_to_string(path).unwrap_or_default();
    let items: Vec<Item> = serde_json::from_str(&raw).unwrap_or_default();
    Inventory {
        items: items.into_iter().map(|i| (i.sku.clone(), i)).collect(),
        revision: 0,
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let (audit_tx, mut audit_rx) = mpsc::unbounded_channel(); //~ unbounded_channel
    let (_ready_tx, _ready_rx) = mpsc::channel::<()>(1);
    let seed = load_seed("inventory.json"); //~ blocking_in_async
    let state = web::Data::new(AppState {
        inventory: Arc::new(Mutex::new(seed)),
        pricing: RwLock::new(HashMap::new()),
        audit: audit_tx,
        upstream: reqwest::Client::new(),
    });

    tokio::spawn(async move {
        while let Some(ev) = audit_rx.recv().await {
            log::info!("audit: {:?}", ev);
        }
    });

    HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .service(get_item)
            .service(adjust)
            .service(reprice)
            .service(report)
            .service(export)
            .service(version)
            .service(quote_now)
    })
    .bind(("0.0.0.0", 8080))?
    .run()
    .await
}
