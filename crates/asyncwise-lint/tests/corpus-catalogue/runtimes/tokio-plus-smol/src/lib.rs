//! Catalogue corpus: crawler frontier on tokio using smol's channel type for the queue.

use smol::channel::{bounded, Receiver, Sender};
use tokio::net::TcpStream;

pub struct Frontier {
    tx: Sender<url::Url>,
    rx: Receiver<url::Url>,
}

impl Frontier {
    pub fn new(capacity: usize) -> Self {
        let (tx, rx) = bounded(capacity);
        Frontier { tx, rx }
    }

    pub async fn push(&self, url: url::Url) -> bool {
        self.tx.send(url).await.is_ok()
    }

    pub async fn crawl_one(&self) -> Option<(url::Url, bool)> {
        let url = self.rx.recv().await.ok()?;
        let host = url.host_str()?.to_string();
        let port = url.port_or_known_default().unwrap_or(80);
        let reachable = TcpStream::connect((host.as_str(), port)).await.is_ok();
        Some((url, reachable))
    }
}
