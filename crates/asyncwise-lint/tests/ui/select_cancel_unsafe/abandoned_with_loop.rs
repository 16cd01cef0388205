// Readings: when every other branch of the `select!` leaves its loop (`break`, `return`, a
// `panic!`/`bail!`), the branch's future is dropped only as the loop ends and is never made
// again. A lost place in the queue of a lock or semaphore then costs nothing, whoever shares
// it: the request is given up for good, and a later one queues afresh like any caller's. A
// partial read or write, or a message being sent, matters only if someone sees the stream
// again: every place the call mentions must be a `let` of this body (a borrowed parameter or `self`'s
// field is shared with the caller, who may read it again), and no statement after the loop
// may mention it. A parameter the fn takes by value (`mut conn: TcpStream`) is its own too
// (`stream_taken_by_value.rs`).
// A `select!` in a loop inside another loop is made again when the outer loop goes round; a
// branch that only logs stays in the loop.
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, Mutex, Semaphore};

async fn control_channel(addr: &str, mut shutdown: mpsc::Receiver<()>, timeout_secs: u64) -> anyhow::Result<()> {
    let mut conn = tokio::net::TcpStream::connect(addr).await?;
    let mut header = [0u8; 4];
    loop {
        tokio::select! {
            // ok: the other branches end the loop and the connection is not read afterwards
            r = conn.read_exact(&mut header) => { r?; handle(&header); }
            _ = tokio::time::sleep(std::time::Duration::from_secs(timeout_secs)) => {
                return Err(anyhow::anyhow!("heartbeat timed out"));
            }
            _ = shutdown.recv() => {
                break;
            }
        }
    }
    Ok(())
}

async fn read_cmd(conn: &mut tokio::net::TcpStream) -> std::io::Result<u8> {
    let mut b = [0u8; 1];
    conn.read_exact(&mut b).await?;
    Ok(b[0])
}

async fn helper_until_shutdown(addr: &str, mut shutdown: mpsc::Receiver<()>) -> std::io::Result<()> {
    let mut conn = tokio::net::TcpStream::connect(addr).await?;
    loop {
        tokio::select! {
            // ok: a same-file helper, abandoned with the loop
            cmd = read_cmd(&mut conn) => dispatch(cmd?),
            _ = shutdown.recv() => return Ok(()),
        }
    }
}

async fn stress(concurrency: usize, deadline: tokio::time::Instant) {
    let semaphore = std::sync::Arc::new(Semaphore::new(concurrency));
    let sleep = tokio::time::sleep_until(deadline);
    tokio::pin!(sleep);
    loop {
        tokio::select! {
            // ok: a queue place given up when the deadline ends the loop; the later
            // acquire_many queues afresh
            permit = semaphore.clone().acquire_owned() => { tokio::spawn(run_one(permit)); }
            _ = &mut sleep => break,
        }
    }
    let _all = semaphore.acquire_many(concurrency as u32).await;
}

async fn lock_until_stop(mut stop: mpsc::Receiver<()>) -> u32 {
    let state = std::sync::Arc::new(Mutex::new(0u32));
    tokio::spawn(watch_state(state.clone()));
    loop {
        tokio::select! {
            // ok: a request for the body's own lock given up for good when stop ends the loop
            mut guard = state.lock() => { *guard += 1; }
            _ = stop.recv() => break,
        }
    }
    let n = *state.lock().await;
    n
}

async fn shared_lock_until_stop(state: std::sync::Arc<Mutex<u32>>, mut stop: mpsc::Receiver<()>) {
    loop {
        tokio::select! {
            // ok: the lock is requested again only after it was won; when `stop` wins, the loop ends
            mut guard = state.lock() => { *guard += 1; }
            _ = stop.recv() => break,
        }
    }
}

async fn send_until_stop(mut stop: mpsc::Receiver<()>) {
    let (tx, rx) = mpsc::channel::<u64>(16);
    tokio::spawn(consume(rx));
    let mut n = 0;
    loop {
        n += 1;
        tokio::select! {
            // ok: the value in flight is given up with the loop, as a shutdown means to
            _ = tx.send(n) => {}
            _ = stop.recv() => break,
        }
    }
}

