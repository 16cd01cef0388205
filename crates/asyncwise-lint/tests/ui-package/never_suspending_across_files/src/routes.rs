use std::sync::Arc;

use crate::state::AppState;

pub async fn statement(st: Arc<AppState>, id: u64) {
    let limits = st.limits.lock().unwrap(); //~ lock_across_await(pedantic)
    st.audit.record(format!("statement {id} under {}", *limits)).await;
    drop(limits);
}

pub async fn archive(st: Arc<AppState>, id: u64) {
    let limits = st.limits.lock().unwrap(); //~ lock_across_await
    st.audit.persist(format!("archive {id} under {}", *limits)).await;
    drop(limits);
}
