// async_mutex_unneeded beside round trips: a lock every lock call of which sits in a function
// that waits for a network or database round trip (an HTTP request, a gRPC call, a query, made
// there or in a function of the crate it awaits) costs microseconds next to milliseconds: the
// pedantic form, even on a per-request path. Readings: the clients are the knowledge tables'
// (reqwest, tonic and the clients tonic-build generates, sqlx, kube, ...); a crate's own store
// or actor is not taken for one. One lock call elsewhere (a handler that only reads the map,
// a task a sync fn spawns to take the lock) keeps the default form.
use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use tokio::sync::{Mutex, RwLock};
use tokio_util::sync::CancellationToken;

mod proto {
    tonic::include_proto!("users");
}

use proto::users_client::UsersClient;

type Users = UsersClient<tonic::transport::Channel>;

pub struct App {
    http: reqwest::Client,
    users: Users,
    pool: sqlx::PgPool,
    store: LocalStore,
    // looked up before the HTTP fetch and filled after it, in the same handler
    pages: RwLock<HashMap<String, String>>, //~ async_mutex_unneeded(pedantic)
    // beside a fetch made by a helper of the crate the handler awaits
    avatars: Mutex<HashMap<String, Vec<u8>>>, //~ async_mutex_unneeded(pedantic)
    // beside a call of a tonic-generated client, named through a type alias
    names: Mutex<HashMap<u64, String>>, //~ async_mutex_unneeded(pedantic)
    // beside a query
    tenants: RwLock<HashMap<String, i64>>, //~ async_mutex_unneeded(pedantic)
    // one handler fetches, another only reads the map: locked per request on its own
    quotas: Mutex<HashMap<String, u32>>, //~ async_mutex_unneeded
    // beside the crate's own in-memory store, not a server
    zones: Mutex<HashMap<String, String>>, //~ async_mutex_unneeded
    // per request, nothing else awaited
    hits: Mutex<u64>, //~ async_mutex_unneeded
}

pub struct LocalStore {
    rows: std::sync::Mutex<HashMap<String, String>>,
}

impl LocalStore {
    async fn get(&self, key: &str) -> Option<String> {
        self.rows.lock().unwrap().get(key).cloned()
    }
}

pub async fn page(State(app): State<Arc<App>>, Path(url): Path<String>) -> String {
    if let Some(hit) = app.pages.read().await.get(&url) {
        return hit.clone();
    }
    let body = app.http.get(&url).send().await.unwrap().text().await.unwrap();
    app.pages.write().await.insert(url, body.clone());
    body
}

async fn fetch_avatar(app: &App, user: &str) -> Vec<u8> {
    let url = format!("https://avatars.example/{user}");
    app.http.get(url).send().await.unwrap().bytes().await.unwrap().to_vec()
}

pub async fn avatar(State(app): State<Arc<App>>, Path(user): Path<String>) -> Vec<u8> {
    if let Some(hit) = app.avatars.lock().await.get(&user) {
        return hit.clone();
    }
    let bytes = fetch_avatar(&app, &user).await;
    app.avatars.lock().await.insert(user, bytes.clone());
    bytes
}

pub async fn name(State(app): State<Arc<App>>, Path(id): Path<u64>) -> String {
    if let Some(hit) = app.names.lock().await.get(&id) {
        return hit.clone();
    }
    let reply = app.users.clone().get_user(proto::UserRequest { id }).await.unwrap();
    let name = reply.into_inner().name;
    app.names.lock().await.insert(id, name.clone());
    name
}

pub async fn tenant(State(app): State<Arc<App>>, Path(slug): Path<String>) -> i64 {
    if let Some(id) = app.tenants.read().await.get(&slug) {
        return *id;
    }
    let (id,): (i64,) = sqlx::query_as("SELECT id FROM tenants WHERE slug = $1")
        .bind(&slug)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    app.tenants.write().await.insert(slug, id);
    id
}

pub async fn refresh_quota(State(app): State<Arc<App>>, Path(user): Path<String>) -> u32 {
    let quota = app.http.get("https://quota.example").send().await.unwrap().json().await.unwrap();
    app.quotas.lock().await.insert(user, quota);
    quota
}

pub async fn quota(State(app): State<Arc<App>>, Path(user): Path<String>) -> u32 {
    app.quotas.lock().await.get(&user).copied().unwrap_or(0)
}

pub async fn zone(State(app): State<Arc<App>>, Path(name): Path<String>) -> Option<String> {
    if let Some(hit) = app.zones.lock().await.get(&name) {
        return Some(hit.clone());
    }
    let found = app.store.get(&name).await?;
    app.zones.lock().await.insert(name, found.clone());
    Some(found)
}

pub async fn hit(State(app): State<Arc<App>>) -> String {
    let mut hits = app.hits.lock().await;
    *hits += 1;
    hits.to_string()
}

// The async lock forces a task on the sync `cancel`: its lock call, made through a local copy
// of the field's `Arc`, is not beside a round trip, so the lock keeps the default form.
pub struct Stream {
    users: Users,
    cancel: Arc<Mutex<CancellationToken>>, //~ async_mutex_unneeded
}

impl Stream {
    pub async fn open(State(stream): State<Arc<Stream>>) -> bool {
        let ok = stream.users.clone().watch(proto::Empty {}).await.is_ok();
        let token = stream.cancel.lock().await.clone();
        ok && !token.is_cancelled()
    }

    pub fn cancel(&self) {
        let cancel = Arc::clone(&self.cancel);
        tokio::spawn(async move {
            let mut token = cancel.lock().await;
            token.cancel();
            *token = CancellationToken::new();
        });
    }
}
