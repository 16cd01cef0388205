// blocking_in_async: blocking methods found through light type knowledge — constructor calls,
// parameter annotations, struct field types — and method names that must NOT be guessed when
// the receiver's type is unknown or async.
//
// Readings chosen where the issue is not explicit:
// - `for msg in rx` over a std receiver is reported on the `for` line (the iteration).
// - `Arc<T>` parameters and fields keep the type of `T`.
// - A `.recv()` / `.join()` / `.wait()` on a receiver of unknown type is not reported.

use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Barrier, Condvar, Mutex};
use std::thread::JoinHandle;

struct Job(u32);

async fn drain_local() {
    let (tx, rx) = std::sync::mpsc::channel::<Job>(); //~ unbounded_channel(pedantic)
    tx.send(Job(1)).ok();
    let job = rx.recv(); //~ blocking_in_async
    let _ = job;
    let again = rx.recv_timeout(std::time::Duration::from_millis(10)); //~ blocking_in_async
    let _ = again;
    let polled = rx.try_recv(); // ok: try_recv does not block
    let _ = polled;
}

async fn drain_param(rx: Receiver<Job>) -> u32 {
    let mut total = 0;
    while let Ok(Job(n)) = rx.recv() { //~ blocking_in_async
        total += n;
    }
    total
}

async fn drain_iter(rx: mpsc::Receiver<Job>) -> u32 {
    let mut total = 0;
    for Job(n) in rx { //~ blocking_in_async
        total += n;
    }
    total
}

async fn drain_tokio(mut rx: tokio::sync::mpsc::Receiver<Job>) -> u32 {
    let mut total = 0;
    while let Some(Job(n)) = rx.recv().await { // ok: tokio receiver
        total += n;
    }
    let _ = rx.try_recv(); // ok: tokio try_recv
    total
}

fn drain_sync(rx: Receiver<Job>) -> u32 {
    rx.iter().map(|Job(n)| n).sum() // ok: sync fn
}

async fn drain_unknown<R: Source>(src: &mut R) -> Option<u32> {
    src.recv() // ok: unknown type, no guess
}

trait Source {
    fn recv(&mut self) -> Option<u32>;
}

async fn join_worker() -> u64 {
    let handle = std::thread::spawn(|| (0..1_000u64).sum::<u64>()); // ok: spawning a thread
    handle.join().unwrap_or(0) //~ blocking_in_async
}

async fn join_param(h: JoinHandle<()>) {
    let _ = h.join(); //~ blocking_in_async
}

async fn join_tokio(h: tokio::task::JoinHandle<()>) {
    let _ = h.await; // ok: tokio JoinHandle is awaited
}

struct Gate {
    state: Mutex<bool>,
    ready: Condvar,
    barrier: Arc<Barrier>,
}

impl Gate {
    async fn wait_open(&self) {
        let open = self.state.lock().unwrap();
        let _open = self.ready.wait(open).unwrap(); //~ blocking_in_async
    }

    async fn wait_open_timeout(&self) {
        let open = self.state.lock().unwrap();
        let _ = self.ready.wait_timeout(open, std::time::Duration::from_secs(1)); //~ blocking_in_async
    }

    async fn rendezvous(&self) {
        self.barrier.wait(); //~ blocking_in_async
    }

    async fn notify(&self) {
        *self.state.lock().unwrap() = true;
        self.ready.notify_all(); // ok: notify does not block
    }

    fn wait_open_sync(&self) {
        let open = self.state.lock().unwrap();
        let _open = self.ready.wait(open).unwrap(); // ok: sync method
    }
}

async fn rendezvous_tokio(b: Arc<tokio::sync::Barrier>) {
    b.wait().await; // ok: tokio barrier
}

async fn accept_std(listener: std::net::TcpListener) -> std::io::Result<()> {
    let (_sock, _peer) = listener.accept()?; //~ blocking_in_async
    for conn in listener.incoming() { //~ blocking_in_async
        let _ = conn?;
    }
    Ok(())
}

async fn accept_tokio(listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let (_sock, _peer) = listener.accept().await?; // ok: tokio listener
    Ok(())
}

async fn udp(sock: &std::net::UdpSocket, tsock: &tokio::net::UdpSocket) -> std::io::Result<usize> {
    let mut buf = [0u8; 1500];
    let n = sock.recv(&mut buf)?; //~ blocking_in_async
    let m = tsock.recv(&mut buf).await?; // ok: tokio socket
    Ok(n + m)
}
