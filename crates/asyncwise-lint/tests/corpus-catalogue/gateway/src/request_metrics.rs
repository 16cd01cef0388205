//! Catalogue corpus: request accounting of the gateway — in-flight counters, gauges and busy
//! flags maintained around upstream calls, with and without guards.
//! Focus: cleanup_after_await (exit statements a cancellation skips, and guarded forms).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use prometheus::IntGauge;
use scopeguard::defer;
use tokio::task::JoinSet;

use crate::telemetry::{self, Flag, InFlightGuard};
use crate::Result;

pub struct Upstream;

impl Upstream {
    pub async fn call(&self, req: &[u8]) -> Result<Vec<u8>> {
        Ok(req.to_vec())
    }
    pub async fn flush_cache(&self) -> Result<usize> {
        Ok(0)
    }
}

pub struct Accounting {
    upstream: Arc<Upstream>,
    in_flight: AtomicUsize,
    served: AtomicUsize,
    busy: AtomicBool,
    draining: Flag,
    active: IntGauge,
    queue_depth: metrics::Gauge,
}

impl Accounting {
    /// Counter raised and lowered around the call: a timeout dropping this future skips the
    /// decrement.
    pub async fn forward(&self, req: &[u8]) -> Result<Vec<u8>> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        let reply = self.upstream.call(req).await;
        self.in_flight.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await
        reply
    }

    /// Prometheus gauge around a call that can return early with `?`.
    pub async fn forward_gauged(&self, req: &[u8]) -> Result<usize> {
        self.active.inc();
        let reply = self.upstream.call(req).await?; //~ cleanup_after_await
        self.active.dec();
        Ok(reply.len())
    }

    /// `metrics` gauge, exit in a nested block.
    pub async fn enqueue(&self, req: Vec<u8>) -> Result<()> {
        self.queue_depth.increment(1.0);
        match self.upstream.call(&req).await {
            Ok(_) => {
                self.queue_depth.decrement(1.0); //~ cleanup_after_await
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// A busy flag stored and cleared around the flush.
    pub async fn flush(&self) -> Result<usize> {
        self.busy.store(true, Ordering::Release);
        let flushed = self.upstream.flush_cache().await;
        self.busy.store(false, Ordering::Release); //~ cleanup_after_await
        flushed
    }

    /// Drain mode set and cleared around waiting for in-flight requests.
    pub async fn drain(&self, grace: Duration) {
        self.draining.set(true);
        while self.in_flight.load(Ordering::Acquire) > 0 {
            tokio::time::sleep(grace / 10).await;
        }
        self.draining.set(false); //~ cleanup_after_await
    }

    /// The crate's paired helpers around a connection's lifetime.
    pub async fn serve_connection(&self, req: &[u8]) -> Result<()> {
        telemetry::inc_connections();
        let _ = self.upstream.call(req).await;
        telemetry::dec_connections(); //~ cleanup_after_await
        Ok(())
    }

    /// Guarded with scopeguard: the closure leaves the gauge on every path.
    pub async fn forward_scoped(&self, req: &[u8]) -> Result<Vec<u8>> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        let _leave = scopeguard::guard((), |_| {
            self.in_flight.fetch_sub(1, Ordering::Relaxed);
        });
        self.upstream.call(req).await
    }

    /// Guarded with `defer!`.
    pub async fn forward_deferred(&self, req: &[u8]) -> Result<Vec<u8>> {
        self.active.inc();
        defer! {
            self.active.dec();
        }
        self.upstream.call(req).await
    }

    /// Guarded with the crate's own `Drop` type.
    pub async fn forward_guarded(&self, req: &[u8]) -> Result<Vec<u8>> {
        let _in_flight = InFlightGuard::enter(&self.active);
        self.upstream.call(req).await
    }

    /// Raised and lowered with no await in between.
    pub async fn record_local(&self, req: &[u8]) -> usize {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        let checksum = req.iter().map(|b| *b as usize).sum::<usize>();
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        tokio::task::yield_now().await;
        checksum
    }

    /// Monotonic counters only: nothing is left again.
    pub async fn forward_counted(&self, req: &[u8]) -> Result<Vec<u8>> {
        telemetry::ACCEPTED.inc();
        let reply = self.upstream.call(req).await;
        self.served.fetch_add(1, Ordering::Relaxed);
        telemetry::CLOSED.inc();
        reply
    }
}

async fn log_call(upstream: Arc<Upstream>, req: Vec<u8>) {
    if let Err(e) = upstream.call(&req).await {
        tracing::warn!(error = %e, "background call failed");
    }
}

/// Fire-and-forget tasks nobody can cancel: the pair inside is safe.
pub fn spawn_background(acct: Arc<Accounting>, req: Vec<u8>) {
    tokio::spawn(async move {
        acct.in_flight.fetch_add(1, Ordering::Relaxed);
        log_call(acct.upstream.clone(), req).await;
        acct.in_flight.fetch_sub(1, Ordering::Relaxed);
    });
}

/// Tasks in a JoinSet can be aborted with the set: the pair inside is not safe.
pub fn spawn_tracked(set: &mut JoinSet<()>, acct: Arc<Accounting>, req: Vec<u8>) {
    set.spawn(async move {
        telemetry::request_start("tracked");
        log_call(acct.upstream.clone(), req).await;
        telemetry::request_end("tracked"); //~ cleanup_after_await
    });
}
