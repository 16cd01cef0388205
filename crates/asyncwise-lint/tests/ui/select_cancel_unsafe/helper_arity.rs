// Readings: a method call is taken for a helper of this file by its name; one that passes
// another number of arguments than the helper takes cannot be that helper (Rust has no
// overloading): `StreamExt::next()` on a stream is not a `next(&mut self, buf)` that reads a
// frame. The same name with the helper's arguments still is.
use futures::stream::{FuturesUnordered, StreamExt};
use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;

struct Link {
    conn: tokio::net::TcpStream,
}

impl Link {
    async fn next(&mut self, header: &mut [u8]) -> std::io::Result<()> {
        self.conn.read_exact(header).await?;
        Ok(())
    }
}

async fn forward(mut inputs: FuturesUnordered<tokio::task::JoinHandle<u32>>, mut stop: mpsc::Receiver<()>) {
    loop {
        tokio::select! {
            Some(v) = inputs.next() => { let _ = v; } // ok: the stream's `next`, no argument
            _ = stop.recv() => {}
        }
    }
}

async fn relay(mut link: Link, mut stop: mpsc::Receiver<()>) {
    let mut header = [0u8; 8];
    loop {
        tokio::select! {
            r = link.next(&mut header) => { let _ = r; } //~ select_cancel_unsafe
            _ = stop.recv() => {}
        }
    }
}
