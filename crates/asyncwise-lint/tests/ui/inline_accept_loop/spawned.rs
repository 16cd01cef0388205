// Readings: connections handed to a task (tokio, async-std, smol spawns, a JoinSet, a
// TaskGroup, also `spawn_wait(..).await`) or to a worker pool's queue are not served inline;
// neither are awaits that do not use the connection.
use tokio::net::TcpListener;

async fn spawns(listener: TcpListener) -> std::io::Result<()> {
    loop {
        let (socket, _) = listener.accept().await?;
        // ok: one task per connection
        tokio::spawn(async move {
            handle(socket).await;
        });
    }
}

async fn spawns_a_call(listener: TcpListener) -> std::io::Result<()> {
    loop {
        let (socket, _) = listener.accept().await?;
        // ok: the handler's future is spawned, not awaited
        tokio::spawn(handle(socket));
    }
}

async fn task_group(listener: TcpListener, mut group: asyncwise::TaskGroup<()>) -> anyhow::Result<()> {
    loop {
        let (socket, _) = listener.accept().await?;
        // ok: waits for a free slot, then the connection runs in its own task
        group.spawn_wait("conn", handle(socket)).await?;
    }
}

async fn join_set(listener: TcpListener) -> std::io::Result<()> {
    let mut set = tokio::task::JoinSet::new();
    loop {
        let (socket, _) = listener.accept().await?;
        // ok: spawned into a JoinSet
        set.spawn(handle(socket));
    }
}

async fn worker_pool(listener: TcpListener, tx: tokio::sync::mpsc::Sender<TcpStream>) {
    loop {
        let (socket, _) = listener.accept().await.unwrap();
        // ok: handed to a fixed pool of workers through a bounded queue
        if tx.send(socket).await.is_err() {
            break;
        }
    }
}

async fn worker_pool_with_deadline(
    listener: TcpListener,
    tx: tokio::sync::mpsc::Sender<TcpStream>,
) -> std::io::Result<()> {
    loop {
        let (socket, _) = listener.accept().await?;
        // ok: still a hand-off to the pool; the deadline only bounds the wait for room in the
        // queue (a full queue drops the listener with an error)
        match tokio::time::timeout(QUEUE_WAIT, tx.send(socket)).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return Ok(()),
            Err(_) => return Err(std::io::ErrorKind::TimedOut.into()),
        }
    }
}

async fn worker_pool_with_deadline_method(
    listener: TcpListener,
    tx: tokio::sync::mpsc::Sender<TcpStream>,
) {
    loop {
        let (socket, _) = listener.accept().await.unwrap();
        // ok: the same hand-off, raced through an extension trait's `timeout`
        let _ = tx.send(socket).timeout(QUEUE_WAIT).await;
    }
}

async fn served_under_a_deadline(listener: TcpListener) {
    loop {
        let (socket, _) = listener.accept().await.unwrap();
        // the deadline bounds the serving, which still happens inline
        let _ = tokio::time::timeout(SERVE_LIMIT, handle(socket)).await; //~ inline_accept_loop
    }
}

async fn async_std_spawn(listener: async_std::net::TcpListener) {
    let mut incoming = listener.incoming();
    while let Some(stream) = incoming.next().await {
        let stream = stream.unwrap();
        // ok: async-std spawn
        async_std::task::spawn(handle_client(stream)); //~ mixed_runtimes
    }
}

async fn smol_spawn(listener: smol::net::TcpListener) -> std::io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        // ok: smol spawn, detached on purpose
        smol::spawn(echo(stream)).detach();
    }
}

async fn unrelated_await(listener: TcpListener, limiter: &Limiter) -> std::io::Result<()> {
    loop {
        let (socket, _) = listener.accept().await?;
        // ok: the awaited call does not use the connection
        limiter.wait_turn().await;
        tokio::spawn(handle(socket));
    }
}

async fn not_an_accept_loop(client: &Client) {
    loop {
        // ok: no accept in this loop
        let msg = client.next_message().await;
        process(msg).await;
    }
}

async fn permit_first(listener: TcpListener, sem: std::sync::Arc<tokio::sync::Semaphore>) -> std::io::Result<()> {
    loop {
        let permit = sem.clone().acquire_owned().await.unwrap();
        let (socket, _) = listener.accept().await?;
        // ok: spawned with a permit
        tokio::spawn(async move {
            handle(socket).await;
            drop(permit);
        });
    }
}

async fn one_shot(listener: TcpListener) -> std::io::Result<()> {
    let (socket, _) = listener.accept().await?;
    // ok: not in a loop: serves exactly one connection
    handle(socket).await;
    Ok(())
}

// A helper that readies the service and hands the connection to an executor trait (hyper's
// `rt::Executor::execute`, which the caller's executor implements with a spawn): the loop
// waits for readiness only, the connection runs in a task.
async fn ready_then_execute<E: hyper::rt::Executor<BoxFuture>>(
    svc: &mut Svc,
    stream: tokio::net::TcpStream,
    exec: &E,
) {
    svc.ready().await;
    let conn_svc = svc.make_connection_service();
    exec.execute(async move {
        let _ = http1::Builder::new().serve_connection(stream, conn_svc).await;
    });
}

async fn serve_through_executor<E: hyper::rt::Executor<BoxFuture>>(
    listener: TcpListener,
    mut svc: Svc,
    exec: E,
) {
    loop {
        let (stream, _) = listener.accept().await.unwrap();
        // ok: the helper hands the connection to the executor
        ready_then_execute(&mut svc, stream, &exec).await;
    }
}

// `execute` without an async block is not a spawn: a query run before the connection is
// served right here.
async fn log_then_serve(db: &Db, stream: tokio::net::TcpStream) {
    db.execute("INSERT INTO seen VALUES (1)");
    let _ = http1::Builder::new().serve_connection(stream, Svc).await;
}

async fn serve_after_logging(listener: TcpListener, db: Db) {
    loop {
        let (stream, _) = listener.accept().await.unwrap();
        log_then_serve(&db, stream).await; //~ inline_accept_loop
    }
}
