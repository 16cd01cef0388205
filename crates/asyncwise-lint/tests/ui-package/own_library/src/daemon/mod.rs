use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

// The daemon's start-up runs alone until it starts something concurrent.
pub async fn run() -> std::io::Result<()> {
    let settings = std::fs::read_to_string("daemon.toml")?; //~ blocking_in_async(pedantic)
    start_with(&TokioExecutor).await?;
    preload(&settings).await?;
    let scheduler = schedule(settings.clone());
    // Made here, polled only by the join below: its body runs beside the scheduler's.
    let listener = listen(settings);
    tokio::try_join!(scheduler, listener)?;
    Ok(())
}

async fn schedule(settings: String) -> std::io::Result<()> {
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        if settings.is_empty() {
            return Ok(());
        }
    }
}

async fn listen(settings: String) -> std::io::Result<()> {
    let secret = std::fs::read("secret")?; //~ blocking_in_async(pedantic)
    drop((settings, secret));
    Ok(())
}

async fn preload(settings: &str) -> std::io::Result<()> {
    let index = std::fs::read("jobs.idx")?; //~ blocking_in_async(pedantic)
    for job in settings.lines() {
        // From the second job on, the first job's task runs beside this read.
        let input = std::fs::read(job)?; //~ blocking_in_async(pedantic)
        let size = index.len();
        tokio::spawn(async move { input.len() + size }); //~ unbounded_spawn
    }
    Ok(())
}

/// An executor of the program's own, spawning through a method the analyzer does not know.
pub trait Executor {
    fn spawn(&self, task: Pin<Box<dyn Future<Output = ()> + Send>>);
}

struct TokioExecutor;

impl Executor for TokioExecutor {
    fn spawn(&self, task: Pin<Box<dyn Future<Output = ()> + Send>>) {
        tokio::spawn(task);
    }
}

async fn start_with(executor: &dyn Executor) -> std::io::Result<()> {
    let banner = std::fs::read_to_string("banner")?; //~ blocking_in_async(pedantic)
    executor.spawn(Box::pin(async move {
        drop(banner);
    }));
    let motd = std::fs::read_to_string("motd")?; //~ blocking_in_async(pedantic)
    drop(motd);
    Ok(())
}
