use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_lock::RwLock;
use futures_lite::io::{AsyncBufReadExt, BufReader};
use smol::net::{TcpListener, TcpStream};

use crate::uplink::Uplink;

pub struct Bridge {
    routes: RwLock<HashMap<String, String>>, //~ async_mutex_unneeded
    uplink: smol::lock::Mutex<Uplink>,
    forwarding: AtomicUsize,
    pub events: tokio::sync::broadcast::Sender<String>,
}

impl Bridge {
    pub fn new(uplink: Uplink) -> Self {
        let (events, _) = tokio::sync::broadcast::channel(64);
        Self { routes: RwLock::new(HashMap::new()), uplink: smol::lock::Mutex::new(uplink), forwarding: AtomicUsize::new(0), events }
    }

    async fn route_for(&self, topic: &str) -> String {
        let routes = self.routes.read().await;
        routes.get(topic).cloned().unwrap_or_else(|| format!("edge/{topic}"))
    }

    pub async fn add_route(&self, from: String, to: String) {
        self.routes.write().await.insert(from, to);
    }

    async fn forward(&self, topic: &str, payload: &[u8]) -> std::io::Result<()> {
        let target = self.route_for(topic).await;
        let mut uplink = self.uplink.lock().await;
        uplink.publish(&target, payload).await
    }

    /// Forwards a batch of lines read from one client, each in its own task.
    pub async fn forward_batch(self: &Arc<Self>, lines: Vec<(String, Vec<u8>)>) {
        let mut tasks = Vec::new();
        for (topic, payload) in lines {
            let me = self.clone();
            tasks.push(smol::spawn(async move { //~ unbounded_spawn(pedantic)
                me.forwarding.fetch_add(1, Ordering::Relaxed);
                let result = me.forward(&topic, &payload).await;
                me.forwarding.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await
                result
            }));
        }
        for task in tasks {
            if let Err(e) = task.await {
                eprintln!("forward failed: {e}");
            }
        }
    }

    pub fn start_metrics(&self) {
        let (tx, rx) = crossbeam_channel::unbounded::<usize>();
        std::thread::spawn(move || {
            for n in rx {
                println!("forwarding={n}");
            }
        });
        let _ = tx.send(self.forwarding.load(Ordering::Relaxed));
    }

    pub async fn report_to_collector(&self, collector: String) {
        let (tx, rx) = std::sync::mpsc::channel::<String>(); //~ unbounded_channel
        std::thread::spawn(move || {
            for line in rx {
                let _ = std::fs::write(&collector, line);
            }
        });
        let mut events = self.events.subscribe();
        while let Ok(event) = events.recv().await {
            let _ = tx.send(event);
        }
    }

    pub async fn shutdown(&self) {
        let mut uplink = smol::block_on(self.uplink.lock()); //~ block_on_in_async
        uplink.close();
        std::thread::sleep(Duration::from_millis(200)); //~ blocking_in_async
    }
}

pub async fn serve(addr: &str, bridge: Arc<Bridge>) -> anyhow::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    loop {
        let (stream, _peer) = listener.accept().await?;
        smol::spawn(client(stream, bridge.clone())).detach(); //~ detached_task
    }
}

async fn client(stream: TcpStream, bridge: Arc<Bridge>) -> std::io::Result<()> {
    let mut lines = BufReader::new(stream).lines();
    use futures_lite::StreamExt;
    while let Some(line) = lines.next().await {
        let line = line?;
        if let Some((topic, payload)) = line.split_once(' ') {
            bridge.forward(topic, payload.as_bytes()).await?;
        }
    }
    Ok(())
}