async fn read_again_after_loop(addr: &str, mut stop: mpsc::Receiver<()>) -> std::io::Result<()> {
    let mut conn = tokio::net::TcpStream::connect(addr).await?;
    let mut header = [0u8; 4];
    loop {
        tokio::select! {
            r = conn.read_exact(&mut header) => { r?; handle(&header); } //~ select_cancel_unsafe
            _ = stop.recv() => break,
        }
    }
    // the stream is read again: a header half-read when stop won is lost from it
    let mut rest = Vec::new();
    conn.read_to_end(&mut rest).await?;
    Ok(())
}

async fn reader_of_caller(conn: &mut tokio::net::TcpStream, mut stop: mpsc::Receiver<()>) {
    let mut header = [0u8; 4];
    loop {
        tokio::select! {
            r = conn.read_exact(&mut header) => { if r.is_err() { return; } } //~ select_cancel_unsafe
            _ = stop.recv() => break,
        }
    }
}

struct Session {
    conn: tokio::net::TcpStream,
}

impl Session {
    async fn pump(&mut self, mut stop: mpsc::Receiver<()>) {
        let mut header = [0u8; 4];
        loop {
            tokio::select! {
                r = self.conn.read_exact(&mut header) => { if r.is_err() { return; } } //~ select_cancel_unsafe
                _ = stop.recv() => break,
            }
        }
    }
}

async fn one_branch_stays(addr: &str, mut stop: mpsc::Receiver<()>, mut ticks: tokio::time::Interval) -> std::io::Result<()> {
    let mut conn = tokio::net::TcpStream::connect(addr).await?;
    let mut header = [0u8; 4];
    loop {
        tokio::select! {
            r = conn.read_exact(&mut header) => { r?; handle(&header); } //~ select_cancel_unsafe
            _ = ticks.tick() => report(),
            _ = stop.recv() => break,
        }
    }
    Ok(())
}

async fn outer_loop(addr: &str, mut stop: mpsc::Receiver<()>) -> std::io::Result<()> {
    let mut conn = tokio::net::TcpStream::connect(addr).await?;
    let mut frame = [0u8; 16];
    loop {
        loop {
            tokio::select! {
                r = conn.read_exact(&mut frame) => { r?; handle(&frame); } //~ select_cancel_unsafe
                _ = stop.recv() => break,
            }
        }
        pause().await;
    }
}

async fn write_then_keep_going(addr: &str, frames: Vec<Vec<u8>>, mut stop: mpsc::Receiver<()>) -> std::io::Result<()> {
    let mut sink = tokio::net::TcpStream::connect(addr).await?;
    for frame in &frames {
        tokio::select! {
            r = sink.write_all(frame) => r?, //~ select_cancel_unsafe
            _ = stop.recv() => break,
        }
    }
    // a frame half-written when stop won is followed by the goodbye on the same stream
    sink.write_all(b"bye").await?;
    Ok(())
}

async fn permit_retried(limit: std::sync::Arc<Semaphore>, mut skip: mpsc::Receiver<()>) {
    loop {
        tokio::select! {
            permit = limit.acquire() => { work().await; drop(permit); } //~ select_cancel_unsafe
            _ = skip.recv() => continue,
        }
    }
}

async fn shared_permit_until_stop(&self, mut stop: mpsc::Receiver<()>) {
    loop {
        let permit = tokio::select! {
            // ok: a lost queue place matters only to a request made again; `stop` ends the loop
            p = self.limiter.clone().acquire_owned() => p,
            _ = stop.recv() => break,
        };
        self.run(permit).await;
    }
}

async fn shared_permit_or_tick(&self, mut tick: tokio::time::Interval) {
    loop {
        tokio::select! {
            p = self.limiter.clone().acquire_owned() => self.run(p).await, //~ select_cancel_unsafe
            _ = tick.tick() => self.report(),
        }
    }
}
