// blocking_in_async: a sync set-up function of the crate (`new`, `open`, `init`, ...) that
// blocks, called directly in an async body outside loops and on no per-event path, blocks once
// per value it builds, when a task or component starts: the pedantic form. Called per request
// (in a handler), per connection (in an accept loop's task) or in a loop, it is default.
use std::process::Command;
use std::sync::Arc;

use axum::extract::State;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

pub struct GpuInfo {
    pub count: usize,
}

impl GpuInfo {
    // Asks the driver's tool: a child process, about 100 ms.
    pub fn new() -> GpuInfo {
        let out = Command::new("nvidia-smi").arg("-L").output();
        GpuInfo {
            count: out.map(|o| o.stdout.split(|b| *b == b'\n').count()).unwrap_or(0),
        }
    }
}

pub struct Scheduler {
    gpus: GpuInfo,
}

// A long-running task started once: the probe runs before its loop.
pub async fn scheduler_task(mut jobs: mpsc::Receiver<u64>) {
    let scheduler = Scheduler { gpus: GpuInfo::new() }; //~ blocking_in_async(pedantic)
    while let Some(job) = jobs.recv().await {
        let _ = (job, scheduler.gpus.count);
    }
}

// Per request: a handler takes an extractor.
pub async fn gpus(State(_app): State<Arc<()>>) -> String {
    GpuInfo::new().count.to_string() //~ blocking_in_async
}

// Per connection: the accept loop's task builds one each time.
pub async fn serve(listener: TcpListener) -> std::io::Result<()> {
    loop {
        let (conn, _) = listener.accept().await?;
        tokio::spawn(async move {
            let info = GpuInfo::new(); //~ blocking_in_async
            drop((conn, info.count));
        });
    }
}

// In a loop: once per tick, not once; but a periodic task is no per-event path, and a wait for a
// child process is default only on one (child_processes in tests/ui-package).
pub async fn refresh(mut tick: tokio::time::Interval) {
    loop {
        tick.tick().await;
        let info = GpuInfo::new(); //~ blocking_in_async(pedantic)
        let _ = info.count;
    }
}
