// Readings: a branch future counts when it is a call made in the `select!` itself (`.fuse()`
// and `Box::pin(..)` looked through) of a method tokio documents as not cancellation safe, and
// the `select!` sits in a loop of the same body. `&mut fut` of a future made before the loop,
// and a `select!` run once, are fine. The streams here are lent to the fn (`&mut`): one it
// owns, dropped as the loop ends, is `abandoned_with_loop.rs`'s case.
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, Mutex, Semaphore};

async fn read_headers(socket: &mut tokio::net::TcpStream, mut shutdown: mpsc::Receiver<()>) {
    let mut header = [0u8; 8];
    loop {
        tokio::select! {
            r = socket.read_exact(&mut header) => { on_header(r, &header).await; } //~ select_cancel_unsafe
            _ = shutdown.recv() => break,
        }
    }
}

async fn read_lines(reader: &mut tokio::io::BufReader<tokio::net::TcpStream>, mut stop: mpsc::Receiver<()>) {
    let mut line = String::new();
    loop {
        tokio::select! {
            n = reader.read_line(&mut line) => { if n.is_err() { break; } } //~ select_cancel_unsafe
            _ = stop.recv() => return,
        }
    }
}

async fn read_numbers(mut conn: Conn, mut ticks: tokio::time::Interval) {
    while running() {
        tokio::select! {
            len = conn.read_u32() => handle_len(len), //~ select_cancel_unsafe
            _ = ticks.tick() => heartbeat(),
        }
    }
}

async fn write_frames(mut sink: tokio::net::TcpStream, frames: Vec<Vec<u8>>, mut quit: mpsc::Receiver<()>) {
    for frame in frames {
        tokio::select! {
            r = sink.write_all(&frame) => r.unwrap(), //~ select_cancel_unsafe
            _ = quit.recv() => break,
        }
    }
}

async fn lock_in_loop(state: std::sync::Arc<Mutex<u32>>, mut events: mpsc::Receiver<u32>) {
    loop {
        tokio::select! {
            mut guard = state.lock() => { *guard += 1; } //~ select_cancel_unsafe
            Some(e) = events.recv() => println!("{e}"),
        }
    }
}

async fn permits(limit: &Semaphore, mut cancel: mpsc::Receiver<()>) {
    loop {
        tokio::select! {
            permit = limit.acquire() => drop(permit), //~ select_cancel_unsafe
            _ = cancel.recv() => log_cancelled(),
        }
    }
}

async fn futures_flavour(stream: &mut tokio::net::TcpStream, mut stop: futures::channel::mpsc::Receiver<()>) {
    let mut buf = Vec::new();
    loop {
        futures::select! {
            r = stream.read_to_end(&mut buf).fuse() => consume(&buf), //~ select_cancel_unsafe
            _ = stop.next() => break,
        }
    }
}

async fn sends(tx: mpsc::Sender<u64>, mut stop: mpsc::Receiver<()>) {
    let tx: mpsc::Sender<u64> = tx;
    let mut n = 0;
    loop {
        n += 1;
        tokio::select! {
            _ = tx.send(n) => {} //~ select_cancel_unsafe
            _ = stop.recv() => n = 0,
        }
    }
}

async fn not_in_loop(mut socket: tokio::net::TcpStream, mut shutdown: mpsc::Receiver<()>) {
    let mut header = [0u8; 8];
    // ok: a select! run once does not start the read again
    tokio::select! {
        r = socket.read_exact(&mut header) => on_header(r, &header).await,
        _ = shutdown.recv() => {}
    }
}

async fn pinned_outside(mut socket: tokio::net::TcpStream, mut ticks: tokio::time::Interval) {
    let mut header = [0u8; 8];
    let read = socket.read_exact(&mut header);
    tokio::pin!(read);
    loop {
        tokio::select! {
            // ok: the same future is polled again, its progress kept
            r = &mut read => { r.unwrap(); break; }
            _ = ticks.tick() => heartbeat(),
        }
    }
}

async fn cancel_safe_methods(mut socket: tokio::net::TcpStream, mut rx: mpsc::Receiver<u8>, listener: tokio::net::TcpListener) {
    let mut buf = [0u8; 1024];
    loop {
        tokio::select! {
            // ok: `read`, `recv`, `accept`, `read_u8` and `readable` are cancel safe
            n = socket.read(&mut buf) => consume(&buf[..n.unwrap()]),
            Some(b) = rx.recv() => consume(&[b]),
            conn = listener.accept() => drop(conn),
            b = socket.read_u8() => drop(b),
            _ = socket.readable() => {}
        }
    }
}

async fn async_block_in_loop(mut socket: tokio::net::TcpStream, mut stop: mpsc::Receiver<()>) {
    loop {
        // ok: the select! is in its own async block, which is not itself in a loop
        let once = async {
            tokio::select! {
                r = socket.read_exact(&mut [0u8; 4]) => drop(r),
                _ = stop.recv() => {}
            }
        };
        once.await;
    }
}

async fn lines_and_notify(reader: tokio::io::BufReader<tokio::net::TcpStream>, stop: &tokio::sync::Notify) {
    let mut lines = reader.lines();
    loop {
        tokio::select! {
            // ok: `next_line` is cancel safe; losing a place in `notified`'s queue is harmless
            line = lines.next_line() => drop(line),
            _ = stop.notified() => break,
        }
    }
}

async fn deadline_outside(mut rx: mpsc::Receiver<u8>) {
    let deadline = tokio::time::sleep(std::time::Duration::from_secs(5));
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            // ok: the sleep is made once, polled as `&mut`
            _ = &mut deadline => break,
            Some(b) = rx.recv() => consume(&[b]),
        }
    }
}

async fn write_in_its_own_task(mut sink: tokio::net::TcpStream, mut frames: mpsc::Receiver<Vec<u8>>, mut stop: mpsc::Receiver<()>) {
    loop {
        tokio::select! {
            biased;
            _ = stop.recv() => break,
            // ok: the write is awaited in the handler, after the branch won, not raced
            Some(frame) = frames.recv() => { sink.write_all(&frame).await.unwrap(); }
        }
    }
}
