//! Catalogue corpus: a small chat server on async-std — a broker task owns the peer table,
//! connections register with it, a moderation listener serves one moderator at a time.
//! Labels: a trailing marker comment names the rules of a finding that must start on that line.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_std::io::BufReader;
use async_std::net::{TcpListener, TcpStream, ToSocketAddrs};
use async_std::prelude::*;
use async_std::sync::Mutex;
use async_std::task;
use futures::channel::mpsc;
use futures::SinkExt;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;
type Sender<T> = mpsc::UnboundedSender<T>;

#[derive(Debug)]
enum Event {
    NewPeer { name: String, stream: Arc<TcpStream> },
    Message { from: String, to: Vec<String>, msg: String },
}

pub struct MessageStore;
pub struct BanList;

impl MessageStore {
    pub async fn motd(&self) -> Result<String> {
        Ok("welcome".into())
    }
    pub async fn save(&self, _from: &str, _msg: &str) -> Result<()> {
        Ok(())
    }
}
impl BanList {
    pub async fn banned(&self) -> Result<Vec<String>> {
        Ok(Vec::new())
    }
}

/// Per-room counters shown on the status page.
struct RoomStats {
    messages: Mutex<HashMap<String, u64>>, //~ async_mutex_unneeded
}

impl RoomStats {
    async fn record(&self, room: &str) {
        let mut messages = self.messages.lock().await;
        *messages.entry(room.to_string()).or_insert(0) += 1;
    }
}

fn spawn_and_log_error<F>(fut: F) -> task::JoinHandle<()>
where
    F: Future<Output = Result<()>> + Send + 'static,
{
    task::spawn(async move {
        if let Err(e) = fut.await {
            log::error!("{e}");
        }
    })
}

pub async fn accept_loop(addr: impl ToSocketAddrs, store: Arc<MessageStore>) -> Result<()> {
    let listener = TcpListener::bind(addr).await?;
    let (broker_sender, broker_receiver) = mpsc::unbounded(); //~ unbounded_channel
    let broker = task::spawn(broker_loop(broker_receiver));
    let mut incoming = listener.incoming();
    while let Some(stream) = incoming.next().await {
        let stream = stream?;
        spawn_and_log_error(connection_loop(broker_sender.clone(), stream, store.clone()));
    }
    drop(broker_sender);
    broker.await;
    Ok(())
}

async fn connection_loop(mut broker: Sender<Event>, stream: TcpStream, store: Arc<MessageStore>) -> Result<()> {
    let stream = Arc::new(stream);
    let reader = BufReader::new(&*stream);
    let mut lines = reader.lines();
    let name = match lines.next().await {
        None => return Err("peer disconnected immediately".into()),
        Some(line) => line?,
    };
    broker.send(Event::NewPeer { name: name.clone(), stream: Arc::clone(&stream) }).await?;
    while let Some(line) = lines.next().await {
        let line = line?;
        let (dest, msg) = match line.find(':') {
            None => continue,
            Some(idx) => (&line[..idx], line[idx + 1..].trim()),
        };
        let to: Vec<String> = dest.split(',').map(|n| n.trim().to_string()).collect();
        store.save(&name, msg).await?;
        broker.send(Event::Message { from: name.clone(), to, msg: msg.to_string() }).await?;
    }
    Ok(())
}

async fn broker_loop(mut events: mpsc::UnboundedReceiver<Event>) {
    let mut peers: HashMap<String, Arc<TcpStream>> = HashMap::new();
    let stats = RoomStats { messages: Mutex::new(HashMap::new()) };
    while let Some(event) = events.next().await {
        match event {
            Event::Message { from, to, msg } => {
                let line = format!("from {from}: {msg}\n");
                let writes = to.iter().filter_map(|addr| peers.get(addr)).map(|peer| {
                    let line = line.clone();
                    async move { (&**peer).write_all(line.as_bytes()).await }
                });
                for result in futures::future::join_all(writes).await {
                    if let Err(e) = result {
                        log::debug!("peer write failed: {e}");
                    }
                }
                stats.record(&from).await;
            }
            Event::NewPeer { name, stream } => {
                peers.insert(name, stream);
            }
        }
    }
}

/// Greets a moderator with the message of the day and the ban list.
async fn moderator_session(stream: TcpStream, store: Arc<MessageStore>, bans: Arc<BanList>) -> Result<()> {
    let motd = store.motd().await?; //~ sequential_await
    let banned = bans.banned().await?;
    let mut stream = stream;
    stream.write_all(format!("{motd}\nbanned: {}\n", banned.join(",")).as_bytes()).await?;
    Ok(())
}

/// The moderation port serves one moderator at a time, inline.
pub async fn moderation_loop(addr: &str, store: Arc<MessageStore>, bans: Arc<BanList>) -> Result<()> {
    let listener = TcpListener::bind(addr).await?;
    let mut incoming = listener.incoming();
    while let Some(stream) = incoming.next().await {
        let stream = stream?;
        moderator_session(stream, store.clone(), bans.clone()).await?; //~ inline_accept_loop
    }
    Ok(())
}

/// Connects to the federation hub, waiting longer after each failure.
pub async fn connect_hub(addr: &str) -> TcpStream {
    let mut delay = Duration::from_millis(200);
    loop {
        match TcpStream::connect(addr).await {
            Ok(stream) => return stream,
            Err(e) => {
                log::warn!("hub unreachable: {e}");
                task::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(30));
            }
        }
    }
}
