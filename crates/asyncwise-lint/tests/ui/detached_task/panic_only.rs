// detached_task: how a detached task fails decides the form. A task that can lose an error
// value (`?`, `return Err(..)`, an `Err` tail, a tail call of an async fn of this crate that
// returns a `Result`) is the default form: nothing prints a dropped `Err`. A task that can fail
// only by panicking is the pedantic form: the panic hook prints the message where it panics.
//
// Readings chosen where the issue is not explicit:
// - An error turned into a panic by hand (`if let Err(e) = .. { panic!(..) }`) is a panic.
// - Panics beside an error path do not lower the form: the error value is still lost.
// - An error the body discards itself (`let _ = run().await;`) is not reported: keeping the
//   handle would not bring it back.
// - A task ending in a call of a function that returns no `Result` is not reported, even with
//   a panic before the call (the rule reports error values; see the rule's doc).

use std::io;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{broadcast, mpsc, oneshot, watch};

struct Sample {
    micros: u64,
}

async fn probe(target: &str) -> Sample {
    let _ = target;
    Sample { micros: 1 }
}

async fn relay(sock: TcpStream, upstream: String) -> io::Result<u64> {
    let mut sock = sock;
    let mut server = tokio::net::TcpStream::connect(upstream).await?;
    let (sent, _) = tokio::io::copy_bidirectional(&mut sock, &mut server).await?;
    Ok(sent)
}

async fn report_progress(done: u64) {
    tracing::info!(done, "progress");
}

fn quit_on_interrupt(stop: broadcast::Sender<()>) {
    tokio::spawn(async move { //~ detached_task(pedantic)
        if let Err(e) = tokio::signal::ctrl_c().await {
            panic!("cannot listen for ctrl-c: {e}");
        }
        if stop.send(()).is_err() {
            panic!("nobody listens for the stop signal");
        }
    });
}

fn load_workers(targets: Vec<String>, results: mpsc::UnboundedSender<Sample>) {
    for target in targets {
        let results = results.clone();
        tokio::spawn(async move { //~ unbounded_spawn, detached_task(pedantic)
            loop {
                let sample = probe(&target).await;
                results.send(sample).unwrap();
            }
        });
    }
}

fn answer_once(listener: TcpListener, code: oneshot::Sender<String>) {
    tokio::spawn(async move { //~ detached_task(pedantic)
        let (sock, _) = listener.accept().await.unwrap();
        let line = read_request_line(sock).await;
        code.send(line).expect("the login flow waits for the code");
    });
}

async fn read_request_line(sock: TcpStream) -> String {
    let _ = sock;
    String::new()
}

fn stop_watch() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move { //~ detached_task(pedantic)
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
        term.recv().await;
        tx.send(true).unwrap();
    });
    rx
}

fn forward(listener: TcpListener, upstream: String) {
    tokio::spawn(async move { //~ detached_task
        loop {
            let (sock, _) = listener.accept().await?;
            let upstream = upstream.clone();
            // a task per accepted connection: the accept bounds the loop, not unbounded_spawn
            tokio::spawn(async move { //~ detached_task
                relay(sock, upstream).await
            });
        }
        #[allow(unreachable_code)]
        Ok::<(), io::Error>(())
    });
}

fn echo_datagrams(sock: UdpSocket) {
    tokio::spawn(async move { //~ detached_task
        let mut buf = [0u8; 1500];
        loop {
            let (n, peer) = sock.recv_from(&mut buf).await.expect("socket open");
            if n == 0 {
                return Err(io::Error::other("empty datagram"));
            }
            sock.send_to(&buf[..n], peer).await.unwrap();
        }
    });
}

fn give_up_after_timeout(done: oneshot::Receiver<()>) {
    tokio::spawn(async move { //~ detached_task
        tokio::time::sleep(Duration::from_secs(30)).await;
        done.await.unwrap();
        Err::<(), _>(io::Error::other("timed out"))
    });
}

fn relay_one(sock: TcpStream, upstream: String) {
    tokio::spawn(relay(sock, upstream)); //~ detached_task
}

fn discards_its_own_error(sock: TcpStream, upstream: String) {
    tokio::spawn(async move {
        // ok: the body drops the error itself; the handle would not carry it
        let _ = relay(sock, upstream).await;
    });
}

fn panics_then_reports(done: mpsc::Receiver<u64>) {
    tokio::spawn(async move {
        // ok: ends in a call of a fn without a `Result`; its panic is printed by the hook
        let mut done = done;
        let n = done.recv().await.expect("producer alive");
        report_progress(n).await
    });
}

fn logs_every_error(sock: TcpStream, upstream: String) {
    tokio::spawn(async move { // ok: the error is logged inside the task
        if let Err(e) = relay(sock, upstream).await {
            tracing::warn!(error = %e, "relay failed");
        }
    });
}
