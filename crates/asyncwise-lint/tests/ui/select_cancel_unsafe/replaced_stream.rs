// Readings: a branch that wins by handing over a new stream and assigning it to the place the
// raced read uses (`reader = next;`) drops the old stream, with whatever the dropped read had
// half consumed from it: nobody reads that stream again. Every other branch must do so on every
// way through its handler, or leave every loop around the `select!` (`return`, a `break` of the
// only loop or one naming the outermost loop); and the stream must be the body's own (a `let`,
// or moved into an `async move` block; a parameter, even one taken by value, is not read as
// one yet) and not mentioned after the outermost loop. A
// replacement made on some ways only, after a `continue` that may skip it or a statement that
// keeps the old stream (`retired.push(conn)`), of a stream the caller shares (`self`'s), or of
// a stream read again after the loops does not count.
use tokio::io::AsyncReadExt;
use tokio::net::tcp::OwnedReadHalf;
use tokio::sync::mpsc;

fn reader_task(mut reader: OwnedReadHalf, mut fresh: mpsc::Receiver<OwnedReadHalf>, out: mpsc::Sender<Vec<u8>>) {
    tokio::spawn(async move {
        'session: loop {
            'frames: loop {
                tokio::select! {
                    biased;
                    next = fresh.recv() => match next {
                        Some(next) => {
                            reader = next;
                            continue 'frames;
                        }
                        None => break 'session,
                    },
                    // ok: the other branch either replaces `reader` or ends the task
                    frame = read_frame(&mut reader) => {
                        let Ok(frame) = frame else { break 'frames };
                        let _ = out.send(frame).await;
                    }
                }
            }
            match fresh.recv().await {
                Some(next) => reader = next,
                None => break,
            }
        }
    });
}

async fn swap_then_read(addr: &str, mut swaps: mpsc::Receiver<tokio::net::TcpStream>) -> std::io::Result<()> {
    let mut conn = tokio::net::TcpStream::connect(addr).await?;
    let mut header = [0u8; 8];
    loop {
        tokio::select! {
            // ok: a new connection replaces the old one, which is dropped with its half-read header
            r = conn.read_exact(&mut header) => { r?; }
            Some(next) = swaps.recv() => { conn = next; }
        }
    }
}

async fn replaced_on_some_ways_only(mut conn: tokio::net::TcpStream, mut swaps: mpsc::Receiver<tokio::net::TcpStream>, allow: bool) {
    let mut header = [0u8; 8];
    loop {
        tokio::select! {
            r = conn.read_exact(&mut header) => { if r.is_err() { return; } } //~ select_cancel_unsafe
            Some(next) = swaps.recv() => {
                // the old connection stays when `allow` is false, out of step
                if allow {
                    conn = next;
                }
            }
        }
    }
}

async fn continue_before_the_replacement(mut conn: tokio::net::TcpStream, mut swaps: mpsc::Receiver<Option<tokio::net::TcpStream>>) {
    let mut header = [0u8; 8];
    loop {
        tokio::select! {
            r = conn.read_exact(&mut header) => { if r.is_err() { return; } } //~ select_cancel_unsafe
            Some(next) = swaps.recv() => {
                let Some(next) = next else { continue };
                conn = next;
            }
        }
    }
}

async fn old_stream_kept(addr: &str, mut swaps: mpsc::Receiver<tokio::net::TcpStream>, retired: &mut Vec<tokio::net::TcpStream>) -> std::io::Result<()> {
    let mut conn = tokio::net::TcpStream::connect(addr).await?;
    let mut header = [0u8; 8];
    loop {
        tokio::select! {
            r = conn.read_exact(&mut header) => { r?; } //~ select_cancel_unsafe
            Some(next) = swaps.recv() => {
                // the old connection, out of step, is kept for later use
                retired.push(conn);
                conn = next;
            }
        }
    }
}

struct Session {
    conn: tokio::net::TcpStream,
}

impl Session {
    async fn run(&mut self, mut swaps: mpsc::Receiver<tokio::net::TcpStream>, mut stop: mpsc::Receiver<()>) {
        let mut header = [0u8; 8];
        loop {
            tokio::select! {
                r = self.conn.read_exact(&mut header) => { if r.is_err() { return; } } //~ select_cancel_unsafe
                Some(next) = swaps.recv() => { self.conn = next; }
                // leaves with `self.conn` out of step, and the caller keeps the session
                _ = stop.recv() => return,
            }
        }
    }
}

async fn read_again_after_the_loop(mut conn: tokio::net::TcpStream, mut swaps: mpsc::Receiver<tokio::net::TcpStream>, mut stop: mpsc::Receiver<()>) {
    let mut header = [0u8; 8];
    loop {
        tokio::select! {
            r = conn.read_exact(&mut header) => { if r.is_err() { return; } } //~ select_cancel_unsafe
            Some(next) = swaps.recv() => { conn = next; }
            _ = stop.recv() => break,
        }
    }
    // the stream is read again, out of step, after a stop that interrupted a header
    let _ = conn.read_exact(&mut header).await;
}

async fn read_frame(reader: &mut OwnedReadHalf) -> std::io::Result<Vec<u8>> {
    let len = reader.read_u32().await? as usize;
    let mut buf = vec![0u8; len];
    reader.read_exact(&mut buf).await?;
    Ok(buf)
}
