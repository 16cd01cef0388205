// Tasks spawned through a workspace member's spawn wrapper (`rt_util::runtime::spawn`, which
// hands its future to `tokio::spawn` through a macro): a discarded handle loses the task's
// error as `tokio::spawn`'s would, and a spawn per item of a loop is unbounded. A function of
// the member named like a spawner that does not spawn (`spawn_later`) is no spawn, and one that
// logs the task's error itself (`spawn_logged`) loses nothing with its handle.
use futures::StreamExt;

struct Connection {
    stream: tokio::net::TcpStream,
}

impl Connection {
    async fn run(self) -> std::io::Result<()> {
        let mut buf = [0u8; 4];
        loop {
            let n = self.stream.try_read(&mut buf)?;
            if n == 0 {
                return Ok(());
            }
        }
    }
}

struct Job {
    id: u32,
}

impl Job {
    async fn run(self) -> std::io::Result<()> {
        tokio::fs::write(format!("/tmp/job-{}", self.id), b"done").await?;
        Ok(())
    }
}

async fn serve<L>(mut listener: L)
where
    L: futures::Stream<Item = std::io::Result<tokio::net::TcpStream>> + Unpin,
{
    while let Some(Ok(stream)) = listener.next().await {
        rt_util::runtime::spawn(Connection { stream }.run()); //~ detached_task
    }
}

async fn run_jobs(ids: Vec<u32>) {
    for id in ids {
        rt_util::runtime::spawn(Job { id }.run()); //~ detached_task, unbounded_spawn
    }
}

async fn logged(ids: Vec<u32>) {
    for id in ids {
        // ok for detached_task: `spawn_logged` logs the error; still a task per item
        rt_util::runtime::spawn_logged(Job { id }.run()); //~ unbounded_spawn
    }
}

async fn kept(id: u32) -> Option<std::io::Result<()>> {
    // ok: the wrapper's handle is kept and joined
    let handle = rt_util::runtime::spawn(Job { id }.run());
    handle.join().await
}

async fn later(id: u32) {
    // ok: `spawn_later` does not spawn
    let _ = rt_util::runtime::spawn_later(async move {
        let _ = Job { id }.run().await;
    });
}

#[tokio::main]
async fn main() {
    let listener = futures::stream::empty();
    serve(listener).await;
    run_jobs(vec![1, 2]).await;
    logged(vec![5]).await;
    kept(3).await;
    later(4).await;
}
