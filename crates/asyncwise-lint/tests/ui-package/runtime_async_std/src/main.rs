// An async-std service: every rule that applies knows async-std's spawn, sleep, fs, block_on,
// channels, locks and `futures::select!`.
use std::time::Duration;

use async_std::io::ReadExt;
use async_std::net::{TcpListener, TcpStream};
use async_std::task;
use futures::{FutureExt, select};

pub struct Registry {
    names: async_lock::Mutex<Vec<String>>, //~ async_mutex_unneeded(pedantic)
}

impl Registry {
    pub async fn add(&self, name: String) {
        self.names.lock().await.push(name);
    }
}

async fn fetch(addr: &str) -> anyhow::Result<Vec<u8>> {
    let mut conn = TcpStream::connect(addr).await?;
    let mut buf = Vec::new();
    conn.read_to_end(&mut buf).await?;
    Ok(buf)
}

async fn load_config(path: &str) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path)?; //~ blocking_in_async(pedantic)
    Ok(text)
}

async fn load_config_async(path: &str) -> anyhow::Result<String> {
    let text = async_std::fs::read_to_string(path).await?;
    Ok(text)
}

async fn reload(path: String) -> String {
    task::block_on(load_config_async(&path)).unwrap_or_default() //~ block_on_in_async
}

async fn connect_retry(addr: &str) -> TcpStream {
    loop {
        match TcpStream::connect(addr).await { //~ retry_without_backoff
            Ok(stream) => break stream,
            Err(e) => eprintln!("connect failed: {e}"),
        }
    }
}

async fn connect_paced(addr: &str) -> TcpStream {
    loop {
        match TcpStream::connect(addr).await {
            Ok(stream) => break stream,
            Err(e) => eprintln!("connect failed: {e}"),
        }
        task::sleep(Duration::from_millis(200)).await;
    }
}

async fn read_frames(conn: &mut TcpStream, stop: async_channel::Receiver<()>) {
    let mut header = [0u8; 4];
    loop {
        select! {
            r = conn.read_exact(&mut header).fuse() => if r.is_err() { return }, //~ select_cancel_unsafe
            _ = stop.recv().fuse() => return,
        }
    }
}

async fn serve(listener: TcpListener) -> anyhow::Result<()> {
    let (events, _rx) = async_channel::unbounded::<String>(); //~ unbounded_channel
    loop {
        let (conn, peer) = listener.accept().await?;
        events.send(peer.to_string()).await?;
        task::spawn(async move { //~ detached_task
            let mut buf = [0u8; 16];
            let mut conn = conn;
            let _motd = std::fs::read_to_string("motd.txt")?; //~ blocking_in_async
            conn.read(&mut buf).await?;
            Ok::<_, anyhow::Error>(())
        });
    }
}

async fn offloaded(path: String) -> String {
    task::spawn_blocking(move || std::fs::read_to_string(path).unwrap_or_default()).await
}

#[async_std::main]
async fn main() -> anyhow::Result<()> {
    let cfg = load_config("app.toml").await?;
    let _ = (cfg, reload(String::new()).await, offloaded(String::new()).await);
    let _ = fetch("127.0.0.1:1").await;
    let reg = Registry { names: async_lock::Mutex::new(Vec::new()) };
    reg.add("a".into()).await;
    let _ = connect_retry("127.0.0.1:2").await;
    let _ = connect_paced("127.0.0.1:3").await;
    let (_tx, stop) = async_channel::bounded(1);
    read_frames(&mut TcpStream::connect("127.0.0.1:4").await?, stop).await;
    serve(TcpListener::bind("127.0.0.1:0").await?).await
}
