// Readings: a private fn's cancellation finding is the default form only when a call of it is
// made where its future may be dropped: a `select!` branch's future (not the code a branch runs
// once it has won), the future of a `timeout(..)`/`timeout_at(..)` or of `fut.timeout(d)`, or a
// task whose handle is kept. An async block polled in such a place counts as well. Words in
// comments and strings, a `sleep(..)` and a detached task do not.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::time::{sleep, timeout, timeout_at};
use tokio_util::time::FutureExt as _;

async fn pump(live: &AtomicUsize, conn: &mut Conn) {
    live.fetch_add(1, Ordering::Relaxed);
    conn.flush().await.ok();
    live.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await
}

async fn drive(live: &AtomicUsize, conn: &mut Conn, stop: Stop) {
    tokio::select! {
        _ = pump(live, conn) => {}
        _ = stop.wait() => {}
    }
}

async fn relay(live: &AtomicUsize, conn: &mut Conn) {
    live.fetch_add(1, Ordering::Relaxed);
    conn.flush().await.ok();
    live.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await(pedantic)
}

async fn after_win(live: &AtomicUsize, conn: &mut Conn, mut rx: Receiver) {
    // ok (for the default form): `relay` runs in the branch's handler, once the branch has
    // won; the select! drops only the futures it races
    tokio::select! {
        Some(_) = rx.recv() => { relay(live, conn).await; }
    }
}

async fn mentioned(live: &AtomicUsize, conn: &mut Conn) {
    live.fetch_add(1, Ordering::Relaxed);
    conn.flush().await.ok();
    live.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await(pedantic)
}

async fn words_only(live: &AtomicUsize, conn: &mut Conn) {
    // ok (for the default form): select! { mentioned(..) } and timeout( mentioned(..) ) are
    // only words in a comment, and so is this string:
    log::debug!("select! {{ mentioned(x) }} or timeout(d, mentioned(x))");
    mentioned(live, conn).await;
}

async fn deadline_method(live: &AtomicUsize, conn: &mut Conn) {
    live.fetch_add(1, Ordering::Relaxed);
    conn.sync().await.ok();
    live.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await
}

async fn bounded(live: &AtomicUsize, conn: &mut Conn) {
    let _ = deadline_method(live, conn).timeout(Duration::from_secs(5)).await;
}

async fn until_instant(live: &AtomicUsize, conn: &mut Conn) {
    live.fetch_add(1, Ordering::Relaxed);
    conn.sync().await.ok();
    live.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await
}

async fn by_deadline(live: &AtomicUsize, conn: &mut Conn, at: Instant) {
    let _ = timeout_at(at, until_instant(live, conn)).await;
}

async fn paused(live: &AtomicUsize, conn: &mut Conn) {
    live.fetch_add(1, Ordering::Relaxed);
    conn.sync().await.ok();
    live.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await(pedantic)
}

async fn nap_then_pause(live: &AtomicUsize, conn: &mut Conn) {
    // ok (for the default form): a sleep drops nothing
    sleep(Duration::from_millis(10)).await;
    paused(live, conn).await;
}

async fn block_in_branch(live: &AtomicUsize, conn: &mut Conn, stop: Stop) {
    tokio::select! {
        _ = async {
            live.fetch_add(1, Ordering::Relaxed);
            conn.flush().await.ok();
            live.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await
        } => {}
        _ = stop.wait() => {}
    }
}

async fn block_in_timeout(live: &AtomicUsize, conn: &mut Conn) {
    let _ = timeout(Duration::from_secs(1), async {
        live.fetch_add(1, Ordering::Relaxed);
        conn.flush().await.ok();
        live.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await
    })
    .await;
}

// Spawned with its handle returned, but nothing in the file aborts a task: a task nobody
// aborts (the pedantic form); aborted_tasks.rs has the default form.
async fn worker(live: Arc<AtomicUsize>, jobs: Jobs) {
    live.fetch_add(1, Ordering::Relaxed);
    jobs.drain().await;
    live.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await(pedantic)
}

async fn supervised(live: Arc<AtomicUsize>, jobs: Jobs) -> JoinHandle<()> {
    let handle = tokio::spawn(worker(live, jobs));
    handle
}

async fn background(live: Arc<AtomicUsize>, jobs: Jobs) {
    live.fetch_add(1, Ordering::Relaxed);
    jobs.drain().await;
    live.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await(pedantic)
}

async fn fire_and_forget(live: Arc<AtomicUsize>, jobs: Jobs) {
    // ok (for the default form): a detached task nobody can abort
    tokio::spawn(background(live, jobs));
}
