use std::sync::Arc;

use axum::extract::{Path, State};

use crate::state::AppState;

type Shared = State<Arc<AppState>>;

pub async fn login(State(st): Shared, Path(user): Path<String>) -> String {
    st.sessions.lock().await.insert(user, 1);
    "ok".to_owned()
}

pub async fn rate(State(st): State<Arc<AppState>>, Path(cur): Path<String>) -> String {
    *st.hits.write().await += 1;
    cur
}

pub async fn quote(State(st): Shared, Path(cur): Path<String>) -> String {
    let rates = st.rates.read().await;
    let fee = price(&cur).await;
    format!("{}", rates.get(&cur).copied().unwrap_or(0.0) + fee)
}

async fn price(cur: &str) -> f64 {
    tokio::task::yield_now().await;
    cur.len() as f64
}
