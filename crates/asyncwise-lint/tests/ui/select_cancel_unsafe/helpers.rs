// Readings: a branch that calls an async fn of this file whose first await is a call that is
// not cancellation safe and loses data (reads, writes, sends) is reported at the branch, with a
// note at that first await. A helper whose first await is cancel safe (`read`, `recv`) is not:
// this rule reads only the first await point. Two fns of the same name in a file: unknown.
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

struct Connection {
    stream: tokio::net::TcpStream,
    buffer: Vec<u8>,
}

impl Connection {
    async fn read_frame(&mut self) -> std::io::Result<Frame> {
        let len = self.stream.read_u32().await?;
        let mut body = vec![0; len as usize];
        self.stream.read_exact(&mut body).await?;
        Ok(Frame(body))
    }

    async fn read_chunk(&mut self) -> std::io::Result<usize> {
        self.stream.read(&mut self.buffer).await
    }

    async fn send_frame(&mut self, frame: &Frame) -> std::io::Result<()> {
        self.stream.write_all(&frame.0).await
    }

    async fn run(&mut self, mut shutdown: mpsc::Receiver<()>, mut outbox: mpsc::Receiver<Frame>) {
        loop {
            tokio::select! {
                frame = self.read_frame() => self.handle(frame), //~ select_cancel_unsafe
                _ = shutdown.recv() => break,
            }
        }
    }

    async fn run_chunks(&mut self, mut shutdown: mpsc::Receiver<()>) {
        loop {
            tokio::select! {
                // ok: `read_chunk` awaits only `read`, which is cancel safe
                n = self.read_chunk() => drop(n),
                _ = shutdown.recv() => break,
            }
        }
    }

    async fn pump(&mut self, mut outbox: mpsc::Receiver<Frame>, mut stop: mpsc::Receiver<()>) {
        let pending = Frame(Vec::new());
        loop {
            tokio::select! {
                r = self.send_frame(&pending) => drop(r), //~ select_cancel_unsafe
                _ = stop.recv() => break,
            }
        }
    }
}

async fn read_message(stream: &mut tokio::net::TcpStream) -> std::io::Result<Vec<u8>> {
    let mut head = [0u8; 2];
    stream.read_exact(&mut head).await?;
    Ok(head.to_vec())
}

async fn log_line(line: String) {
    tracing::info!("{line}");
}

async fn serve(mut stream: tokio::net::TcpStream, mut stop: mpsc::Receiver<()>) {
    loop {
        tokio::select! {
            m = read_message(&mut stream) => drop(m), //~ select_cancel_unsafe
            _ = stop.recv() => break,
        }
    }
    loop {
        tokio::select! {
            // ok: a helper with no await at all
            _ = log_line(String::new()) => {}
            _ = stop.recv() => break,
        }
    }
    let pinned = read_message(&mut stream);
    tokio::pin!(pinned);
    loop {
        tokio::select! {
            // ok: created once before the loop
            m = &mut pinned => { drop(m); break; }
            _ = stop.recv() => break,
        }
    }
}
