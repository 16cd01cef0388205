// `select_cancel_unsafe` through helpers of other files: a loop's `select!` branch, or a
// `timeout` the loop retries, calling an async fn of another file whose first await is not
// cancellation safe. For a `timeout`, only a byte-stream operation counts.
mod wire;

use std::time::Duration;

use tokio::sync::mpsc::{Receiver, Sender};

#[tokio::main]
async fn main() {
    let (stream, _) = tokio::net::TcpListener::bind("0.0.0.0:7000")
        .await
        .unwrap()
        .accept()
        .await
        .unwrap();
    let (mut reader, _writer) = stream.into_split();
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(relay(rx, tx.clone()));
    read_loop(&mut reader, tx).await;
}

async fn read_loop(reader: &mut tokio::net::tcp::OwnedReadHalf, tx: Sender<Vec<u8>>) {
    let mut stop = tokio::signal::ctrl_c();
    loop {
        tokio::select! {
            frame = wire::read_frame(reader) => { let _ = tx.send(frame.unwrap()).await; } //~ select_cancel_unsafe
            _ = &mut stop => break,
        }
    }
}

async fn idle_tolerant(reader: &mut tokio::net::tcp::OwnedReadHalf) {
    loop {
        let frame = match tokio::time::timeout(Duration::from_secs(2), wire::read_frame(reader)).await { //~ select_cancel_unsafe
            Ok(Ok(frame)) => frame,
            Ok(Err(_)) => return,
            Err(_) => continue,
        };
        wire::consume(frame);
    }
}

async fn strict(reader: &mut tokio::net::tcp::OwnedReadHalf) -> anyhow::Result<()> {
    loop {
        // ok: a timeout ends the loop through `?`
        let frame = tokio::time::timeout(Duration::from_secs(2), wire::read_frame(reader)).await??;
        wire::consume(frame);
    }
}

async fn relay(mut rx: Receiver<Vec<u8>>, out: Sender<Vec<u8>>) {
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            // ok: the helper starts with `recv`, which is cancel safe
            Some(frame) = wire::next_frame(&mut rx) => wire::consume(frame),
            _ = ticker.tick() => {}
        }
        // ok: a timed-out send gives the message up on purpose; not a byte stream
        let _ = tokio::time::timeout(Duration::from_millis(10), wire::forward(&out, Vec::new())).await;
    }
}

async fn forward_until_stopped(out: Sender<Vec<u8>>, mut stop: Receiver<()>) {
    loop {
        tokio::select! {
            _ = wire::forward(&out, Vec::new()) => {} //~ select_cancel_unsafe
            _ = stop.recv() => break,
        }
    }
}
