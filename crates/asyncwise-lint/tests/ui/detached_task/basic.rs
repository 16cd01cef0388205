// detached_task: a spawn whose JoinHandle is discarded (expression statement, `let _ =`,
// `drop(..)`) while its body can fail unseen: it uses `?` or ends in an `Err` (the default
// form), or can only panic through `unwrap`/`expect`/`panic!`/`unreachable!`/`todo!` (the
// pedantic form: the panic hook prints a panic, nothing prints a dropped `Err`).
//
// Readings chosen where the issue is not explicit:
// - `unwrap_or`, `unwrap_or_default`, `unwrap_or_else`, `.ok()` cannot fail: not reported.
// - A body that ends in `Ok(())` is reported even without a `?` (the Result is dropped
//   unseen, and the next edit adds the `?`).
// - `?`, `unwrap` or a `Result` tail inside a nested async block or closure that the task
//   itself awaits and whose result it handles are handled: not reported.
// - `spawn_blocking` and `std::thread::spawn` are not task spawns for this rule.

use std::io;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

async fn statement_with_question_mark(mut sock: TcpStream) {
    tokio::spawn(async move { //~ detached_task
        sock.write_all(b"hello\n").await?;
        Ok::<_, io::Error>(())
    });
}

async fn let_underscore_unwrap(addr: String) {
    let _ = tokio::spawn(async move { //~ detached_task(pedantic)
        let sock = TcpStream::connect(&addr).await.unwrap();
        drop(sock);
    });
}

async fn drop_with_expect(addr: String) {
    drop(tokio::spawn(async move { //~ detached_task(pedantic)
        TcpStream::connect(&addr).await.expect("upstream reachable");
    }));
}

async fn panics(flag: bool) {
    tokio::spawn(async move { //~ detached_task(pedantic)
        if flag {
            panic!("invariant broken");
        }
    });
}

async fn unreachable_and_todo(kind: u8) {
    // pedantic: a "cannot happen" branch or a `todo!` is the task's only way to fail
    tokio::spawn(async move { //~ detached_task(pedantic)
        match kind {
            0 => {}
            _ => unreachable!("kind is validated"),
        }
    });
    tokio::spawn(async { todo!() }); //~ detached_task(pedantic)
}

async fn ends_in_ok() {
    // ok: no `?`, no `Err`, no panic: ending in `Ok` means every error was handled (issue 7)
    tokio::spawn(async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        Ok::<(), io::Error>(())
    });
}

async fn ends_in_err() {
    tokio::spawn(async { //~ detached_task
        Err::<(), _>(io::Error::other("not implemented"))
    });
}

async fn task_spawn_path(mut sock: TcpStream) {
    tokio::task::spawn(async move { //~ detached_task(pedantic)
        sock.flush().await.unwrap();
    });
}

async fn spawn_local(mut sock: TcpStream) {
    tokio::task::spawn_local(async move { //~ detached_task
        sock.shutdown().await?;
        Ok::<_, io::Error>(())
    });
}

fn from_sync_fn(addr: String) {
    tokio::spawn(async move { //~ detached_task(pedantic)
        TcpStream::connect(addr).await.unwrap();
    });
}

async fn infallible_body() {
    tokio::spawn(async { // ok: nothing can fail
        tokio::time::sleep(Duration::from_secs(1)).await;
        tracing::info!("tick");
    });
}

async fn non_panicking_unwraps(addr: String) {
    tokio::spawn(async move { // ok: unwrap_or* and .ok() cannot fail
        let port: u16 = addr.rsplit(':').next().and_then(|p| p.parse().ok()).unwrap_or(80);
        let name = std::env::var("NAME").unwrap_or_default();
        let sock = TcpStream::connect(&addr).await.ok();
        let _ = (port, name, sock);
    });
}

async fn handles_own_errors(mut sock: TcpStream) {
    tokio::spawn(async move { // ok: the error is handled inside the task
        if let Err(e) = sock.write_all(b"bye\n").await {
            tracing::error!(error = %e, "write failed");
        }
    });
}

async fn handles_with_match(addr: String) {
    tokio::spawn(async move { // ok: handled with match
        match TcpStream::connect(&addr).await {
            Ok(sock) => drop(sock),
            Err(e) => tracing::warn!(%addr, error = %e, "connect failed"),
        }
    });
}

async fn handles_nested_block(mut sock: TcpStream) {
    tokio::spawn(async move { // ok: `?` is inside an inner block whose result is handled
        let res = async {
            sock.write_all(b"ping\n").await?;
            sock.flush().await?;
            Ok::<_, io::Error>(())
        }
        .await;
        if let Err(e) = res {
            tracing::error!(error = %e, "ping failed");
        }
    });
}

async fn handles_in_closure(lines: Vec<String>) {
    tokio::spawn(async move { // ok: `?` belongs to the closure, whose Option is consumed
        let nums: Vec<u32> = lines
            .iter()
            .filter_map(|l| {
                let n: u32 = l.trim().parse().ok()?;
                Some(n)
            })
            .collect();
        tracing::info!(count = nums.len(), "parsed");
    });
}

async fn not_task_spawns(path: String) {
    tokio::task::spawn_blocking(move || std::fs::remove_file(path).unwrap()); // ok: spawn_blocking is not a task spawn
    std::thread::spawn(|| panic!("thread")); // ok: a thread, not a task
}
