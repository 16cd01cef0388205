// Readings: when a spawned call names a function the crate declares more than once (two types'
// `handle`, one returning `()` after logging its errors, one returning a `Result`) and nothing
// says which one is called, the task is not judged: blaming the wrong function is worse than
// saying nothing. A call that says which one (`Self::handle`, `Session::handle`, a receiver of
// a known type) is judged by that function. Definitions of one fn under exclusive `cfg`s are one
// function: it fails if the build that can fail does.
use std::io;

use tokio::net::TcpStream;

pub struct Session {
    stream: TcpStream,
}

pub struct Control;

impl Session {
    async fn handle(self) -> io::Result<()> {
        let mut buf = [0u8; 16];
        self.stream.peek(&mut buf).await?;
        Ok(())
    }

    pub fn start(self) {
        tokio::spawn(Self::handle(self)); //~ detached_task
    }
}

impl Control {
    async fn handle(self) {
        if let Err(e) = reload().await {
            tracing::error!(%e, "reload failed");
        }
    }

    pub fn start(self) {
        tokio::spawn(Self::handle(self)); // ok: Control's `handle` returns ()
    }
}

async fn reload() -> io::Result<()> {
    Ok(())
}

pub fn start_any<H: Handler + Send + 'static>(handler: H) {
    tokio::spawn(async move { handler.handle().await }); // ok: which `handle` is not known
}

pub fn start_session(session: Session) {
    tokio::spawn(Session::handle(session)); //~ detached_task
}

#[cfg(feature = "watch")]
async fn watch(path: std::path::PathBuf) -> io::Result<()> {
    tokio::fs::metadata(&path).await?;
    Ok(())
}

#[cfg(not(feature = "watch"))]
async fn watch(_path: std::path::PathBuf) -> io::Result<()> {
    Ok(())
}

pub fn start_watch(path: std::path::PathBuf) {
    tokio::spawn(watch(path)); //~ detached_task
}
