//! Per-client token-bucket rate limiting as a tower middleware.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http::{Request, Response, StatusCode};
use tokio::sync::{mpsc, Mutex as AsyncMutex};
use tower::{Layer, Service};
use tracing::{debug, trace, warn};

use crate::audit::AuditLog;
use crate::body::{empty, BoxBody};

const IDLE: Duration = Duration::from_secs(300);

#[derive(Debug)]
struct Bucket {
    tokens: u32,
    last_refill: Instant,
    last_seen: Instant,
}

impl Bucket {
    fn new(rate: u32) -> Self {
        let now = Instant::now();
        Self { tokens: rate, last_refill: now, last_seen: now }
    }

    fn try_take(&mut self, rate: u32) -> bool {
        let now = Instant::now();
        if now.duration_since(self.last_refill) >= Duration::from_secs(1) {
            self.tokens = rate;
            self.last_refill = now;
        }
        self.last_seen = now;
        if self.tokens == 0 {
            return false;
        }
        self.tokens -= 1;
        true
    }
}

type Buckets = Arc<Mutex<HashMap<IpAddr, Bucket>>>;

#[derive(Clone)]
pub struct RateLimitLayer {
    rate: u32,
    buckets: Buckets,
    audit: Arc<AsyncMutex<AuditLog>>,
    events: mpsc::Sender<IpAddr>,
}

impl RateLimitLayer {
    pub fn new(rate: u32, audit: AuditLog) -> (Self, mpsc::Receiver<IpAddr>) {
        let (events, rx) = mpsc::channel(1024);
        let layer = Self {
            rate,
            buckets: Arc::new(Mutex::new(HashMap::new())),
            audit: Arc::new(AsyncMutex::new(audit)),
            events,
        };
        (layer, rx)
    }

    /// Periodically evicts idle buckets. The caller keeps the handle and
    /// aborts it on shutdown.
    pub fn spawn_janitor(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let buckets = Arc::clone(&self.buckets);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                let mut map = buckets.lock().unwrap();
                map.retain(|_, b| b.last_seen.elapsed() < IDLE);
                trace!(remaining = map.len(), "janitor pass");
            }
        })
    }

    pub fn persist_blocking(&self, path: std::path::PathBuf) -> tokio::task::JoinHandle<std::io::Result<()>> {
        let buckets = Arc::clone(&self.buckets);
        tokio::task::spawn_blocking(move || {
            let dump: Vec<String> = {
                let map = buckets.lock().unwrap();
                map.iter().map(|(ip, b)| format!("{ip} {}", b.tokens)).collect()
            };
            std::fs::write(path, dump.join("\n"))
        })
    }
}

impl<S> Layer<S> for RateLimitLayer {
    type Service = RateLimit<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RateLimit { inner, layer: self.clone() }
    }
}

#[derive(Clone)]
pub struct RateLimit<S> {
    inner: S,
    layer: RateLimitLayer,
}

fn client_ip<B>(req: &Request<B>) -> IpAddr {
    req.extensions()
        .get::<IpAddr>()
        .copied()
        .unwrap_or(IpAddr::from([127, 0, 0, 1]))
}

fn too_many_requests() -> Response<BoxBody> {
    let mut res = Response::new(empty());
    *res.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    res
}

impl<S, B> Service<Request<B>> for RateLimit<S>
where
    S: Service<Request<B>, Response = Response<BoxBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let key = client_ip(&req);
        let rate = self.layer.rate;
        let allowed = {
            let mut map = self.layer.buckets.lock().unwrap();
            map.entry(key).or_insert_with(|| Bucket::new(rate)).try_take(rate)
        };
        let buckets = Arc::clone(&self.layer.buckets);
        let audit = Arc::clone(&self.layer.audit);
        let events = self.layer.events.clone();

        Box::pin(async move {
            if !allowed {
                let mut log = audit.lock().await;
                log.rejected(key).await;
                drop(log);
                if events.send(key).await.is_err() {
                    warn!("rate-limit event receiver gone");
                }
                return Ok(too_many_requests());
            }
            let started = Instant::now();
            let res = inner.call(req).await?;
            let remaining = buckets.lock().unwrap().get(&key).map(|b| b.tokens).unwrap_or(0);
            debug!(%key, remaining, elapsed = ?started.elapsed(), "request passed limiter");
            Ok(res)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    #[tokio::test(flavor = "multi_thread")]
    async fn rejects_after_burst() {
        let (layer, _rx) = RateLimitLayer::new(2, AuditLog::in_memory());
        let svc = layer.layer(tower::service_fn(|_req: Request<()>| async {
            Ok::<_, std::convert::Infallible>(Response::new(empty()))
        }));
        let mut statuses = Vec::new();
        for _ in 0..3 {
            let res = svc.clone().oneshot(Request::new(())).await.unwrap();
            statuses.push(res.status());
        }
        assert_eq!(statuses[2], StatusCode::TOO_MANY_REQUESTS);
    }
}
