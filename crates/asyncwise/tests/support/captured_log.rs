//! A `tracing` subscriber for the current thread that keeps what it writes, for tests of the
//! events the crate promises. Use it in a test binary of its own: a subscriber set for one
//! thread races with other tests registering the same callsites without one.

use std::sync::{Arc, Mutex};

/// The text the subscriber wrote.
#[derive(Clone, Default)]
pub struct CapturedLog(Arc<Mutex<Vec<u8>>>);

impl CapturedLog {
    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().expect("log").clone()).expect("utf-8")
    }
}

impl std::io::Write for CapturedLog {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log").extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Captures events up to `level` on this thread until the guard is dropped.
pub fn capture(level: tracing::Level) -> (CapturedLog, tracing::subscriber::DefaultGuard) {
    let captured = CapturedLog::default();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(level)
        .with_writer({
            let captured = captured.clone();
            move || captured.clone()
        })
        .finish();
    (captured, tracing::subscriber::set_default(subscriber))
}
