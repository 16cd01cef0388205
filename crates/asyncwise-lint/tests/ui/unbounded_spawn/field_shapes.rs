// Shapes from real repositories: bounds the rule did not see, an accept loop it saw where there
// was none, and a reaper that is no bound.
// Readings: a permit bound by `let permit = ..` before the spawn is a bound whatever produced
// it; an `accept()` or `next()` counts only when the loop's own iteration awaits it, not when
// the spawned task does; `try_join_next` frees finished tasks but never waits, so it bounds
// nothing; `let workers = 48;` is as constant as `const WORKERS`.
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

async fn associated_acquire(sem: Arc<Semaphore>, jobs: Vec<Job>) {
    for job in jobs {
        let permit = Semaphore::acquire_owned(sem.clone()).await.unwrap();
        tokio::spawn(async move { // ok: a permit per task, taken through the associated fn
            job.run().await;
            drop(permit);
        });
    }
}

async fn own_limiter(limiter: RateLimiter, jobs: Vec<Job>) {
    for job in jobs {
        let permit = limiter.wait_for_slot().await;
        tokio::spawn(async move { // ok: the crate's own limiter hands out the permit
            let _permit = permit;
            job.run().await;
        });
    }
}

async fn awaited_each_time(jobs: Vec<Job>) {
    for job in jobs {
        let h = tokio::spawn(job.run());
        if let Err(e) = h.await { // ok: the handle is awaited in the same iteration
            tracing::warn!(%e, "job panicked");
        }
    }
}

fn blocked_on_each_time(rt: &tokio::runtime::Runtime, jobs: Vec<Job>) {
    for job in jobs {
        rt.block_on(tokio::spawn(job.run())).ok(); // ok: waited for before the next one
    }
}

async fn chunked(items: Vec<Item>) {
    for chunk in items.chunks(32) {
        let mut handles = Vec::new();
        for item in chunk {
            handles.push(tokio::spawn(upload(item.clone()))); // ok: one chunk at a time
        }
        futures::future::join_all(handles).await;
    }
}

async fn let_bound_pool(queue: Queue) {
    let workers = 48;
    for id in 0..workers {
        tokio::spawn(worker(id, queue.clone())); // ok: a fixed pool
    }
}

async fn single(peer: Peer) {
    for p in std::iter::once(peer) {
        tokio::spawn(ping(p)); // ok: one element
    }
}

async fn accept_inside_the_task(mut events: tokio::sync::mpsc::Receiver<Event>, listener: Arc<TcpListener>) {
    while let Some(ev) = events.recv().await {
        let listener = listener.clone();
        tokio::spawn(async move { //~ unbounded_spawn, detached_task(pedantic)
            // the accept belongs to the task, not to the loop that spawns it
            let (sock, _) = listener.accept().await.unwrap();
            serve(sock, ev).await;
        });
    }
}

async fn accept_stream_in_select(mut server: Incoming, shutdown: CancellationToken) {
    loop {
        let conn = tokio::select! {
            conn = server.next() => conn,
            _ = shutdown.cancelled() => break,
        };
        tokio::spawn(handle(conn)); // ok: the loop accepts a connection per iteration
    }
}

async fn datagrams_with_reaper(socket: UdpSocket) {
    let mut tasks = JoinSet::new();
    loop {
        let mut buf = vec![0u8; 1500];
        let (n, from) = socket.recv_from(&mut buf).await.unwrap();
        tasks.spawn(answer(buf, n, from)); //~ unbounded_spawn
        while tasks.try_join_next().is_some() {}
    }
}

async fn runtime_sized_pool(cfg: &Config, queue: Queue) {
    for id in 0..cfg.workers {
        tokio::spawn(worker(id, queue.clone())); //~ unbounded_spawn(pedantic)
    }
}

async fn fan_out_joined(peers: Vec<Peer>) {
    let mut set = JoinSet::new();
    for p in peers {
        set.spawn(ping(p)); //~ unbounded_spawn(pedantic)
    }
    while let Some(res) = set.join_next().await {
        res.ok();
    }
}

async fn fan_out_not_joined(peers: Vec<Peer>) -> JoinSet<()> {
    let mut set = JoinSet::new();
    for p in peers {
        set.spawn(ping(p)); //~ unbounded_spawn
    }
    set
}

async fn stream_driven(mut rx: tokio::sync::mpsc::Receiver<Request>) {
    let mut handles = Vec::new();
    while let Some(req) = rx.recv().await {
        handles.push(tokio::spawn(serve_request(req))); //~ unbounded_spawn
    }
    futures::future::join_all(handles).await;
}

impl<S> FailFast<S> {
    // A poll state machine: the `loop` re-examines the state after a transition; the task is
    // spawned once per transition into failfast and its handle is stored and polled.
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        loop {
            match std::mem::replace(&mut self.state, State::Invalid) {
                State::Open => match self.inner.poll_ready(cx) {
                    Poll::Ready(r) => return Poll::Ready(r),
                    Poll::Pending => {
                        let wait = self.timeout.clone();
                        self.state = State::Waiting(tokio::spawn(async move { wait.await })); // ok: once per transition
                    }
                },
                State::Waiting(h) => {
                    self.state = State::Waiting(h);
                    return Poll::Pending;
                }
                State::Invalid => unreachable!(),
            }
        }
    }
}
