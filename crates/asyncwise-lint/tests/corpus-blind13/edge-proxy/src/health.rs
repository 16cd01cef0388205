use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::{interval, timeout};

use crate::config::BackendConfig;

pub struct Backend {
    pub name: String,
    pub target: String,
    healthy: AtomicBool,
    checking: AtomicBool,
}

pub struct Backends {
    list: Vec<Backend>,
}

impl Backends {
    pub fn from_config(cfg: &[BackendConfig]) -> Self {
        Backends {
            list: cfg
                .iter()
                .map(|b| Backend {
                    name: b.name.clone(),
                    target: b.target.clone(),
                    healthy: AtomicBool::new(true),
                    checking: AtomicBool::new(false),
                })
                .collect(),
        }
    }

    pub fn pick(&self, peer: SocketAddr) -> Option<&Backend> {
        let healthy: Vec<&Backend> = self.list.iter().filter(|b| b.healthy.load(Ordering::Relaxed)).collect();
        if healthy.is_empty() {
            return None;
        }
        let slot = peer.port() as usize % healthy.len();
        Some(healthy[slot])
    }

    pub fn iter(&self) -> impl Iterator<Item = &Backend> {
        self.list.iter()
    }
}

async fn probe(target: &str) -> bool {
    matches!(timeout(Duration::from_secs(2), TcpStream::connect(target)).await, Ok(Ok(_)))
}

async fn check_one(b: &Backend) -> bool {
    b.checking.store(true, Ordering::Release);
    let up = probe(&b.target).await;
    b.checking.store(false, Ordering::Release); //~ cleanup_after_await(pedantic)
    b.healthy.store(up, Ordering::Release);
    up
}

pub async fn run(backends: Arc<Backends>, every: Duration) {
    let mut tick = interval(every);
    loop {
        tick.tick().await;
        for b in backends.iter() {
            let up = check_one(b).await; //~ sequential_await
            if !up {
                tracing::warn!(backend = %b.name, "backend failed its health check");
            }
        }
    }
}

/// Windows service builds log the probe results through the event log, which only has a
/// blocking API.
#[cfg(windows)]
pub fn report_to_event_log(backends: &Backends) {
    let lines: Vec<String> = backends.iter().map(|b| format!("{}: {}", b.name, b.healthy.load(Ordering::Relaxed))).collect();
    async_std::task::spawn(async move { //~ mixed_runtimes
        for line in lines {
            eprintln!("{line}");
        }
    });
}
