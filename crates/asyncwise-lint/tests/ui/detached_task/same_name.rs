// A call resolves to the function of this file with that name before any other function of
// the crate with the same name (mini-redis: `buffer::run` returns `()`, `server::run` does not).
use tokio::sync::mpsc::Receiver;

pub fn buffer(client: Client) -> Buffer {
    let (tx, rx) = tokio::sync::mpsc::channel(32);
    tokio::spawn(async move { run(client, rx).await }); // ok: this file's `run` returns ()
    Buffer { tx }
}

async fn run(mut client: Client, mut rx: Receiver<Message>) {
    while let Some(msg) = rx.recv().await {
        client.handle(msg).await;
    }
}

pub fn start(worker: Worker) {
    tokio::spawn(worker.serve()); //~ detached_task
}

pub struct Worker;

impl Worker {
    async fn serve(self) -> std::io::Result<()> {
        tokio::net::TcpListener::bind("0.0.0.0:7000").await?;
        Ok(())
    }

    async fn idle(self) {}
}

pub fn start_idle(worker: Worker) {
    tokio::spawn(worker.idle()); // ok: `idle` returns ()
}
