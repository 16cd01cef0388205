//! A reconnecting client for the line-delimited JSON control protocol.
//!
//! [`Client`] owns a background connection task. Requests are queued on a
//! channel and written by the task; when the connection drops, the task
//! reconnects with exponential backoff and replays nothing — callers get a
//! [`ClientError::Disconnected`] for in-flight requests and may retry.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, Mutex};
use tokio::task::JoinHandle;
use tracing::{debug, error, info, instrument, warn};

/// Errors returned by [`Client`].
#[derive(Debug, Error)]
pub enum ClientError {
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    #[error("malformed frame: {0}")]
    Decode(#[from] serde_json::Error),
    #[error("connection lost before a reply was received")]
    Disconnected,
    #[error("server returned error {code}: {message}")]
    Remote { code: i32, message: String },
    #[error("client has been shut down")]
    Closed,
}

pub type Result<T, E = ClientError> = std::result::Result<T, E>;

#[derive(Debug, Serialize)]
struct Request<'a> {
    id: u64,
    method: &'a str,
    params: serde_json::Value,
}

#[derive(Debug, Deserialize)]
struct Response {
    id: u64,
    #[serde(default)]
    result: Option<serde_json::Value>,
    #[serde(default)]
    error: Option<RemoteError>,
}

#[derive(Debug, Deserialize)]
struct RemoteError {
    code: i32,
    message: String,
}

/// Reconnect policy.
#[derive(Debug, Clone)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
    pub factor: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(30),
            factor: 2,
        }
    }
}

impl Backoff {
    fn next(&self, current: Duration) -> Duration {
        (current * self.factor).min(self.max)
    }
}

impl fmt::Display for Backoff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}..{:?} x{}", self.initial, self.max, self.factor)
    }
}

type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Result<serde_json::Value>>>>>;

struct Outgoing {
    frame: Vec<u8>,
}

/// Handle to a reconnecting connection.
pub struct Client {
    addr: String,
    next_id: AtomicU64,
    queue: mpsc::UnboundedSender<Outgoing>,
    pending: Pending,
    task: Option<JoinHandle<()>>,
    heartbeat: Option<JoinHandle<()>>,
}

impl Client {
    /// Creates the client and starts the connection task. Must be called
    /// from within a tokio runtime.
    pub fn new(addr: impl Into<String>, backoff: Backoff) -> Self {
        let addr = addr.into();
        let (queue, rx) = mpsc::unbounded_channel(); //~ unbounded_channel
        let pending: Pending = Arc::default();
        let task = tokio::spawn(connection_task(addr.clone(), backoff, rx, pending.clone()));
        Self {
            addr,
            next_id: AtomicU64::new(1),
            queue,
            pending,
            task: Some(task),
            heartbeat: None,
        }
    }

    /// Sends a ping every `every` until the client is dropped.
    pub fn enable_heartbeat(&mut self, every: Duration) {
        let queue = self.queue.clone();
        self.heartbeat = Some(tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                let frame = br#"{"id":0,"method":"ping","params":null}"#.to_vec();
                if queue.send(Outgoing { frame }).is_err() {
                    break;
                }
            }
        }));
    }

    #[instrument(skip(self, params), fields(addr = %self.addr))]
    pub async fn call(&self, method: &str, params: serde_json::Value) -> Result<serde_json::Value> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut frame = serde_json::to_vec(&Request { id, method, params })?;
        frame.push(b'\n');
        let (tx, rx) = oneshot::channel();
        self.pending.lock().await.insert(id, tx);
        self.queue.send(Outgoing { frame }).map_err(|_| ClientError::Closed)?;
        rx.await.map_err(|_| ClientError::Disconnected)?
    }

    /// Fire-and-forget notification; the server sends no reply.
    pub fn notify(&self, method: &str, params: serde_json::Value) -> Result<()> {
        let mut frame = serde_json::to_vec(&Request { id: 0, method, params })?;
        frame.push(b'\n');
        let queue = self.queue.clone();
        tokio::spawn(async move { //~ detached_task
            queue.send(Outgoing { frame }).expect("connection task gone");
        });
        Ok(())
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
        if let Some(h) = self.heartbeat.take() {
            h.abort();
        }
    }
}

