// The `poll*` methods of a trait the executor polls (`Future`, `Stream`, `AsyncRead`,
// `AsyncWrite`, ...) run on a worker thread whenever the value is polled: blocking there blocks
// the executor as it does in an `async fn`, once per item, read or wake-up. Readings: only the
// `poll*` methods of such an impl count (not its other methods, not a `poll_*` of an inherent
// impl or of another trait, not a fn nested in a poll method), and a helper of the crate they
// call is followed as from any async code.
use std::io::Read;
use std::pin::Pin;
use std::task::{Context, Poll};

pub struct SpillReader {
    path: std::path::PathBuf,
    offset: u64,
}

impl SpillReader {
    fn next_chunk(&mut self) -> std::io::Result<Vec<u8>> {
        let mut file = std::fs::File::open(&self.path)?;
        let mut buf = vec![0u8; 4096];
        let n = file.read(&mut buf)?;
        self.offset += n as u64;
        buf.truncate(n);
        Ok(buf)
    }

    // ok: an inherent method named like a poll method, called by nobody here
    pub fn poll_later(&mut self) -> std::io::Result<Vec<u8>> {
        std::fs::read(&self.path)
    }
}

impl futures::Stream for SpillReader {
    type Item = std::io::Result<Vec<u8>>;

    fn poll_next(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.next_chunk() { //~ blocking_in_async
            Ok(chunk) if chunk.is_empty() => Poll::Ready(None),
            other => Poll::Ready(Some(other)),
        }
    }

    // ok: not a poll method
    fn size_hint(&self) -> (usize, Option<usize>) {
        let _ = std::fs::metadata(&self.path);
        (0, None)
    }
}

pub struct Throttled;

impl std::future::Future for Throttled {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        std::thread::sleep(std::time::Duration::from_millis(5)); //~ blocking_in_async
        Poll::Ready(())
    }
}

pub struct FileSink {
    file: std::fs::File,
}

impl tokio::io::AsyncWrite for FileSink {
    fn poll_write(mut self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        use std::io::Write;
        Poll::Ready(self.file.write(buf)) //~ blocking_in_async
    }

    fn poll_flush(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        use std::io::Write;
        // a fn nested in a poll method is not polled by the executor
        fn unused(path: &str) -> std::io::Result<Vec<u8>> {
            std::fs::read(path) // ok: nobody calls it
        }
        Poll::Ready(self.file.sync_all()) //~ blocking_in_async
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

pub trait Probe {
    fn poll_probe(&self) -> bool;
}

pub struct DiskProbe;

impl Probe for DiskProbe {
    // ok: a `poll_*` of a trait the executor does not poll
    fn poll_probe(&self) -> bool {
        std::fs::metadata("/var/lib/app").is_ok()
    }
}
