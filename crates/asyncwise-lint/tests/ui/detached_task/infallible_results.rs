// A spawned async fn declared to return a `Result` but whose body handles every error and ends
// in `Ok(..)` cannot fail by an error value: dropping its handle loses nothing. One that can
// still end in an error (a `?`, a returned `Err`, a `bail!`, a tail call) is reported.
use std::io;

use tokio::sync::mpsc;

pub fn start(tx: mpsc::Sender<u32>, rx: mpsc::Receiver<u32>) {
    tokio::spawn(forward_all(tx.clone())); // ok: every error handled, ends in Ok(())
    tokio::spawn(drain(rx)); // ok: returns Ok(()) from its loop on every path
    tokio::spawn(pick(true)); // ok: both branches are Ok
    tokio::spawn(with_closure(tx.clone())); // ok: the `?` belongs to the closure
    tokio::spawn(forward_tried(tx.clone())); //~ detached_task
    tokio::spawn(returns_err(false)); //~ detached_task
    tokio::spawn(ends_in_call()); //~ detached_task
    tokio::spawn(bails(1)); //~ detached_task
    tokio::spawn(breaks_with_err(tx)); //~ detached_task
}

async fn forward_all(tx: mpsc::Sender<u32>) -> io::Result<()> {
    for n in 0..10 {
        if tx.send(n).await.is_err() {
            tracing::warn!("receiver gone");
            break;
        }
    }
    Ok(())
}

async fn drain(mut rx: mpsc::Receiver<u32>) -> io::Result<()> {
    loop {
        match rx.recv().await {
            Some(n) => tracing::info!(n, "got"),
            None => return Ok(()),
        }
    }
}

async fn pick(first: bool) -> Result<u32, String> {
    if first { Ok(1) } else { Ok(2) }
}

async fn with_closure(tx: mpsc::Sender<u32>) -> io::Result<()> {
    let parse = |s: &str| -> Result<u32, std::num::ParseIntError> { Ok(s.trim().parse::<u32>()?) };
    if let Ok(n) = parse(" 7 ") {
        let _ = tx.send(n).await;
    }
    Ok(())
}

async fn forward_tried(tx: mpsc::Sender<u32>) -> Result<(), mpsc::error::SendError<u32>> {
    tx.send(1).await?;
    Ok(())
}

async fn returns_err(ok: bool) -> Result<(), String> {
    if !ok {
        return Err("not ok".to_string());
    }
    Ok(())
}

async fn ends_in_call() -> io::Result<()> {
    tokio::fs::remove_file("/tmp/x").await
}

async fn bails(n: u32) -> anyhow::Result<()> {
    if n > 0 {
        anyhow::bail!("too many");
    }
    Ok(())
}

async fn breaks_with_err(tx: mpsc::Sender<u32>) -> Result<(), String> {
    loop {
        if tx.send(1).await.is_err() {
            break Err("closed".to_string());
        }
    }
}

// A trait method may run another implementation: what the trait declares counts, even where
// this implementation always succeeds.
pub trait Handler {
    async fn handle(&self, n: u32) -> io::Result<()>;
}

pub struct Quiet;

impl Handler for Quiet {
    async fn handle(&self, _n: u32) -> io::Result<()> {
        Ok(())
    }
}

pub fn dispatch(handler: std::sync::Arc<dyn HandlerDyn>, n: u32) {
    tokio::spawn(async move { handler.handle(n).await }); //~ detached_task
}

pub trait HandlerDyn: Send + Sync {}
