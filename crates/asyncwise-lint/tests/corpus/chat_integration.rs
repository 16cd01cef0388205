//! End-to-end tests for the chat daemon: start a real server on an
//! ephemeral port and talk to it over websockets.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Result;
use futures::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{connect_async, MaybeTlsStream, WebSocketStream};

use chatd::config::Config;
use chatd::server::Server;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Tests that touch the shared motd directory must not overlap.
static MOTD_LOCK: Mutex<()> = Mutex::new(());

struct TestServer {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<()>>,
    dir: tempfile::TempDir,
}

impl TestServer {
    async fn start() -> Result<Self> {
        let dir = tempfile::tempdir()?;
        std::fs::write(dir.path().join("motd.txt"), "hello from tests\n")?; //~ blocking_in_async
        let cfg = Config {
            motd_path: dir.path().join("motd.txt"),
            history: 16,
            ..Config::default()
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel();
        let server = Server::new(cfg);
        let handle = tokio::spawn(async move {
            server
                .serve(listener, async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
        });
        Ok(Self { addr, shutdown: Some(tx), handle: Some(handle), dir })
    }

    async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), h).await;
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = std::fs::remove_file(self.dir.path().join("motd.txt"));
    }
}

async fn connect(addr: SocketAddr) -> Result<Ws> {
    let (ws, _resp) = connect_async(format!("ws://{addr}/ws")).await?;
    Ok(ws)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcast_reaches_all_clients() -> Result<()> {
    let srv = TestServer::start().await?;
    let mut clients = Vec::new();
    for _ in 0..5 {
        clients.push(connect(srv.addr).await?);
    }

    let (tx, mut rx) = mpsc::unbounded_channel(); //~ unbounded_channel
    let mut sender = clients.remove(0);
    for (i, mut client) in clients.into_iter().enumerate() {
        let tx = tx.clone();
        tokio::spawn(async move { //~ unbounded_spawn, detached_task
            let msg = client.next().await.expect("stream ended").unwrap();
            tx.send((i, msg)).unwrap();
        });
    }
    drop(tx);

    sender.send(Message::text("hi all")).await?;
    let mut got = Vec::new();
    while let Some((i, msg)) = rx.recv().await {
        got.push((i, msg.into_text()?));
    }
    assert_eq!(got.len(), 4);
    srv.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn motd_is_sent_on_join() -> Result<()> {
    let _guard = MOTD_LOCK.lock().unwrap(); //~ lock_across_await
    let srv = TestServer::start().await?;
    let mut ws = connect(srv.addr).await?;
    let first = ws.next().await.expect("no motd")?;
    assert_eq!(first.into_text()?, "hello from tests\n");
    srv.stop().await;
    Ok(())
}

#[tokio::test]
async fn motd_reload_is_picked_up() -> Result<()> {
    let _ = MOTD_LOCK.lock().unwrap();
    let srv = TestServer::start().await?;
    let path = srv.dir.path().join("motd.txt");
    tokio::fs::write(&path, "updated\n").await?;
    let mut ws = connect(srv.addr).await?;
    let first = ws.next().await.expect("no motd")?;
    assert_eq!(first.into_text()?, "updated\n");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn survives_raw_tcp_client() -> Result<()> {
    let srv = TestServer::start().await?;
    let addr = srv.addr;
    let raw = std::thread::spawn(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.write_all(b"GARBAGE\r\n\r\n").unwrap();
    });
    raw.join().unwrap(); //~ blocking_in_async

    let mut handles = Vec::new();
    for i in 0..3 {
        handles.push(tokio::spawn(async move {
            let mut ws = connect(addr).await?;
            ws.send(Message::text(format!("client {i}"))).await?;
            Ok::<_, anyhow::Error>(())
        }));
    }
    for h in handles {
        h.await??;
    }
    srv.stop().await;
    Ok(())
}

#[test]
fn default_config_is_valid() {
    let text = std::fs::read_to_string("tests/data/chatd.toml").unwrap();
    let cfg: Config = toml::from_str(&text).unwrap();
    assert!(cfg.history > 0);
}
