// A smol service: every rule that applies knows smol's spawn, sleep, fs, block_on, channels,
// locks and `futures::select!`.
use std::sync::Arc;
use std::time::Duration;

use futures::{FutureExt, select};
use smol::io::AsyncReadExt;
use smol::net::{TcpListener, TcpStream};
use smol::{Executor, Timer};

pub struct Cache {
    entries: smol::lock::RwLock<Vec<String>>, //~ async_mutex_unneeded(pedantic)
    hits: async_lock::Mutex<u64>, //~ async_mutex_unneeded(pedantic)
}

impl Cache {
    pub async fn get(&self, i: usize) -> Option<String> {
        *self.hits.lock().await += 1;
        self.entries.read().await.get(i).cloned()
    }
}

async fn load_config(path: &str) -> anyhow::Result<String> {
    Ok(std::fs::read_to_string(path)?) //~ blocking_in_async(pedantic)
}

async fn load_config_async(path: &str) -> anyhow::Result<String> {
    Ok(smol::fs::read_to_string(path).await?)
}

async fn reload(path: String) -> String {
    smol::block_on(load_config_async(&path)).unwrap_or_default() //~ block_on_in_async
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
        Timer::after(Duration::from_millis(200)).await;
    }
}

async fn read_frames(conn: &mut TcpStream, stop: smol::channel::Receiver<()>) {
    let mut header = [0u8; 4];
    loop {
        select! {
            r = conn.read_exact(&mut header).fuse() => if r.is_err() { return }, //~ select_cancel_unsafe
            _ = stop.recv().fuse() => return,
        }
    }
}

async fn serve(ex: Arc<Executor<'static>>, listener: TcpListener) -> anyhow::Result<()> {
    let (events, _rx) = smol::channel::unbounded::<String>(); //~ unbounded_channel
    loop {
        let (conn, peer) = listener.accept().await?;
        events.send(peer.to_string()).await?;
        ex.spawn(async move { //~ detached_task
            let mut buf = [0u8; 16];
            let mut conn = conn;
            let _motd = std::fs::read_to_string("motd.txt")?; //~ blocking_in_async
            conn.read(&mut buf).await?;
            Ok::<_, anyhow::Error>(())
        })
        .detach();
    }
}

async fn offloaded(path: String) -> String {
    smol::unblock(move || std::fs::read_to_string(path).unwrap_or_default()).await
}

fn main() -> anyhow::Result<()> {
    let ex = Arc::new(Executor::new());
    smol::block_on(ex.run(async {
        let cfg = load_config("app.toml").await?;
        let _ = (cfg, reload(String::new()).await, offloaded(String::new()).await);
        let cache = Cache {
            entries: smol::lock::RwLock::new(Vec::new()),
            hits: async_lock::Mutex::new(0),
        };
        let _ = cache.get(0).await;
        let _ = connect_retry("127.0.0.1:2").await;
        let _ = connect_paced("127.0.0.1:3").await;
        let (_tx, stop) = smol::channel::bounded(1);
        read_frames(&mut TcpStream::connect("127.0.0.1:4").await?, stop).await;
        serve(ex.clone(), TcpListener::bind("127.0.0.1:0").await?).await
    }))
}
