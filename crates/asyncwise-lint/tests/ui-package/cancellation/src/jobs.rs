use std::time::Duration;

use crate::routes::AppState;
use crate::store;

pub(crate) async fn compact_forever(state: AppState) {
    loop {
        state.store.compact().await;
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
}

pub(crate) async fn flush_until(state: AppState, stop: tokio::sync::oneshot::Receiver<()>) {
    tokio::select! {
        _ = store::flush_all(&state.counters) => {}
        _ = stop => {}
    }
}

pub(crate) async fn bounded_audit(state: AppState) {
    let _ = tokio::time::timeout(Duration::from_secs(5), audit_step(&state)).await;
}

async fn audit_step(state: &AppState) {
    store::audit(&state.counters).await;
}
