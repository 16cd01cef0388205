// Which unbounded channels are worth changing: the default form is a channel whose sender is
// fed without limit — sent on in a loop driven by input, cloned into a task per event, called
// from a callback — or whose sender goes somewhere this block cannot see (a struct, another
// function), where it may be. The pedantic form is a channel whose sender visibly is not: a
// request answered once, a control or shutdown signal, a channel of `()`.
// Readings: only senders bound by `let (tx, rx) = ..` are followed, through `let t = tx.clone()`;
// a closure body counts as fed per call.
use tokio::sync::{mpsc, oneshot};

pub async fn read_loop(mut stream: Framed, out: Sink) {
    let (tx, mut rx) = mpsc::unbounded_channel(); //~ unbounded_channel
    tokio::spawn(async move {
        while let Some(msg) = rx.recv().await {
            out.write(msg).await;
        }
    });
    while let Some(frame) = stream.next().await {
        tx.send(frame).ok();
    }
}

pub async fn per_connection(listener: TcpListener) {
    let (events_tx, events_rx) = mpsc::unbounded_channel::<Event>(); //~ unbounded_channel
    tokio::spawn(aggregate(events_rx));
    loop {
        let (sock, _) = listener.accept().await.unwrap();
        let events = events_tx.clone();
        tokio::spawn(async move { events.send(Event::from(sock)).ok() });
    }
}

pub fn watch_files(path: &std::path::Path) -> mpsc::UnboundedReceiver<notify::Event> {
    let (tx, rx) = mpsc::unbounded_channel(); //~ unbounded_channel
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        if let Ok(ev) = res {
            tx.send(ev).ok();
        }
    })
    .unwrap();
    watcher.watch(path, notify::RecursiveMode::Recursive).unwrap();
    rx
}

pub struct Session {
    out_tx: mpsc::UnboundedSender<Vec<u8>>,
}

pub fn session() -> (Session, mpsc::UnboundedReceiver<Vec<u8>>) {
    let (out_tx, out_rx) = mpsc::unbounded_channel(); //~ unbounded_channel
    (Session { out_tx }, out_rx)
}

pub async fn ask_once(worker: Worker) -> Answer {
    let (tx, mut rx) = mpsc::unbounded_channel(); //~ unbounded_channel(pedantic)
    let (reply_tx, reply_rx) = oneshot::channel();
    tx.send((Question::Status, reply_tx)).ok();
    worker.serve(&mut rx).await;
    reply_rx.await.unwrap()
}

pub async fn run_until_stopped(server: Server) {
    let (shutdown_tx, shutdown_rx) = mpsc::unbounded_channel(); //~ unbounded_channel(pedantic)
    let server = tokio::spawn(server.run(shutdown_rx));
    tokio::signal::ctrl_c().await.ok();
    shutdown_tx.send(()).ok();
    server.await.ok();
}

pub async fn unit_signal(worker: Worker) {
    let (kick, kicked) = mpsc::unbounded_channel::<()>(); //~ unbounded_channel(pedantic)
    worker.attach(kicked);
    drop(kick);
}

pub async fn results_per_job(mut jobs: JobStream, acks: Acks) {
    // Named like a control channel, but cloned into a task per job: one message per event.
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<JobResult>(); //~ unbounded_channel
    tokio::spawn(async move {
        while let Some(result) = done_rx.recv().await {
            acks.ack(result).await;
        }
    });
    while let Some(job) = jobs.next().await {
        let done = done_tx.clone();
        tokio::spawn(async move { //~ unbounded_spawn
            let _ = done.send(job.run().await);
        });
    }
}

pub async fn shutdown_sent_once_from_a_loop(mut rx: mpsc::Receiver<u64>, worker: Worker) {
    // Sent on in the loop, but once, right before `break`: a control message.
    let (shutdown_tx, shutdown_rx) = mpsc::unbounded_channel(); //~ unbounded_channel(pedantic)
    worker.attach(shutdown_rx);
    loop {
        tokio::select! {
            Some(v) = rx.recv() => worker.handle(v).await,
            _ = tokio::signal::ctrl_c() => {
                let _ = shutdown_tx.send(());
                break;
            }
        }
    }
}
