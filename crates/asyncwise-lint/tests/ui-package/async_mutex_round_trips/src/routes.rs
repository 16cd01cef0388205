use std::sync::Arc;

use axum::extract::{Path, State};

use crate::state::{proto, AppState};

pub async fn page(State(st): State<Arc<AppState>>, Path(url): Path<String>) -> String {
    if let Some(hit) = st.pages.lock().await.get(&url) {
        return hit.clone();
    }
    let body = st.upstream.fetch(&url).await.unwrap_or_default();
    st.pages.lock().await.insert(url.clone(), body.clone());
    st.visited.lock().await.insert(url);
    body
}

pub async fn seen(State(st): State<Arc<AppState>>, Path(url): Path<String>) -> String {
    st.visited.lock().await.contains(&url).to_string()
}

pub async fn member(State(st): State<Arc<AppState>>, Path(id): Path<u64>) -> String {
    if let Some(name) = st.names.lock().await.get(&id) {
        return name.clone();
    }
    let reply = st.members.clone().get(proto::MemberRequest { id }).await;
    let name = reply.map(|r| r.into_inner().name).unwrap_or_default();
    st.names.lock().await.insert(id, name.clone());
    name
}
