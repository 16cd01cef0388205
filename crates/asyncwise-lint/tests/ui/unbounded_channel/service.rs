// unbounded_channel: an event pipeline — websocket fan-out, a log shipper and a job queue —
// with unbounded queues between fast producers and slow consumers, and their bounded fixes.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, Semaphore};
use tokio::task::JoinHandle;

#[derive(Clone, Debug)]
pub enum Event {
    Joined(u64),
    Left(u64),
    Message(u64, String),
}

pub struct Pipeline {
    events: mpsc::UnboundedSender<Event>,
    logs: mpsc::Sender<String>,
    fanout: broadcast::Sender<Event>,
    worker: JoinHandle<()>,
}

impl Pipeline {
    pub fn start() -> Self {
        let (events, mut events_rx) = mpsc::unbounded_channel::<Event>(); //~ unbounded_channel
        let (logs, mut logs_rx) = mpsc::channel::<String>(1024); // ok: bounded
        let (fanout, _) = broadcast::channel::<Event>(256); // ok: bounded
        let fan = fanout.clone();
        let worker = tokio::spawn(async move {
            loop {
                tokio::select! {
                    Some(ev) = events_rx.recv() => { let _ = fan.send(ev); }
                    Some(line) = logs_rx.recv() => { ship(line).await; }
                    else => break,
                }
            }
        });
        Pipeline { events, logs, fanout, worker }
    }

    pub async fn log(&self, line: String) {
        if self.logs.send(line).await.is_err() {
            tracing::warn!("log shipper gone");
        }
    }

    pub fn emit(&self, ev: Event) {
        let _ = self.events.send(ev);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.fanout.subscribe()
    }

    pub async fn shutdown(self) {
        drop(self.events);
        drop(self.logs);
        let _ = self.worker.await;
    }
}

async fn ship(_line: String) {
    tokio::time::sleep(Duration::from_millis(2)).await;
}

pub struct JobQueue {
    tx: async_channel::Sender<Vec<u8>>,
    rx: async_channel::Receiver<Vec<u8>>,
    permits: Arc<Semaphore>,
}

impl JobQueue {
    pub fn new_unbounded() -> Self {
        let (tx, rx) = async_channel::unbounded(); //~ unbounded_channel
        JobQueue { tx, rx, permits: Arc::new(Semaphore::new(8)) }
    }

    pub fn new(capacity: usize) -> Self {
        let (tx, rx) = async_channel::bounded(capacity); // ok: bounded
        JobQueue { tx, rx, permits: Arc::new(Semaphore::new(8)) }
    }

    pub async fn push(&self, job: Vec<u8>) -> bool {
        self.tx.send(job).await.is_ok()
    }

    pub async fn pop(&self) -> Option<Vec<u8>> {
        let _permit = self.permits.acquire().await.ok()?;
        self.rx.recv().await.ok()
    }
}

pub struct WsSession {
    outbound: futures::channel::mpsc::UnboundedSender<String>,
}

impl WsSession {
    pub fn new() -> (Self, futures::channel::mpsc::UnboundedReceiver<String>) {
        let (outbound, rx) = futures::channel::mpsc::unbounded(); //~ unbounded_channel
        (WsSession { outbound }, rx)
    }

    pub fn new_bounded() -> (futures::channel::mpsc::Sender<String>, futures::channel::mpsc::Receiver<String>) {
        futures::channel::mpsc::channel(32) // ok: bounded
    }

    pub fn push(&self, text: String) {
        let _ = self.outbound.unbounded_send(text); // ok: a send, not a constructor
    }
}

pub async fn audit_trail() -> Vec<String> {
    // Collecting from a blocking thread through a std channel, created in async code.
    let (tx, rx) = std::sync::mpsc::channel::<String>(); //~ unbounded_channel
    let t = std::thread::spawn(move || {
        for i in 0..3 {
            let _ = tx.send(format!("entry {i}"));
        }
    });
    let collected = tokio::task::spawn_blocking(move || rx.iter().collect::<Vec<_>>()).await;
    let _ = t;
    collected.unwrap_or_default()
}
