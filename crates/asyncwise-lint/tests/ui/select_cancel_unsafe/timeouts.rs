// Readings: `timeout(d, fut)` races `fut` against a timer as a two-branch `select!` does, so a
// timeout in a loop that goes round again when the time runs out is this rule's timeout form.
// Only byte-stream operations count (a partial read or write leaves the stream out of step); a
// lock, permit or send given up on a timeout is what the timeout is for. The loop goes round
// again unless the `Elapsed` is propagated with `?`, or its `Err` arm (or `let .. else`) breaks
// or returns.
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::timeout;
use tokio_util::time::FutureExt as _;

async fn header_loop(stream: &mut tokio::net::TcpStream) {
    let mut header = [0u8; 8];
    loop {
        match timeout(Duration::from_secs(2), stream.read_exact(&mut header)).await { //~ select_cancel_unsafe
            Ok(Ok(_)) => handle(&header),
            Ok(Err(_)) => return,
            Err(_) => continue,
        }
    }
}

async fn read_frame(reader: &mut tokio::net::tcp::OwnedReadHalf) -> std::io::Result<Vec<u8>> {
    let len = reader.read_u32().await?;
    let mut body = vec![0; len as usize];
    reader.read_exact(&mut body).await?;
    Ok(body)
}

async fn frames_with_idle_check(mut reader: tokio::net::tcp::OwnedReadHalf, client: Client) {
    loop {
        let res = timeout(Duration::from_secs(2), read_frame(&mut reader)).await; //~ select_cancel_unsafe
        let frame = match res {
            Ok(Ok(frame)) => frame,
            Ok(Err(_)) => break,
            Err(_) => {
                if client.idle_too_long() {
                    break;
                }
                continue;
            }
        };
        client.deliver(frame).await;
    }
}

async fn counters(reader: &mut tokio::net::tcp::OwnedReadHalf, sink: Sink) {
    while sink.open() {
        if let Ok(Ok(n)) = timeout(Duration::from_millis(500), reader.read_u32()).await { //~ select_cancel_unsafe
            sink.push(n);
        }
    }
}

async fn chunks_out(writer: &mut tokio::net::tcp::OwnedWriteHalf, chunks: Vec<Vec<u8>>) {
    for chunk in &chunks {
        let _ = writer.write_all(chunk).timeout(Duration::from_secs(1)).await; //~ select_cancel_unsafe
    }
}

async fn propagated(stream: &mut tokio::net::TcpStream) -> anyhow::Result<()> {
    let mut header = [0u8; 8];
    loop {
        // ok: a timeout ends the function; nothing reads the stream again
        timeout(Duration::from_secs(2), stream.read_exact(&mut header)).await??;
        handle(&header);
    }
}

async fn gives_up(stream: &mut tokio::net::TcpStream) {
    let mut header = [0u8; 8];
    loop {
        // ok: the `Err` arm leaves the loop
        match timeout(Duration::from_secs(2), stream.read_exact(&mut header)).await {
            Ok(Ok(_)) => handle(&header),
            Ok(Err(_)) => return,
            Err(_) => break,
        }
    }
}

async fn let_else(stream: &mut tokio::net::TcpStream) {
    let mut header = [0u8; 8];
    loop {
        // ok: `let .. else` returns when the time runs out
        let Ok(read) = timeout(Duration::from_secs(2), stream.read_exact(&mut header)).await else {
            return;
        };
        handle_read(read, &header);
    }
}

async fn once(stream: &mut tokio::net::TcpStream) {
    let mut header = [0u8; 8];
    // ok: not in a loop, the read is not started again
    let _ = timeout(Duration::from_secs(2), stream.read_exact(&mut header)).await;
}

async fn receive(mut rx: tokio::sync::mpsc::Receiver<Msg>) {
    loop {
        // ok: `recv` is cancel safe
        if let Ok(Some(msg)) = timeout(Duration::from_secs(1), rx.recv()).await {
            dispatch(msg);
        }
    }
}

async fn lock_with_deadline(state: &tokio::sync::Mutex<State>) {
    loop {
        // ok: giving up a place in the lock's queue is what the timeout is for
        if let Ok(mut guard) = timeout(Duration::from_millis(50), state.lock()).await {
            guard.tick();
            break;
        }
    }
}

async fn pinned_outside(stream: &mut tokio::net::TcpStream) {
    let mut header = [0u8; 8];
    let read = stream.read_exact(&mut header);
    tokio::pin!(read);
    for _ in 0..3 {
        // ok: one future, polled again after each timeout: no progress is lost
        match timeout(Duration::from_secs(1), &mut read).await {
            Ok(read) => return handle_read(read, &header),
            Err(_) => report_slow(),
        }
    }
}
