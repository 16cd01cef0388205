// Readings: a `read_exact` or `write_all` of a one-element buffer moves one byte or none, as
// `read_u8` does (which tokio documents as cancel safe): dropping it part-way loses nothing.
// A `timeout(d, fut)` that is itself a `select!` branch is judged with its `select!`: the
// `select!` drops `fut` whenever another branch wins, and the message says whether the
// timeout's own expiry goes round again too (an `Err` arm that returns, or `?` on the result,
// leaves the loop).
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn wait_for_ready_byte(mut stream: TcpStream) -> std::io::Result<u8> {
    loop {
        let mut flag = [0u8; 1];
        // ok: one byte or none
        match tokio::time::timeout(Duration::from_millis(20), stream.read_exact(&mut flag)).await {
            Ok(Ok(_)) if flag[0] != 0 => return Ok(flag[0]),
            Ok(Ok(_)) => continue,
            Ok(Err(e)) => return Err(e),
            Err(_) => continue,
        }
    }
}

async fn ping_pong(mut stream: TcpStream, mut tick: tokio::time::Interval) -> std::io::Result<()> {
    let mut reply: [u8; 1] = [0];
    loop {
        tokio::select! {
            r = stream.read_exact(&mut reply) => { r?; } // ok: a one-byte read
            _ = tick.tick() => { stream.write_all(&[1]).await?; }
        }
    }
}

async fn sliced(mut stream: TcpStream, mut buf: Vec<u8>, mut tick: tokio::time::Interval) -> std::io::Result<()> {
    loop {
        tokio::select! {
            r = stream.read_exact(&mut buf[..1]) => { r?; } // ok: the first byte only
            r = stream.read_exact(&mut buf[..4]) => { r?; } //~ select_cancel_unsafe
            _ = tick.tick() => {}
        }
    }
}

async fn timed_frames(mut stream: TcpStream, mut tick: tokio::time::Interval) -> std::io::Result<()> {
    loop {
        let mut head = [0u8; 8];
        tokio::select! {
            // the timeout returns when it runs out; the tick branch drops the read and loops
            r = tokio::time::timeout(Duration::from_secs(5), stream.read_exact(&mut head)) => { //~ select_cancel_unsafe
                match r {
                    Err(_) => return Ok(()),
                    Ok(r) => { r?; }
                }
            }
            _ = tick.tick() => {}
        }
    }
}

async fn timed_frames_retried(mut stream: TcpStream, mut tick: tokio::time::Interval) -> std::io::Result<()> {
    loop {
        let mut head = [0u8; 8];
        tokio::select! {
            r = tokio::time::timeout(Duration::from_secs(5), stream.read_exact(&mut head)) => { //~ select_cancel_unsafe
                if let Ok(r) = r { r?; }
            }
            _ = tick.tick() => {}
        }
    }
}
