use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::state::{AppState, Session};
use crate::{auth, db};

type Shared = State<Arc<AppState>>;

#[derive(Default)]
pub struct LedgerClient {
    base: String,
}

impl LedgerClient {
    pub async fn balance(&self, account: u64) -> anyhow::Result<i64> {
        let url = format!("{}/balance/{account}", self.base);
        let body = reqwest::get(url).await?.text().await?;
        Ok(body.trim().parse()?)
    }

    pub async fn history(&self, account: u64) -> anyhow::Result<Vec<i64>> {
        let url = format!("{}/history/{account}", self.base);
        Ok(reqwest::get(url).await?.json().await?)
    }

    pub async fn post_transfer(&self, from: u64, to: u64, cents: i64) -> anyhow::Result<()> {
        let url = format!("{}/transfer?from={from}&to={to}&cents={cents}", self.base);
        reqwest::Client::new().post(url).send().await?.error_for_status()?;
        Ok(())
    }
}

#[derive(Default)]
pub struct FxClient {
    base: String,
}

impl FxClient {
    pub async fn rate(&self, currency: &str) -> anyhow::Result<f64> {
        let url = format!("{}/rate/{currency}", self.base);
        Ok(reqwest::get(url).await?.json().await?)
    }
}

fn internal<E: std::fmt::Display>(e: E) -> (StatusCode, String) {
    (StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

pub async fn get_account(
    State(st): Shared,
    Path(id): Path<u64>,
) -> Result<Json<db::Account>, (StatusCode, String)> {
    let conn = st.db.lock().unwrap(); //~ lock_across_await
    let account = db::find_account(&conn, id).map_err(internal)?; // @helper //~ blocking_in_async
    st.audit.push(format!("read {id}"));
    let _ = st.ledger.balance(id).await;
    Ok(Json(account))
}

pub async fn statement(
    State(st): Shared,
    Path(id): Path<u64>,
) -> Result<Json<Vec<i64>>, (StatusCode, String)> {
    let _inflight = st.track();
    let owner = {
        let conn = st.db.lock().unwrap();
        db::find_account(&conn, id).map_err(internal)?.owner // @helper //~ blocking_in_async
    };
    let guard = st.limits.lock().unwrap(); //~ lock_across_await(pedantic)
    let allowed = guard.contains_key(&id);
    st.audit.record(format!("statement {id} for {owner}")).await;
    drop(guard);
    if !allowed {
        return Err((StatusCode::FORBIDDEN, owner));
    }
    let history = st.ledger.history(id).await.map_err(internal)?;
    Ok(Json(history))
}

pub async fn check_limit(State(st): Shared, Path(id): Path<u64>) -> StatusCode {
    match st.limits.lock().unwrap().get(&id) { //~ lock_across_await
        Some(limit) if *limit > 0 => {
            st.ledger.balance(id).await.map(|_| StatusCode::OK).unwrap_or(StatusCode::BAD_GATEWAY)
        }
        _ => StatusCode::NOT_FOUND,
    }
}

pub async fn daily_limit(State(st): Shared, Path(id): Path<u64>) -> String {
    if let Some(limit) = st.limits.lock().unwrap().get(&id).copied() { //~ lock_across_await
        limit.to_string()
    } else {
        st.ledger.balance(id).await.map(|b| (b / 10).to_string()).unwrap_or_default()
    }
}

pub async fn list_accounts(State(st): Shared) -> Result<Json<Vec<db::Account>>, (StatusCode, String)> {
    let conn = st.db.clone();
    let accounts = tokio::task::spawn_blocking(move || {
        let conn = conn.lock().unwrap();
        db::list(&conn) // @helper
    })
    .await
    .map_err(internal)?
    .map_err(internal)?;
    let limit = st.limits.lock().unwrap().len();
    st.ledger.balance(0).await.ok();
    Ok(Json(accounts.into_iter().take(limit.max(10)).collect()))
}

#[derive(Deserialize)]
pub struct Credentials {
    owner: String,
    password: String,
}

#[derive(Serialize)]
pub struct LoginReply {
    token: String,
    display: String,
}

pub async fn login(State(st): Shared, Json(req): Json<Credentials>) -> Result<Json<LoginReply>, StatusCode> {
    let account = {
        let conn = st.db.lock().unwrap();
        db::find_by_owner(&conn, &req.owner).map_err(|_| StatusCode::UNAUTHORIZED)? // @helper //~ blocking_in_async
    };
    if !auth::verify_password(&account.password_hash, &req.password) { // @helper //~ blocking_in_async
        return Err(StatusCode::UNAUTHORIZED);
    }
    let token = format!("{:016x}", rand_token());
    let key = auth::token_key(&token); // @helper
    st.sessions.lock().await.insert(key, Session { account: account.id, expires_at: 0 });
    let display = db::format_cents(account.balance_cents); // @helper
    Ok(Json(LoginReply { token, display }))
}

pub async fn signup(State(st): Shared, Json(req): Json<Credentials>) -> Result<StatusCode, StatusCode> {
    let hash = auth::hash_new(&req.password).map_err(|_| StatusCode::BAD_REQUEST)?; // @helper //~ blocking_in_async(pedantic)
    let db = st.db.clone();
    tokio::task::spawn_blocking(move || {
        db.lock().unwrap().execute(
            "INSERT INTO accounts (owner, password_hash, balance_cents) VALUES (?1, ?2, 0)",
            rusqlite::params![req.owner, hash],
        )
    })
    .await
    .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?
    .map_err(|_| StatusCode::CONFLICT)?;
    Ok(StatusCode::CREATED)
}

#[derive(Deserialize)]
pub struct TransferRequest {
    from: u64,
    to: u64,
    cents: i64,
    currency: String,
}

pub async fn transfer(State(st): Shared, Json(req): Json<TransferRequest>) -> Result<StatusCode, (StatusCode, String)> {
    let _inflight = st.track();
    let balance = st.ledger.balance(req.from).await.map_err(internal)?; //~ sequential_await
    let rate = st.fx.rate(&req.currency).await.map_err(internal)?;
    let cents = (req.cents as f64 * rate).round() as i64;
    if balance < cents {
        return Err((StatusCode::PAYMENT_REQUIRED, "insufficient funds".into()));
    }
    let rates = st.rates.read().await;
    let fee = rates.get(&req.currency).copied().unwrap_or(0.0);
    st.ledger.post_transfer(req.from, req.to, cents + fee as i64).await.map_err(internal)?;
    drop(rates);
    Ok(StatusCode::ACCEPTED)
}

pub async fn reconcile(State(st): Shared, Path(id): Path<u64>) -> Result<StatusCode, (StatusCode, String)> {
    st.inflight.fetch_add(1, Ordering::Relaxed);
    let history = st.ledger.history(id).await.map_err(internal)?; //~ cleanup_after_await
    st.audit.push(format!("reconciled {id}: {} entries", history.len()));
    st.inflight.fetch_sub(1, Ordering::Relaxed);
    Ok(StatusCode::NO_CONTENT)
}

pub async fn warm_rates(State(st): Shared) -> StatusCode {
    st.inflight.fetch_add(1, Ordering::Relaxed);
    let fresh = st.fx.rate("EUR").await.unwrap_or(1.0);
    st.rates.write().await.insert("EUR".to_owned(), fresh);
    st.inflight.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await
    StatusCode::OK
}

pub async fn history_pair(State(st): Shared, Path(id): Path<u64>) -> Result<Json<(i64, Vec<i64>)>, (StatusCode, String)> {
    // The second request is made on the same client as the first: one connection, in order.
    let balance = st.ledger.balance(id).await.map_err(internal)?;
    let history = st.ledger.history(id).await.map_err(internal)?;
    Ok(Json((balance, history)))
}

fn rand_token() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(7)
}