async fn connect_with_backoff(addr: &str, backoff: &Backoff) -> TcpStream {
    let mut delay = backoff.initial;
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        match TcpStream::connect(addr).await {
            Ok(s) => {
                info!(%addr, attempt, "connected");
                let _ = s.set_nodelay(true);
                return s;
            }
            Err(e) if attempt < 3 => {
                debug!(%addr, error = %e, "connect failed, retrying quickly");
                tokio::time::sleep(delay).await;
            }
            Err(e) => {
                warn!(%addr, error = %e, ?delay, "connect failed");
                std::thread::sleep(delay); //~ blocking_in_async
            }
        }
        delay = backoff.next(delay);
    }
}

async fn connection_task(
    addr: String,
    backoff: Backoff,
    mut rx: mpsc::UnboundedReceiver<Outgoing>,
    pending: Pending,
) {
    loop {
        let stream = connect_with_backoff(&addr, &backoff).await;
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        let outcome = loop {
            tokio::select! {
                out = rx.recv() => match out {
                    Some(out) => {
                        if let Err(e) = write.write_all(&out.frame).await {
                            break Err(e);
                        }
                    }
                    None => break Ok(()),
                },
                line = lines.next_line() => match line {
                    Ok(Some(line)) => dispatch(&pending, &line).await,
                    Ok(None) => break Err(std::io::ErrorKind::UnexpectedEof.into()),
                    Err(e) => break Err(e),
                },
            }
        };
        fail_pending(&pending).await;
        match outcome {
            Ok(()) => {
                debug!("request queue closed, stopping connection task");
                return;
            }
            Err(e) => error!(%addr, error = %e, "connection lost"),
        }
    }
}

async fn dispatch(pending: &Pending, line: &str) {
    let resp: Response = match serde_json::from_str(line) {
        Ok(r) => r,
        Err(e) => {
            warn!(error = %e, "dropping malformed frame");
            return;
        }
    };
    let Some(tx) = pending.lock().await.remove(&resp.id) else {
        return;
    };
    let result = match (resp.result, resp.error) {
        (_, Some(err)) => Err(ClientError::Remote { code: err.code, message: err.message }),
        (Some(v), None) => Ok(v),
        (None, None) => Ok(serde_json::Value::Null),
    };
    let _ = tx.send(result);
}

async fn fail_pending(pending: &Pending) {
    let mut map = pending.lock().await;
    for (_, tx) in map.drain() {
        let _ = tx.send(Err(ClientError::Disconnected));
    }
    tokio::task::yield_now().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_capped() {
        let b = Backoff { initial: Duration::from_secs(1), max: Duration::from_secs(5), factor: 4 };
        assert_eq!(b.next(Duration::from_secs(1)), Duration::from_secs(4));
        assert_eq!(b.next(Duration::from_secs(4)), Duration::from_secs(5));
    }

    #[test]
    fn backoff_display() {
        assert_eq!(Backoff::default().to_string(), "100ms..30s x2");
    }

    #[tokio::test]
    async fn dispatch_routes_by_id() {
        let pending: Pending = Arc::default();
        let (tx, rx) = oneshot::channel();
        pending.lock().await.insert(7, tx);
        dispatch(&pending, r#"{"id":7,"result":42}"#).await;
        assert_eq!(rx.await.unwrap().unwrap(), serde_json::json!(42));
    }

    #[tokio::test]
    async fn remote_errors_are_surfaced() {
        let pending: Pending = Arc::default();
        let (tx, rx) = oneshot::channel();
        pending.lock().await.insert(1, tx);
        dispatch(&pending, r#"{"id":1,"error":{"code":-1,"message":"nope"}}"#).await;
        assert!(matches!(rx.await.unwrap(), Err(ClientError::Remote { code: -1, .. })));
    }
}
