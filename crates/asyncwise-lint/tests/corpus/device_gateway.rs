//! IoT device gateway (async-std): devices connect over TCP, send framed
//! telemetry, and the gateway forwards it to the upstream collector.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_std::channel::{bounded, Receiver, Sender};
use async_std::fs;
use async_std::io::{prelude::*, BufReader};
use async_std::net::{TcpListener, TcpStream};
use async_std::sync::Mutex;
use async_std::task;
use log::{info, warn};

use crate::collector::{Collector, Telemetry};

pub struct Gateway {
    devices: Mutex<HashMap<String, Sender<Vec<u8>>>>,
    collector: Collector,
    firmware_dir: String,
}

pub fn main_entry(addr: &str) -> anyhow::Result<()> {
    let firmware = std::fs::read_dir("/var/lib/gateway/firmware")?.count();
    info!("{firmware} firmware images available");
    task::block_on(async {
        let gw = Arc::new(Gateway::load("/etc/gateway.toml").await?);
        gw.serve(addr).await
    })
}

impl Gateway {
    async fn load(path: &str) -> anyhow::Result<Gateway> {
        let text = fs::read_to_string(path).await?;
        let collector = Collector::from_config(&text)?;
        Ok(Gateway { devices: Mutex::new(HashMap::new()), collector, firmware_dir: "/var/lib/gateway/firmware".into() })
    }

    async fn serve(self: Arc<Self>, addr: &str) -> anyhow::Result<()> {
        let listener = TcpListener::bind(addr).await?;
        loop {
            let (stream, _) = listener.accept().await?;
            let gw = Arc::clone(&self);
            task::spawn(async move {
                if let Err(e) = gw.handle_device(stream).await {
                    warn!("device connection ended: {e}");
                }
            });
        }
    }

    async fn handle_device(&self, stream: TcpStream) -> anyhow::Result<()> {
        let peer = stream.peer_addr()?.to_string();
        let (tx, rx): (Sender<Vec<u8>>, Receiver<Vec<u8>>) = bounded(32);
        self.devices.lock().await.insert(peer.clone(), tx);
        let mut writer = stream.clone();
        let commands = task::spawn(async move {
            while let Ok(cmd) = rx.recv().await {
                if writer.write_all(&cmd).await.is_err() {
                    break;
                }
            }
        });

        let mut lines = BufReader::new(stream).lines();
        while let Some(line) = lines.next().await {
            let line = line?;
            let telemetry: Telemetry = serde_json::from_str(&line)?;
            self.collector.push(telemetry).await?;
        }
        self.devices.lock().await.remove(&peer);
        commands.cancel().await;
        Ok(())
    }

    pub async fn broadcast(&self, cmd: &[u8]) -> usize {
        let devices = self.devices.lock().await;
        let mut sent = 0;
        for tx in devices.values() {
            if tx.send(cmd.to_vec()).await.is_ok() {
                sent += 1;
            }
        }
        sent
    }

    pub async fn push_firmware(&self, name: &str) -> anyhow::Result<usize> {
        let image = std::fs::read(format!("{}/{name}", self.firmware_dir))?; //~ blocking_in_async
        let mut framed = Vec::with_capacity(image.len() + 8);
        framed.extend_from_slice(&(image.len() as u64).to_be_bytes());
        framed.extend_from_slice(&image);
        Ok(self.broadcast(&framed).await)
    }

    pub async fn firmware_versions(&self) -> anyhow::Result<Vec<String>> {
        let dir = self.firmware_dir.clone();
        let names = task::spawn_blocking(move || {
            std::fs::read_dir(dir).map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect::<Vec<_>>())
        })
        .await?;
        Ok(names)
    }

    pub async fn flush_upstream(&self) {
        let pending = self.collector.pending();
        let (tx, rx) = async_std::channel::unbounded(); //~ unbounded_channel
        for batch in pending.chunks(100).map(|c| c.to_vec()) {
            let collector = self.collector.clone();
            let tx = tx.clone();
            task::spawn(async move { //~ unbounded_spawn
                let res = collector.send_batch(batch).await;
                let _ = tx.send(res.is_ok()).await;
            });
        }
        drop(tx);
        let mut ok = 0;
        while let Ok(success) = rx.recv().await {
            ok += success as usize;
        }
        info!("flushed {ok} batches");
    }

    pub async fn heartbeat(self: Arc<Self>) {
        loop {
            task::sleep(Duration::from_secs(30)).await;
            let count = self.devices.lock().await.len();
            let ok = task::block_on(self.collector.ping()); //~ block_on_in_async
            info!("{count} devices, collector up: {ok}");
        }
    }
}
