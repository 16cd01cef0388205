//! Plain-TCP health and metrics endpoint for the load balancer, next to the gRPC port.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

#[derive(Default)]
pub struct Gauges {
    pub open_streams: AtomicI64,
    pub scrapes: AtomicU64,
    pub replies: AtomicU64,
}

/// Leaves the gauge when the scrape ends, also when its future is dropped.
struct StreamGuard<'a>(&'a AtomicI64);

impl Drop for StreamGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

async fn reply(sock: &mut TcpStream, gauges: &Gauges) -> std::io::Result<()> {
    gauges.open_streams.fetch_add(1, Ordering::Relaxed);
    let _leave = StreamGuard(&gauges.open_streams);
    let body = format!(
        "open_streams {}\nscrapes {}\n",
        gauges.open_streams.load(Ordering::Relaxed),
        gauges.scrapes.load(Ordering::Relaxed)
    );
    sock.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\n").await?;
    sock.write_all(body.as_bytes()).await
}

async fn reply_counted(sock: &mut TcpStream, gauges: &Gauges) -> std::io::Result<()> {
    gauges.scrapes.fetch_add(1, Ordering::Relaxed);
    let _undo = scopeguard::guard((), |_| {
        gauges.scrapes.fetch_sub(1, Ordering::Relaxed);
    });
    reply(sock, gauges).await
}

pub async fn serve(listener: TcpListener, gauges: Arc<Gauges>) {
    loop {
        let (mut sock, _) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!(error = %e, "health accept failed");
                continue;
            }
        };
        gauges.replies.fetch_add(1, Ordering::Relaxed);
        let served = reply_counted(&mut sock, &gauges).await; //~ inline_accept_loop
        gauges.replies.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await(pedantic)
        if let Err(e) = served {
            tracing::debug!(error = %e, "health reply failed");
        }
    }
}

pub fn record_stream_opened(gauges: &Gauges) -> i64 {
    gauges.open_streams.fetch_add(1, Ordering::Relaxed);
    let now = gauges.open_streams.load(Ordering::Relaxed);
    gauges.open_streams.fetch_sub(1, Ordering::Relaxed);
    now
}
