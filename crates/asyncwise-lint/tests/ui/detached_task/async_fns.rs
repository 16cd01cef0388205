// detached_task: spawning a call of an async fn declared in the same crate (here: file) to
// return a `Result` — `anyhow::Result<()>`, `io::Result<()>`, `std::result::Result`, or a local
// alias named `Result` — with the handle discarded.
//
// Readings chosen where the issue is not explicit:
// - Methods count: `tokio::spawn(worker.run())` where `Worker::run` is an async fn returning a
//   Result fires.
// - Functions are resolved by path, not by bare name: `quiet::run` returning `()` does not
//   fire just because another `run` in the file returns a Result.
// - Functions not declared in the crate (`hyper_util::..::serve`) are unknown: no finding.
// - A body that discards a Result with `let _ =` or as an expression statement does not
//   "fail unseen" by this rule's definition (rustc's `unused_must_use` covers the latter).

use std::io;
use std::net::SocketAddr;

use tokio::net::TcpListener;

type Result<T, E = Box<dyn std::error::Error + Send + Sync>> = std::result::Result<T, E>;

async fn serve_anyhow(addr: SocketAddr) -> anyhow::Result<()> {
    let _listener = TcpListener::bind(addr).await?;
    Ok(())
}

async fn serve_io(addr: SocketAddr) -> io::Result<()> {
    let _listener = TcpListener::bind(addr).await?;
    Ok(())
}

async fn serve_std(addr: SocketAddr) -> std::result::Result<(), String> {
    TcpListener::bind(addr).await.map(drop).map_err(|e| e.to_string())
}

async fn serve_alias(addr: SocketAddr) -> Result<()> {
    let _listener = TcpListener::bind(addr).await?;
    Ok(())
}

async fn serve_unit(addr: SocketAddr) {
    if let Err(e) = serve_io(addr).await {
        tracing::error!(error = %e, "serve failed");
    }
}

async fn serve_option(addr: SocketAddr) -> Option<()> {
    TcpListener::bind(addr).await.ok().map(drop)
}

fn not_async(addr: SocketAddr) -> io::Result<()> {
    let _ = addr;
    Ok(())
}

async fn spawns(addr: SocketAddr) {
    tokio::spawn(serve_anyhow(addr)); //~ detached_task
    tokio::spawn(serve_io(addr)); //~ detached_task
    let _ = tokio::spawn(serve_std(addr)); //~ detached_task
    drop(tokio::spawn(serve_alias(addr))); //~ detached_task
    tokio::spawn(serve_unit(addr)); // ok: returns ()
    tokio::spawn(serve_option(addr)); // ok: an Option is not a failure report
    tokio::spawn(async move { not_async(addr).map_err(|e| e.to_string()).ok() }); // ok: handled
}

async fn spawn_tail_call(addr: SocketAddr) {
    tokio::spawn(async move { //~ detached_task
        tracing::info!(%addr, "starting");
        serve_io(addr).await
    });
}

async fn spawn_discarding_inside(addr: SocketAddr) {
    tokio::spawn(async move { // ok: the Result is deliberately discarded
        let _ = serve_io(addr).await;
    });
    tokio::spawn(async move { // ok: not `?`, not a tail, not unwrap (rustc warns unused_must_use)
        serve_io(addr).await;
    });
}

async fn spawn_kept(addr: SocketAddr) -> anyhow::Result<()> {
    let h = tokio::spawn(serve_anyhow(addr)); // ok: handle kept and awaited
    h.await??;
    Ok(())
}

struct Worker {
    addr: SocketAddr,
}

impl Worker {
    async fn run(self) -> anyhow::Result<()> {
        serve_anyhow(self.addr).await
    }

    async fn run_logged(self) {
        let addr = self.addr;
        if let Err(e) = self.run().await {
            tracing::error!(%addr, error = %e, "worker failed");
        }
    }
}

async fn spawn_methods(a: Worker, b: Worker) {
    tokio::spawn(a.run()); //~ detached_task
    tokio::spawn(b.run_logged()); // ok: returns ()
}

mod quiet {
    pub async fn run(addr: std::net::SocketAddr) {
        tracing::info!(%addr, "quiet run");
    }
}

mod loud {
    pub async fn run(addr: std::net::SocketAddr) -> std::io::Result<()> {
        tokio::net::TcpListener::bind(addr).await.map(drop)
    }
}

async fn same_name_different_modules(addr: SocketAddr) {
    tokio::spawn(quiet::run(addr)); // ok: quiet::run returns ()
    tokio::spawn(loud::run(addr)); //~ detached_task
    tokio::spawn(crate::loud::run(addr)); //~ detached_task
}

async fn unknown_functions(listener: TcpListener) {
    tokio::spawn(external_crate::serve(listener)); // ok: not declared in this crate
}
