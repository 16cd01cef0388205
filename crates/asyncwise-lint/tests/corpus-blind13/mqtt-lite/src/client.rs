use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::{AsyncReadExt, AsyncWriteExt, FutureExt};
use smol::net::TcpStream;
use smol::Timer;

use crate::packet::{self, Packet, QoS};
use crate::session::Session;

pub struct Options {
    pub broker: String,
    pub client_id: String,
    pub keep_alive: Duration,
}

pub struct Client {
    opts: Options,
    writer: async_lock::Mutex<Option<TcpStream>>,
    inflight: async_lock::Mutex<HashMap<u16, async_channel::Sender<()>>>, //~ async_mutex_unneeded(pedantic)
    session: smol::lock::Mutex<Session>,
    incoming: async_channel::Sender<(String, Vec<u8>)>,
}

impl Client {
    pub fn new(opts: Options, session: Session) -> (Arc<Client>, async_channel::Receiver<(String, Vec<u8>)>) {
        let (incoming, rx) = async_channel::unbounded(); //~ unbounded_channel
        let client = Arc::new(Client {
            opts,
            writer: async_lock::Mutex::new(None),
            inflight: async_lock::Mutex::new(HashMap::new()),
            session: smol::lock::Mutex::new(session),
            incoming,
        });
        (client, rx)
    }

    async fn connect_once(&self) -> std::io::Result<TcpStream> {
        let mut stream = TcpStream::connect(self.opts.broker.as_str()).await?;
        let id = self.opts.client_id.as_bytes();
        let mut pkt = vec![0x10];
        pkt.extend(packet::remaining_length(12 + id.len()));
        pkt.extend_from_slice(b"\x00\x04MQTT\x04\x02");
        pkt.extend_from_slice(&(self.opts.keep_alive.as_secs() as u16).to_be_bytes());
        pkt.extend_from_slice(&(id.len() as u16).to_be_bytes());
        pkt.extend_from_slice(id);
        stream.write_all(&pkt).await?;
        Ok(stream)
    }

    /// Connects, and keeps reconnecting until the broker answers.
    pub async fn connect(self: &Arc<Self>) -> std::io::Result<TcpStream> {
        let stream = loop {
            match self.connect_once().await { //~ retry_without_backoff
                Ok(s) => break s,
                Err(e) => log::warn!("broker {} unreachable: {e}", self.opts.broker),
            }
        };
        *self.writer.lock().await = Some(stream.clone());
        let pinger = self.clone();
        smol::spawn(async move { //~ detached_task
            loop {
                Timer::after(pinger.opts.keep_alive).await;
                let mut writer = pinger.writer.lock().await;
                let Some(w) = writer.as_mut() else { break };
                w.write_all(&[0xc0, 0x00]).await?;
            }
            Ok::<_, std::io::Error>(())
        })
        .detach();
        Ok(stream)
    }

    pub async fn publish(&self, topic: &str, payload: &[u8], qos: QoS) -> std::io::Result<()> {
        let mut session = self.session.lock().await;
        let pid = session.allocate();
        let bytes = packet::encode_publish(pid, topic, payload, qos);
        if qos == QoS::AtLeastOnce {
            session.unacked.insert(pid, bytes.clone());
        }
        let mut writer = self.writer.lock().await;
        let w = writer.as_mut().ok_or(std::io::ErrorKind::NotConnected)?;
        w.write_all(&bytes).await?;
        drop(writer);
        if qos == QoS::AtLeastOnce {
            let (tx, rx) = async_channel::bounded(1);
            self.inflight.lock().await.insert(pid, tx);
            drop(session);
            let _ = rx.recv().await;
        }
        Ok(())
    }

    /// Reads packets until the connection drops.
    pub async fn run(&self, mut reader: TcpStream, stop: async_channel::Receiver<()>) -> std::io::Result<()> {
        loop {
            let mut header = [0u8; 2];
            // ok since session 19: `reader` is taken by value and dropped when `stop` returns
            futures::select! {
                r = reader.read_exact(&mut header).fuse() => r?,
                _ = stop.recv().fuse() => return Ok(()),
            }
            let mut body = vec![0u8; header[1] as usize];
            reader.read_exact(&mut body).await?;
            match packet::decode(header[0], &body) {
                Packet::Publish { pid, topic, payload } => {
                    if pid != 0 {
                        let mut session = self.session.lock().await;
                        session.unacked.remove(&pid);
                        session.persist()?; // @helper //~ blocking_in_async(pedantic)
                    }
                    let _ = self.incoming.send((topic, payload)).await;
                }
                Packet::PubAck { pid } => {
                    let waiter = self.inflight.lock().await.remove(&pid);
                    if let Some(w) = waiter {
                        let _ = w.send(()).await;
                    }
                }
                Packet::PingResp | Packet::ConnAck { .. } | Packet::Other(_) => {}
            }
        }
    }

    /// Flushes the session before the device powers down.
    pub async fn flush_all(&self) -> std::io::Result<()> {
        let session = self.session.lock().await;
        let pending: Vec<Vec<u8>> = session.unacked.values().cloned().collect();
        drop(session);
        for bytes in pending {
            let mut writer = self.writer.lock().await;
            if let Some(w) = writer.as_mut() {
                smol::block_on(w.write_all(&bytes))?; //~ block_on_in_async
            }
        }
        std::thread::sleep(Duration::from_millis(50)); //~ blocking_in_async
        Ok(())
    }

    /// For callers without an executor (a shutdown hook).
    pub fn disconnect_blocking(&self) {
        smol::block_on(async {
            if let Some(mut w) = self.writer.lock().await.take() {
                let _ = w.write_all(&[0xe0, 0x00]).await;
            }
        });
    }
}
