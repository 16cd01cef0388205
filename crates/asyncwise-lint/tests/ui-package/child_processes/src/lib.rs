// Waiting for a child process (`Command::output`/`status`, `Child::wait`/`wait_with_output`)
// in async code: the default form only on a per-event path (a request handler, a loop driven by
// incoming connections or messages, a task spawned there), where it holds a worker per event;
// elsewhere (a command's step, an install, a version check, start-up) the pedantic form.
// Readings: a child's pipe read is a wait of its own (default anywhere, see child_pipes.rs); a
// sync helper that only waits for a child is judged as the wait itself.
mod runners;

use std::process::{Command, Stdio};

use axum::extract::State;
use tokio::net::TcpListener;

pub async fn install_tool(version: &str) -> std::io::Result<()> {
    let status = Command::new("cargo") //~ blocking_in_async(pedantic)
        .args(["install", "--version", version, "tool"])
        .status()?;
    if !status.success() {
        return Err(std::io::Error::other("install failed"));
    }
    Ok(())
}

pub async fn verify_installed(bin: &str) -> std::io::Result<bool> {
    let mut child = Command::new(bin).arg("--version").stdout(Stdio::null()).spawn()?;
    Ok(child.wait()?.success()) //~ blocking_in_async(pedantic)
}

fn git_head(dir: &str) -> Option<String> {
    let out = Command::new("git").args(["-C", dir, "rev-parse", "HEAD"]).output().ok()?;
    String::from_utf8(out.stdout).ok()
}

pub async fn describe_checkout(dir: &str) -> String {
    git_head(dir).unwrap_or_default() //~ blocking_in_async(pedantic)
}

// A request handler (an axum extractor): one child per request holds a worker per request.
pub async fn thumbnail(State(dir): State<String>) -> Vec<u8> {
    let out = Command::new("convert").args([dir.as_str(), "-resize", "64x64", "png:-"]).output(); //~ blocking_in_async
    out.map(|o| o.stdout).unwrap_or_default()
}

pub async fn revision(State(dir): State<String>) -> String {
    git_head(&dir).unwrap_or_default() //~ blocking_in_async
}

// Once per accepted connection, in the task spawned for it.
pub async fn serve_hooks(listener: TcpListener) {
    while let Ok((_socket, _)) = listener.accept().await {
        tokio::spawn(async move {
            let _ = Command::new("/etc/hooks/on-connect").status(); //~ blocking_in_async
        });
    }
}

pub async fn async_child(bin: &str) -> std::io::Result<std::process::ExitStatus> {
    // ok: tokio's Command waits without holding the worker
    tokio::process::Command::new(bin).status().await
}
