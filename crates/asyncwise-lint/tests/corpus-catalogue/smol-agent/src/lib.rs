//! Catalogue corpus: a metrics-shipping agent on smol — samples local counters, ships batches
//! to a collector, and answers a local control socket.
//! Labels: a trailing marker comment names the rules of a finding that must start on that line.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_lite::{AsyncReadExt, AsyncWriteExt};
use smol::lock::Mutex;
use smol::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use smol::Timer;

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("collector refused the batch")]
    Refused,
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

pub type Result<T> = std::result::Result<T, AgentError>;

#[derive(Debug, Clone)]
pub struct Sample {
    pub name: String,
    pub value: f64,
}

pub struct Collector {
    addr: String,
}

pub struct HostInfo;

impl HostInfo {
    pub async fn hostname(&self) -> Result<String> {
        Ok("host".into())
    }
}

impl Collector {
    async fn ship(&self, batch: &[Sample]) -> Result<()> {
        let mut stream = TcpStream::connect(&self.addr).await?;
        for s in batch {
            stream.write_all(format!("{} {}\n", s.name, s.value).as_bytes()).await?;
        }
        Ok(())
    }

    async fn version(&self) -> Result<String> {
        Ok("collector 2".into())
    }
}

pub struct Agent {
    collector: Collector,
    host: HostInfo,
    buffer: Mutex<VecDeque<Sample>>, //~ async_mutex_unneeded
    shipping: AtomicUsize,
}

impl Agent {
    pub async fn record(&self, sample: Sample) {
        let mut buffer = self.buffer.lock().await;
        if buffer.len() >= 10_000 {
            buffer.pop_front();
        }
        buffer.push_back(sample);
    }

    async fn take_batch(&self) -> Vec<Sample> {
        let mut buffer = self.buffer.lock().await;
        buffer.drain(..).collect()
    }

    /// Ships a batch, retrying at once until the collector takes it.
    pub async fn flush(&self) {
        let batch = self.take_batch().await;
        self.shipping.fetch_add(1, Ordering::Relaxed);
        loop {
            match self.collector.ship(&batch).await { //~ retry_without_backoff
                Ok(()) => break,
                Err(e) => log::warn!("ship failed: {e}"),
            }
        }
        self.shipping.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await
    }

    /// Ships a batch, waiting a second between attempts.
    pub async fn flush_paced(&self) {
        let batch = self.take_batch().await;
        loop {
            match self.collector.ship(&batch).await {
                Ok(()) => break,
                Err(e) => {
                    log::warn!("ship failed: {e}");
                    Timer::after(Duration::from_secs(1)).await;
                }
            }
        }
    }

    /// Banner for the control socket: host name and collector version, asked in turn.
    async fn banner(&self) -> Result<String> {
        let host = self.host.hostname().await?; //~ sequential_await
        let version = self.collector.version().await?;
        Ok(format!("agent on {host}, {version}\n"))
    }

    /// Flushes synchronously from inside async code.
    pub async fn flush_blocking(self: Arc<Self>) {
        let agent = self.clone();
        smol::block_on(agent.flush()); //~ block_on_in_async
    }
}

async fn control_session(mut stream: UnixStream, agent: Arc<Agent>) -> Result<()> {
    let banner = agent.banner().await?;
    stream.write_all(banner.as_bytes()).await?;
    let mut command = String::new();
    stream.read_to_string(&mut command).await?;
    if command.trim() == "flush" {
        agent.flush().await;
    }
    Ok(())
}

/// Control socket: each session handled before the next is accepted.
pub async fn serve_control(path: &str, agent: Arc<Agent>) -> Result<()> {
    let listener = UnixListener::bind(path)?;
    loop {
        let (stream, _) = listener.accept().await?;
        if let Err(e) = control_session(stream, agent.clone()).await { //~ inline_accept_loop
            log::warn!("control session failed: {e}");
        }
    }
}

/// Push endpoint: each sender gets a task of its own that logs its own failure.
pub async fn serve_push(addr: &str, agent: Arc<Agent>) -> Result<()> {
    let listener = TcpListener::bind(addr).await?;
    loop {
        let (mut stream, _) = listener.accept().await?;
        let agent = agent.clone();
        smol::spawn(async move {
            let mut line = String::new();
            match stream.read_to_string(&mut line).await {
                Ok(_) => {
                    if let Some((name, value)) = line.trim().split_once(' ') {
                        let value = value.parse().unwrap_or(0.0);
                        agent.record(Sample { name: name.to_string(), value }).await;
                    }
                }
                Err(e) => log::debug!("push read failed: {e}"),
            }
        })
        .detach();
    }
}

/// Samples every ten seconds until the process ends.
pub async fn sample_forever(agent: Arc<Agent>) {
    let mut n = 0u64;
    loop {
        Timer::after(Duration::from_secs(10)).await;
        n += 1;
        agent.record(Sample { name: "agent.ticks".into(), value: n as f64 }).await;
    }
}
