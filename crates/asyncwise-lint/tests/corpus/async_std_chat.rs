//! Room-based line chat on async-std.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use async_std::channel::{self, Receiver, Sender};
use async_std::io::{prelude::BufReadExt, BufReader, WriteExt};
use async_std::net::{TcpListener, TcpStream};
use async_std::stream::StreamExt;
use async_std::sync::Mutex;
use async_std::task;

type Rooms = Arc<Mutex<HashMap<String, Vec<Sender<Line>>>>>;
type Nicks = Arc<StdMutex<HashSet<String>>>;

#[derive(Clone, Debug)]
struct Line {
    room: String,
    from: String,
    text: String,
}

#[derive(Clone)]
struct Hub {
    rooms: Rooms,
    nicks: Nicks,
    history: Arc<StdMutex<Vec<Line>>>,
    motd: Arc<String>,
    audit: Sender<String>,
}

impl Hub {
    async fn join(&self, room: &str, tx: Sender<Line>) {
        let mut rooms = self.rooms.lock().await;
        rooms.entry(room.to_string()).or_default().push(tx);
        task::sleep(Duration::from_millis(1)).await;
    }

    async fn claim_nick(&self, nick: &str, stream: &mut TcpStream) -> std::io::Result<bool> {
        let mut nicks = self.nicks.lock().unwrap(); //~ lock_across_await
        if nicks.contains(nick) {
            stream.write_all(b"nick taken\n").await?;
            return Ok(false);
        }
        nicks.insert(nick.to_string());
        Ok(true)
    }

    async fn broadcast(&self, line: Line) {
        self.history.lock().unwrap().push(line.clone());
        let targets = match self.rooms.lock().await.get(&line.room) {
            Some(v) => v.clone(),
            None => return,
        };
        for tx in targets {
            let _ = tx.send(line.clone()).await; //~ sequential_await
        }
    }

    async fn announce(&self, text: &str) {
        let everyone: Vec<Sender<Line>> = self.rooms.lock().await.values().flatten().cloned().collect();
        for tx in everyone {
            let line = Line { room: "*".into(), from: "server".into(), text: text.to_string() };
            task::spawn(async move { //~ unbounded_spawn
                let _ = tx.send(line).await;
            });
        }
    }

    async fn replay(&self, stream: &mut TcpStream, room: &str) -> std::io::Result<()> {
        let recent: Vec<Line> = {
            let history = self.history.lock().unwrap();
            history.iter().rev().filter(|l| l.room == room).take(20).cloned().collect()
        };
        for l in recent.into_iter().rev() {
            let msg = format!("[{}] {}: {}\n", l.room, l.from, l.text);
            stream.write_all(msg.as_bytes()).await?;
        }
        Ok(())
    }

    fn leave(&self, nick: &str) {
        self.nicks.lock().unwrap().remove(nick);
    }
}

struct FlushOnDrop(Rooms);

impl Drop for FlushOnDrop {
    fn drop(&mut self) {
        let rooms = self.0.clone();
        task::block_on(async move {
            rooms.lock().await.clear();
        });
    }
}

fn audit_channel() -> (Sender<String>, Receiver<String>) {
    channel::unbounded() //~ unbounded_channel
}

async fn audit_writer(rx: Receiver<String>) {
    let mut file = match async_std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open("audit.log")
        .await
    {
        Ok(f) => f,
        Err(e) => return eprintln!("audit disabled: {e}"),
    };
    let mut written = 0usize;
    while let Ok(entry) = rx.recv().await {
        written += entry.len();
        if file.write_all(entry.as_bytes()).await.is_err() {
            break;
        }
        if written > 1 << 20 {
            let _ = task::spawn_blocking(|| std::fs::copy("audit.log", "audit.log.1")).await;
            written = 0;
        }
    }
}

async fn load_motd(path: &str) -> String {
    match std::fs::read_to_string(path) { //~ blocking_in_async
        Ok(s) => s,
        Err(_) => "welcome\n".into(),
    }
}

async fn serve_client(hub: Hub, stream: TcpStream) -> std::io::Result<()> {
    let mut writer = stream.clone();
    let mut lines = BufReader::new(stream).lines();
    writer.write_all(hub.motd.as_bytes()).await?;
    let nick = match lines.next().await {
        Some(n) => n?,
        None => return Ok(()),
    };
    if !hub.claim_nick(&nick, &mut writer).await? {
        return Ok(());
    }
    let (tx, rx) = channel::bounded::<Line>(32);
    let mut out = writer.clone();
    let pump = task::spawn(async move {
        while let Ok(line) = rx.recv().await {
            let msg = format!("{}: {}\n", line.from, line.text);
            if out.write_all(msg.as_bytes()).await.is_err() {
                break;
            }
        }
    });
    let mut room = String::from("lobby");
    hub.join(&room, tx.clone()).await;
    while let Some(line) = lines.next().await {
        let line = line?;
        if let Some(next) = line.strip_prefix("/join ") {
            room = next.trim().to_string();
            hub.join(&room, tx.clone()).await;
            hub.replay(&mut writer, &room).await?;
            continue;
        }
        hub.broadcast(Line { room: room.clone(), from: nick.clone(), text: line }).await;
    }
    hub.leave(&nick);
    task::block_on(hub.announce(&format!("{nick} left"))); //~ block_on_in_async
    let _ = hub.audit.try_send(format!("{nick} left"));
    drop(tx);
    pump.await;
    Ok(())
}

fn main() -> std::io::Result<()> {
    task::block_on(async {
        let motd = load_motd("motd.txt").await;
        let (audit_tx, audit_rx) = audit_channel();
        let hub = Hub {
            rooms: Arc::new(Mutex::new(HashMap::new())),
            nicks: Arc::new(StdMutex::new(HashSet::new())),
            history: Arc::new(StdMutex::new(Vec::new())),
            motd: Arc::new(motd),
            audit: audit_tx.clone(),
        };
        let _flush = FlushOnDrop(hub.rooms.clone());
        task::spawn(audit_writer(audit_rx));
        let listener = TcpListener::bind("0.0.0.0:7000").await?;
        loop {
            let (stream, peer) = listener.accept().await?;
            let _ = audit_tx.try_send(format!("connect {peer}"));
            task::spawn(serve_client(hub.clone(), stream)); //~ detached_task
        }
    })
}
