// blocking_in_async: direct, fully qualified blocking calls in `async fn` bodies, next to
// their async replacements and to the same calls in sync functions.
//
// Readings chosen where the issue is not explicit:
// - The primary location is the call expression, which starts at the receiver of a method
//   chain: a multi-line `std::process::Command::new(..)\n.arg(..)\n.output()` is reported on
//   the line where the chain starts.
// - `Command::spawn` alone does not block (it forks and returns); `Child::wait` does.
// - Building a request with `ureq::get(url)` and sending it with `.call()` starts on one line:
//   one finding.
// - `std::io::stdin()` by itself is not a read (`is_terminal()` does not block).
// - `std::net::TcpListener::bind` / `UdpSocket::bind` do not block; `connect`, `accept` and
//   `recv*` do.

use std::io::{BufRead, IsTerminal};
use std::time::Duration;

async fn backoff(attempt: u32) {
    std::thread::sleep(Duration::from_millis(100 * u64::from(attempt))); //~ blocking_in_async
}

async fn backoff_properly(attempt: u32) {
    tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await; // ok: tokio timer
}

fn backoff_sync(attempt: u32) {
    std::thread::sleep(Duration::from_millis(100 * u64::from(attempt))); // ok: sync fn
}

async fn load_settings(path: &std::path::Path) -> std::io::Result<String> {
    let raw = std::fs::read_to_string(path)?; //~ blocking_in_async
    Ok(raw)
}

async fn load_settings_async(path: &std::path::Path) -> std::io::Result<String> {
    let raw = tokio::fs::read_to_string(path).await?; // ok: tokio::fs
    Ok(raw)
}

fn load_settings_sync(path: &std::path::Path) -> std::io::Result<String> {
    std::fs::read_to_string(path) // ok: sync fn
}

async fn persist(dir: &std::path::Path, name: &str, body: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?; //~ blocking_in_async(pedantic)
    let tmp = dir.join(format!("{name}.tmp"));
    std::fs::write(&tmp, body)?; //~ blocking_in_async
    std::fs::rename(&tmp, dir.join(name))?; //~ blocking_in_async(pedantic)
    Ok(())
}

async fn persist_async(dir: &std::path::Path, name: &str, body: &[u8]) -> std::io::Result<()> {
    tokio::fs::create_dir_all(dir).await?; // ok: tokio::fs
    let tmp = dir.join(format!("{name}.tmp"));
    tokio::fs::write(&tmp, body).await?; // ok: tokio::fs
    tokio::fs::rename(&tmp, dir.join(name)).await?; // ok: tokio::fs
    Ok(())
}

async fn rotate(log: &std::path::Path) -> std::io::Result<u64> {
    let meta = std::fs::metadata(log)?; //~ blocking_in_async(pedantic)
    if meta.len() > 10 << 20 {
        std::fs::copy(log, log.with_extension("1"))?; //~ blocking_in_async
        std::fs::remove_file(log)?; //~ blocking_in_async(pedantic)
    }
    let mut n = 0;
    for entry in std::fs::read_dir(log.parent().unwrap())? { //~ blocking_in_async
        let _ = entry?;
        n += 1;
    }
    Ok(n)
}

async fn open_files(path: &std::path::Path) -> std::io::Result<()> {
    let _f = std::fs::File::open(path)?; //~ blocking_in_async
    let _g = std::fs::File::create(path.with_extension("out"))?; //~ blocking_in_async
    let _h = std::fs::OpenOptions::new().append(true).create(true).open(path)?; //~ blocking_in_async
    let _t = tokio::fs::File::open(path).await?; // ok: tokio::fs::File
    let _u = tokio::fs::OpenOptions::new().append(true).open(path).await?; // ok: tokio OpenOptions
    Ok(())
}

async fn git_head() -> std::io::Result<String> {
    let out = std::process::Command::new("git") //~ blocking_in_async
        .args(["rev-parse", "HEAD"])
        .output()?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

async fn git_head_async() -> std::io::Result<String> {
    let out = tokio::process::Command::new("git") // ok: tokio::process
        .args(["rev-parse", "HEAD"])
        .output()
        .await?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

async fn run_hook(script: &str) -> std::io::Result<bool> {
    let status = std::process::Command::new("sh").arg(script).status()?; //~ blocking_in_async
    Ok(status.success())
}

async fn launch_and_wait(cmd: &str) -> std::io::Result<i32> {
    let mut child = std::process::Command::new(cmd).spawn()?; // ok: spawning does not block
    let status = child.wait()?; //~ blocking_in_async
    Ok(status.code().unwrap_or(-1))
}

async fn prompt() -> String {
    let interactive = std::io::stdin().is_terminal(); // ok: not a read
    let mut line = String::new();
    if interactive {
        std::io::stdin().read_line(&mut line).ok(); //~ blocking_in_async
    }
    for l in std::io::stdin().lock().lines() { //~ blocking_in_async
        line.push_str(&l.unwrap_or_default());
    }
    line
}

async fn probe(addr: std::net::SocketAddr) -> bool {
    std::net::TcpStream::connect(addr).is_ok() //~ blocking_in_async
}

async fn probe_async(addr: std::net::SocketAddr) -> bool {
    tokio::net::TcpStream::connect(addr).await.is_ok() // ok: tokio::net
}

async fn bind_only() -> std::io::Result<std::net::TcpListener> {
    std::net::TcpListener::bind("127.0.0.1:0") // ok: bind does not block
}

async fn fetch_blocking(url: &str) -> Result<String, reqwest::Error> {
    reqwest::blocking::get(url)?.text() //~ blocking_in_async
}

async fn fetch_async(url: &str) -> Result<String, reqwest::Error> {
    reqwest::get(url).await?.text().await // ok: async reqwest
}

fn fetch_sync(url: &str) -> Result<String, reqwest::Error> {
    reqwest::blocking::get(url)?.text() // ok: sync fn
}

async fn fetch_ureq(url: &str) -> Result<String, Box<dyn std::error::Error>> {
    let body = ureq::get(url).call()?.into_string()?; //~ blocking_in_async
    Ok(body)
}
