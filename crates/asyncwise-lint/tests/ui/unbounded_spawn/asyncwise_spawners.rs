// The project's own runtime crate and tokio-util are spawners with their real semantics:
// `asyncwise::TaskGroup::bounded(n)` runs at most n tasks at once (`spawn_wait(..).await` also
// waits for a free slot), an unbounded `TaskGroup::new()` is no bound, a `TaskGroup` owns its
// tasks (errors come back from `join_next`), `asyncwise::Shutdown::spawn` records a task's
// error and panic in its report, and `tokio_util::task::TaskTracker::spawn` only tracks (errors
// are lost).
// Readings: a `TaskGroup` whose construction is not seen (a field, a parameter) is taken to be
// bounded.
use asyncwise::{Shutdown, TaskGroup};
use tokio_util::task::TaskTracker;

async fn bounded_group(urls: Vec<String>) -> anyhow::Result<()> {
    let mut group = TaskGroup::bounded(16);
    for url in urls {
        group.spawn("fetch", fetch(url)).await?; // ok: waits for one of 16 slots
    }
    group.try_join_all().await?;
    Ok(())
}

async fn unbounded_group(mut jobs: tokio::sync::mpsc::Receiver<Job>) -> anyhow::Result<()> {
    let mut group = TaskGroup::new();
    while let Some(job) = jobs.recv().await {
        group.spawn("job", job.run()).await?; //~ unbounded_spawn
    }
    group.join_all().await;
    Ok(())
}

async fn group_owns_its_tasks(group: &mut TaskGroup<()>) {
    // ok: the group reports the error from join_next
    let _ = group.spawn("flush", async { flush().await?; Ok::<_, anyhow::Error>(()) }).await;
}

async fn shutdown_tracked(shutdown: &Shutdown, db: Db) {
    // ok: the error is in the shutdown report, with the task's name and location
    shutdown.spawn("vacuum", async move {
        db.vacuum().await?;
        Ok::<_, anyhow::Error>(())
    });
    // ok: so is a panic
    shutdown.spawn("ticker", async move {
        let next = ticks().await.expect("ticker runs");
        record(next).await;
    });
}

async fn tracked(tracker: TaskTracker, mut conns: tokio::sync::mpsc::Receiver<Conn>) {
    while let Some(conn) = conns.recv().await {
        tracker.spawn(async move { //~ unbounded_spawn, detached_task
            conn.serve().await?;
            Ok::<_, std::io::Error>(())
        });
    }
    tracker.close();
    tracker.wait().await;
}
