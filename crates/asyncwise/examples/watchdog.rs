//! Blocks the executor on purpose and lets the watchdog report it while it
//! is blocked: `cargo run --release -p asyncwise --features watchdog --example watchdog`.
//!
//! Healthy tasks sleep asynchronously and pass messages; one task builds a
//! "report" with `std::thread::sleep`, a blocking call inside async code.
//! The watchdog names it (`blocking_in_async`), with its spawn location in
//! this file, while the call is still running, then once more when the poll
//! returns; the summary at the end lists the worst offenders.

use std::time::Duration;

use anyhow::Context as _;
use asyncwise::watchdog::{self, Watchdog};
use tokio::sync::mpsc;

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_target(false).init();
    let watchdog = Watchdog::builder()
        .start()
        .context("starting the watchdog")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("building the runtime")?;
    runtime.block_on(serve())?;
    drop(runtime);
    println!("{}", watchdog.summary(3));
    Ok(())
}

async fn serve() -> anyhow::Result<()> {
    let (tx, mut rx) = mpsc::channel::<u32>(64);
    let mut healthy = Vec::new();
    for worker in 0..8 {
        let tx = tx.clone();
        healthy.push(watchdog::spawn(format!("ticker-{worker}"), async move {
            for n in 0..20 {
                tokio::time::sleep(Duration::from_millis(5)).await;
                if tx.send(n).await.is_err() {
                    break;
                }
            }
        }));
    }
    drop(tx);
    let blocking = watchdog::spawn("build-report", async {
        // The mistake: a blocking call that holds the worker thread.
        // asyncwise: allow(blocking_in_async) -- the example blocks on purpose, for the watchdog to report
        build_report_blocking();
    });
    let mut received = 0_u32;
    while rx.recv().await.is_some() {
        received += 1;
    }
    for task in healthy {
        task.await.context("a ticker task failed")?;
    }
    blocking.await.context("the blocking task failed")?;
    println!("received {received} messages");
    Ok(())
}

/// Stands for synchronous work (a parser, a compression, a blocking client).
fn build_report_blocking() {
    std::thread::sleep(Duration::from_millis(300));
}
