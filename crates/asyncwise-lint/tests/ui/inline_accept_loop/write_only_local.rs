// Readings: an accept loop on a local listener (a Unix-domain socket) whose inline handling of
// the connection only writes to it (`write_all`, `write`, `flush`, `shutdown`), in the loop or
// in an async fn of this file, and never reads from it, is the pedantic form: the client never
// has to send anything, and a write that fits in the socket buffer completes at once, so a
// small status or metrics snapshot costs the loop nothing. The listener must be local: a TCP
// client over a slow link reads a reply bigger than the buffer at its own pace, and a remote
// peer that stops reading stalls the loop. Any read (`read`, `read_line`, a framed codec's
// `next()`, an HTTP `serve_connection`), a copy loop, or a handler that awaits anything but a
// write keeps the default form.
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt, AsyncBufReadExt};
use tokio::net::{TcpListener, UnixListener, UnixStream};

struct Stats {
    served: std::sync::atomic::AtomicU64,
}

impl Stats {
    fn render(&self) -> String {
        format!("served {}\n", self.served.load(std::sync::atomic::Ordering::Relaxed))
    }
}

async fn status_inline(path: &str, stats: Arc<Stats>) -> std::io::Result<()> {
    let listener = UnixListener::bind(path)?;
    loop {
        let (mut conn, _) = listener.accept().await?;
        let text = stats.render();
        conn.write_all(text.as_bytes()).await?; //~ inline_accept_loop(pedantic)
        conn.shutdown().await?;
    }
}

async fn write_snapshot(mut out: UnixStream, stats: &Stats) -> std::io::Result<()> {
    let body = stats.render();
    out.write_all(body.as_bytes()).await?;
    out.flush().await
}

async fn status_handler(listener: UnixListener, stats: Arc<Stats>) {
    while let Ok((conn, _)) = listener.accept().await {
        if let Err(e) = write_snapshot(conn, &stats).await { //~ inline_accept_loop(pedantic)
            tracing::debug!("status client went away: {e}");
        }
    }
}

async fn metrics_json(listener: UnixListener, stats: Arc<Stats>) {
    loop {
        let Ok((mut conn, _)) = listener.accept().await else {
            continue;
        };
        let json = serde_json::to_vec(&stats.render()).unwrap_or_default();
        let _ = conn.write(&json).await; //~ inline_accept_loop(pedantic)
    }
}

// A request read first: the client decides when the loop goes on.
async fn status_after_request(listener: UnixListener, stats: Arc<Stats>) -> std::io::Result<()> {
    loop {
        let (mut conn, _) = listener.accept().await?;
        let mut request = [0u8; 64];
        conn.read(&mut request).await?; //~ inline_accept_loop
        conn.write_all(stats.render().as_bytes()).await?;
    }
}

// Writes, then reads the reply line: a read all the same.
async fn greet_then_read(listener: UnixListener) -> std::io::Result<()> {
    loop {
        let (conn, _) = listener.accept().await?;
        let (reader, mut writer) = conn.into_split();
        writer.write_all(b"hello\n").await?; //~ inline_accept_loop
        let mut line = String::new();
        tokio::io::BufReader::new(reader).read_line(&mut line).await?;
    }
}

// A handler of this file that reads the request.
async fn answer_request(mut conn: UnixStream, stats: &Stats) -> std::io::Result<()> {
    let mut request = String::new();
    conn.read_to_string(&mut request).await?;
    conn.write_all(stats.render().as_bytes()).await
}

async fn request_handler(listener: UnixListener, stats: Arc<Stats>) {
    while let Ok((conn, _)) = listener.accept().await {
        let _ = answer_request(conn, &stats).await; //~ inline_accept_loop
    }
}

// A copy loop writes what another source yields, without bound.
async fn tail_log(listener: UnixListener, path: &str) -> std::io::Result<()> {
    loop {
        let (mut conn, _) = listener.accept().await?;
        let mut log = tokio::fs::File::open(path).await?;
        tokio::io::copy(&mut log, &mut conn).await?; //~ inline_accept_loop
    }
}

// HTTP over a Unix socket reads the request.
async fn http_over_unix(listener: UnixListener, service: Svc) {
    loop {
        let Ok((conn, _)) = listener.accept().await else { continue };
        let io = hyper_util::rt::TokioIo::new(conn);
        let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service.clone()).await; //~ inline_accept_loop
    }
}

// Write-only over TCP: a remote client reading a reply bigger than the buffer at its own pace,
// or not at all, holds the loop; the default form.
async fn tcp_status(listener: TcpListener, stats: Arc<Stats>) -> std::io::Result<()> {
    loop {
        let (mut conn, _) = listener.accept().await?;
        conn.write_all(stats.render().as_bytes()).await?; //~ inline_accept_loop
    }
}

// A listener whose type is not known here: not taken for a local one.
async fn unknown_listener(listener: Listener, stats: Arc<Stats>) -> std::io::Result<()> {
    loop {
        let (mut conn, _) = listener.accept().await?;
        conn.write_all(stats.render().as_bytes()).await?; //~ inline_accept_loop
    }
}

// A write-only handler that also waits for something else per connection (here the next
// sample): real work per connection, the default form.
async fn wait_then_write(mut conn: UnixStream, samples: &tokio::sync::Mutex<Vec<u8>>) -> std::io::Result<()> {
    let sample = samples.lock().await.clone();
    conn.write_all(&sample).await
}

async fn sampled(listener: UnixListener, samples: Arc<tokio::sync::Mutex<Vec<u8>>>) {
    while let Ok((conn, _)) = listener.accept().await {
        let _ = wait_then_write(conn, &samples).await; //~ inline_accept_loop
    }
}
