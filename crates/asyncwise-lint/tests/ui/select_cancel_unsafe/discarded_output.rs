// Readings: a branch whose pattern is `_` drops what its future returns as soon as it wins. For
// a lock or a permit that means the branch only waits for the lock or semaphore to open (a
// signal), so the queue place it loses when recreated does not matter. A discarded `send` or
// read still loses data, and a bound permit (`permit = ..`, `_permit = ..`) is held.
use std::sync::Arc;
use tokio::io::AsyncReadExt;
use tokio::sync::{mpsc, Mutex, RwLock, Semaphore};

async fn until_deadline(deadline: Arc<Semaphore>, mut conn: Conn, report: mpsc::Sender<Outcome>) {
    loop {
        tokio::select! {
            res = conn.work() => record(&report, res).await,
            _ = deadline.acquire() => break, // ok: the permit is dropped at once; a deadline signal
        }
    }
}

async fn until_closed(gate: &Semaphore, mut jobs: mpsc::Receiver<Job>) {
    while let Some(job) = jobs.recv().await {
        tokio::select! {
            _ = run(job) => {}
            _ = gate.acquire_owned() => return, // ok: discarded owned permit, a signal
        }
    }
}

async fn wait_for_writer(state: Arc<Mutex<State>>, mut ticks: tokio::time::Interval) {
    loop {
        tokio::select! {
            _ = state.lock() => refresh().await, // ok: the guard is dropped before the handler runs
            _ = ticks.tick() => heartbeat(),
        }
    }
}

async fn readers_wait(table: Arc<RwLock<Table>>, mut stop: mpsc::Receiver<()>) {
    loop {
        tokio::select! {
            _ = table.read() => reload().await, // ok: discarded read guard
            _ = stop.recv() => break,
        }
    }
}

async fn forward(tx: mpsc::Sender<Msg>, mut input: mpsc::Receiver<Msg>, mut quit: mpsc::Receiver<()>) {
    while let Some(msg) = input.recv().await {
        tokio::select! {
            _ = tx.send(msg) => {} //~ select_cancel_unsafe
            _ = quit.recv() => break,
        }
    }
}

async fn skip_header(socket: &mut tokio::net::TcpStream, mut stop: mpsc::Receiver<()>) {
    let mut header = [0u8; 4];
    loop {
        tokio::select! {
            _ = socket.read_exact(&mut header) => {} //~ select_cancel_unsafe
            _ = stop.recv() => break,
        }
    }
}

async fn hold_permit(limit: Arc<Semaphore>, mut cancel: mpsc::Receiver<()>) {
    loop {
        tokio::select! {
            _permit = limit.acquire() => work().await, //~ select_cancel_unsafe
            _ = cancel.recv() => log_cancelled(),
        }
    }
}
