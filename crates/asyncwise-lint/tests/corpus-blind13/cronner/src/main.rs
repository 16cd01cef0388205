mod control;
mod jobs;
mod schedule;

use std::sync::Arc;

use async_std::net::TcpListener;
use async_std::prelude::*;
use async_std::task;

#[async_std::main]
async fn main() -> anyhow::Result<()> {
    env_logger::init();
    let table_path = std::env::var("CRONTAB").unwrap_or_else(|_| "/etc/cronner/crontab".into());
    let table = schedule::load_table(table_path.as_ref())?; // @helper //~ blocking_in_async(pedantic)
    let sched = Arc::new(schedule::Scheduler::new(table));

    if std::env::args().any(|a| a == "--wait-for-probe") {
        wait_for_probe().await?;
    }

    task::spawn(sched.clone().run());

    let listener = TcpListener::bind("127.0.0.1:7070").await?;
    let mut incoming = listener.incoming();
    while let Some(stream) = incoming.next().await {
        let stream = stream?;
        if let Err(e) = control::serve(stream, sched.clone()).await { //~ inline_accept_loop
            log::warn!("control session failed: {e}");
        }
    }
    Ok(())
}

/// The container's readiness probe connects once; answer it and go on.
async fn wait_for_probe() -> anyhow::Result<()> {
    let probe = TcpListener::bind("0.0.0.0:7071").await?;
    loop {
        let (stream, _) = probe.accept().await?;
        if control::answer_probe(stream).await.is_ok() { //~ inline_accept_loop(pedantic)
            return Ok(());
        }
    }
}
