//! Catalogue corpus: the gateway's telemetry helpers — process-wide gauges and counters, and
//! paired helpers that the request path calls on the way in and out.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::LazyLock;

use prometheus::{IntCounter, IntGauge};

pub static OPEN_CONNECTIONS: LazyLock<IntGauge> =
    LazyLock::new(|| IntGauge::new("gateway_open_connections", "open client connections").expect("valid metric"));

pub static ACCEPTED: LazyLock<IntCounter> =
    LazyLock::new(|| IntCounter::new("gateway_accepted_total", "accepted connections").expect("valid metric"));

pub static CLOSED: LazyLock<IntCounter> =
    LazyLock::new(|| IntCounter::new("gateway_closed_total", "closed connections").expect("valid metric"));

pub static ACTIVE_REQUESTS: LazyLock<IntGauge> =
    LazyLock::new(|| IntGauge::new("gateway_active_requests", "requests in flight").expect("valid metric"));

/// Raised when a client connection is taken in.
pub fn inc_connections() {
    OPEN_CONNECTIONS.inc();
}

/// Lowered when a client connection ends.
pub fn dec_connections() {
    OPEN_CONNECTIONS.dec();
}

/// Marks a request of `route` as started.
pub fn request_start(route: &str) {
    ACTIVE_REQUESTS.inc();
    tracing::trace!(route, "request start");
}

/// Marks a request of `route` as finished.
pub fn request_end(route: &str) {
    ACTIVE_REQUESTS.dec();
    tracing::trace!(route, "request end");
}

/// A boolean flag with a `set` method, shared between the admin API and workers.
#[derive(Debug, Default)]
pub struct Flag(AtomicBool);

impl Flag {
    pub fn set(&self, value: bool) {
        self.0.store(value, Ordering::SeqCst);
    }

    pub fn get(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Counts a request in and out again when dropped, even when the request future is cancelled.
pub struct InFlightGuard<'a> {
    gauge: &'a IntGauge,
}

impl<'a> InFlightGuard<'a> {
    pub fn enter(gauge: &'a IntGauge) -> Self {
        gauge.inc();
        InFlightGuard { gauge }
    }
}

impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        self.gauge.dec();
    }
}

/// Synchronous bookkeeping around a blocking-free computation: no await, nothing to cancel.
pub fn with_request_counted<T>(route: &str, f: impl FnOnce() -> T) -> T {
    request_start(route);
    let value = f();
    request_end(route);
    value
}

/// Renders every registered metric in the text exposition format.
pub fn render(registry: &prometheus::Registry) -> String {
    use prometheus::Encoder;
    let mut out = Vec::new();
    let encoder = prometheus::TextEncoder::new();
    if encoder.encode(&registry.gather(), &mut out).is_err() {
        return String::new();
    }
    String::from_utf8(out).unwrap_or_default()
}
