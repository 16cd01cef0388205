use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;

#[derive(Default)]
pub struct Metrics {
    pub in_flight: AtomicUsize,
    pub uploads: AtomicUsize,
    pub served: AtomicU64,
}

/// Counts requests in flight (the gauge the load balancer scrapes).
pub async fn track(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    state.metrics.in_flight.fetch_add(1, Ordering::Relaxed);
    let resp = next.run(req).await;
    state.metrics.in_flight.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await
    state.metrics.served.fetch_add(1, Ordering::Relaxed);
    resp
}

struct Gauge<'a>(&'a AtomicUsize);

impl<'a> Gauge<'a> {
    fn enter(counter: &'a AtomicUsize) -> Self {
        counter.fetch_add(1, Ordering::Relaxed);
        Gauge(counter)
    }
}

impl Drop for Gauge<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Same gauge for uploads, left by a `Drop` guard when the request is dropped.
pub async fn track_uploads(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    if req.method() != axum::http::Method::POST {
        return next.run(req).await;
    }
    let _uploading = Gauge::enter(&state.metrics.uploads);
    next.run(req).await
}
