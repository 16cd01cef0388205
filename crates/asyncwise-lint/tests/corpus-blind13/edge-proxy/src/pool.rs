use std::collections::HashMap;
use std::net::SocketAddr;

use tokio::net::TcpStream;
use tokio::sync::Mutex;

/// Keeps a few idle upstream connections per backend address.
pub struct UpstreamPool {
    idle: Mutex<HashMap<SocketAddr, Vec<TcpStream>>>, //~ async_mutex_unneeded
    per_backend: usize,
}

impl UpstreamPool {
    pub fn new(per_backend: usize) -> Self {
        UpstreamPool {
            idle: Mutex::new(HashMap::new()),
            per_backend,
        }
    }

    pub async fn checkout(&self, addr: SocketAddr) -> std::io::Result<TcpStream> {
        let reused = self.idle.lock().await.get_mut(&addr).and_then(Vec::pop);
        match reused {
            Some(stream) => Ok(stream),
            None => TcpStream::connect(addr).await,
        }
    }

    pub async fn checkin(&self, addr: SocketAddr, stream: TcpStream) {
        let mut idle = self.idle.lock().await;
        let list = idle.entry(addr).or_default();
        if list.len() < self.per_backend {
            list.push(stream);
        }
    }
}
