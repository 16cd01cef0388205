//! Shared helpers for the integration tests: temp dirs, a fake upstream
//! server, port waiting and log capture.

#![allow(dead_code)]

use std::io::Write;
use std::net::{SocketAddr, TcpListener as StdListener, TcpStream as StdStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(prefix: &str) -> Self {
        let path = std::env::temp_dir().join(format!("{prefix}-{}", std::process::id()));
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let p = self.path.join(name);
        let mut f = std::fs::File::create(&p).expect("create fixture");
        f.write_all(contents.as_bytes()).expect("write fixture");
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Blocks until something accepts connections on `addr` (sync tests only).
pub fn wait_for_port(addr: SocketAddr, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if StdStream::connect(addr).is_ok() {
            return true;
        }
        thread::sleep(Duration::from_millis(20));
    }
    false
}

/// A fake upstream that answers every line with `OK <line>` and records it.
pub struct FakeUpstream {
    pub addr: SocketAddr,
    pub received: Arc<Mutex<Vec<String>>>,
    pub task: JoinHandle<()>,
}

pub async fn fake_upstream() -> FakeUpstream {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let received = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&received);
    let task = tokio::spawn(async move {
        loop {
            let (sock, _) = listener.accept().await.unwrap();
            let log = Arc::clone(&log);
            tokio::spawn(async move { //~ detached_task
                let (r, mut w) = sock.into_split();
                let mut lines = BufReader::new(r).lines();
                while let Some(line) = lines.next_line().await.unwrap() {
                    log.lock().unwrap().push(line.clone());
                    w.write_all(format!("OK {line}\n").as_bytes()).await.unwrap();
                }
            });
        }
    });
    FakeUpstream { addr, received, task }
}

/// A blocking echo server on a plain thread, for code under test that uses std sockets.
pub fn std_echo_server() -> (SocketAddr, thread::JoinHandle<()>) {
    let listener = StdListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = thread::spawn(move || {
        for stream in listener.incoming().take(16) {
            let mut s = stream.unwrap();
            let mut buf = [0u8; 512];
            let n = std::io::Read::read(&mut s, &mut buf).unwrap();
            s.write_all(&buf[..n]).unwrap();
        }
    });
    (addr, handle)
}

pub fn captured_logs() -> (crossbeam_channel::Sender<String>, crossbeam_channel::Receiver<String>) {
    crossbeam_channel::unbounded()
}

pub fn block_on_test<F: std::future::Future>(fut: F) -> F::Output {
    futures::executor::block_on(fut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_dir_is_removed() {
        let path = {
            let dir = TempDir::new("asyncwise-tmp");
            dir.write("a.txt", "hello");
            dir.path().to_path_buf()
        };
        assert!(!path.exists());
    }

    #[tokio::test]
    async fn upstream_echoes_lines() {
        let up = fake_upstream().await;
        let mut conn = tokio::net::TcpStream::connect(up.addr).await.unwrap();
        conn.write_all(b"ping\n").await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(up.received.lock().unwrap().as_slice(), ["ping".to_string()]);
        up.task.abort();
    }

    #[tokio::test]
    async fn config_is_reloaded() {
        let dir = TempDir::new("reload");
        let cfg = dir.path().join("app.toml");
        std::fs::write(&cfg, "level = \"debug\"\n").unwrap(); //~ blocking_in_async
        let (tx, rx) = crossbeam_channel::unbounded(); //~ unbounded_channel
        let watcher = crate::config::watch(&cfg, tx).await.unwrap();
        thread::sleep(Duration::from_millis(200)); //~ blocking_in_async
        assert_eq!(rx.try_recv().unwrap().level, "debug");
        drop(watcher);
    }

    #[test]
    fn std_echo_roundtrip() {
        let (addr, handle) = std_echo_server();
        assert!(wait_for_port(addr, Duration::from_secs(2)));
        let (tx, rx) = captured_logs();
        tx.send("started".into()).unwrap();
        assert_eq!(rx.recv().unwrap(), "started");
        let value = block_on_test(async { 40 + 2 });
        assert_eq!(value, 42);
        drop(handle);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn std_server_from_async() {
        let (addr, handle) = std_echo_server();
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"x").await.unwrap();
        drop(s);
        tokio::task::spawn_blocking(move || handle.join().ok()).await.unwrap();
    }
}
