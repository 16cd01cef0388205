//! A chat relay: accepts lines from peers and fans them out. It compiles and mostly works, and
//! has the mistakes asyncwise is for.

mod store;

use std::sync::Mutex;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

struct Relay {
    peers: Mutex<Vec<String>>,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    // asyncwise: allow(blocking_in_async) -- read once at startup, before any peer connects
    let banner = std::fs::read_to_string("banner.txt").unwrap_or_default();
    println!("{banner}");
    let relay: &'static Relay = Box::leak(Box::new(Relay {
        peers: Mutex::new(Vec::new()),
    }));
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    tokio::spawn(store::persist_all());
    let listener = TcpListener::bind("127.0.0.1:7878").await?;
    tokio::spawn(async move {
        while let Some(line) = rx.recv().await {
            println!("{line}");
        }
    });
    loop {
        let (socket, addr) = listener.accept().await?;
        let tx = tx.clone();
        tokio::spawn(async move { serve(relay, socket, addr.to_string(), tx).await });
    }
}

async fn serve(relay: &Relay, mut socket: TcpStream, name: String, tx: mpsc::UnboundedSender<String>) {
    let mut peers = relay.peers.lock().unwrap();
    peers.push(name.clone());
    greet(&mut socket, &name).await;
    drop(peers);
    let mut lines = BufReader::new(socket).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if line == "slow" {
            std::thread::sleep(Duration::from_millis(200));
        }
        let _ = tx.send(format!("{name}: {line}"));
    }
}

async fn greet(socket: &mut TcpStream, name: &str) {
    println!("{name} joined");
    let _ = socket.write_all(format!("welcome, {name}\n").as_bytes()).await;
}
