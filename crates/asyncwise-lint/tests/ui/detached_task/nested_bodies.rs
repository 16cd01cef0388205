// Failures inside closures and async blocks that the task itself runs are the task's: a
// `for_each_concurrent` body that panics, an inner `async move` joined with `join!`. Tasks the
// task spawns are judged on their own. A task that handles every error and ends in `Ok(..)`
// cannot fail.
// A task whose only failures are such panics is the pedantic form (the panic hook prints them);
// an error path of its own (`return Err`, `?`) keeps the default form.
// Readings: a closure's own `?` ends the closure, not the task (`.map(|l| l.parse::<u32>()?)`
// can't appear; `and_then(|x| ..)` returns to the caller), so only panics inside closures count;
// an inner async block's `?` fails that block, which the task then handles or not.
use futures::StreamExt;

async fn fan_in(tx: tokio::sync::mpsc::Sender<u32>, items: Vec<u32>) {
    tokio::spawn(async move { //~ detached_task(pedantic)
        futures::stream::iter(items)
            .for_each_concurrent(8, |i| {
                let tx = tx.clone();
                async move { tx.send(i).await.expect("receiver alive") }
            })
            .await;
    });
}

async fn joined_inner(a: Client, b: Client) {
    tokio::spawn(async move { //~ detached_task(pedantic)
        let (x, y) = tokio::join!(
            async { a.fetch().await.unwrap() },
            async { b.fetch().await.unwrap_or_default() },
        );
        log(x, y);
    });
}

async fn inner_spawn_is_its_own(queue: Queue) {
    tokio::spawn(async move {
        // ok: the outer task only loops and spawns; the inner task is the one that can fail
        loop {
            let job = queue.next().await;
            let handle = tokio::spawn(async move { job.run().await.unwrap() }); //~ unbounded_spawn
            handles.push(handle);
        }
    });
}

async fn closure_question_mark_is_the_closures(lines: Vec<String>) {
    tokio::spawn(async move {
        // ok: `?` inside the closure returns from the closure, and the task handles the result
        let parsed: Result<Vec<u32>, _> = lines.iter().map(|l| -> Result<u32, std::num::ParseIntError> { Ok(l.trim().parse::<u32>()?) }).collect();
        if let Err(e) = parsed {
            tracing::warn!(%e, "bad line");
        }
    });
}

async fn handles_everything(db: Db) {
    // ok: every error is handled, the task ends in Ok
    tokio::spawn(async move {
        if let Err(e) = db.vacuum().await {
            tracing::error!(%e, "vacuum failed");
        }
        Ok::<_, anyhow::Error>(())
    });
}

async fn returns_err_early(db: Db) {
    tokio::spawn(async move { //~ detached_task
        if db.is_closed() {
            return Err(anyhow::anyhow!("closed"));
        }
        db.vacuum().await.ok();
        Ok(())
    });
}

async fn startup_signal() {
    // pedantic form: the task can only panic (when the handler cannot be installed)
    tokio::spawn(async { //~ detached_task(pedantic)
        let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).expect("install SIGHUP handler");
        while hup.recv().await.is_some() {
            reload().await;
        }
    });
}

async fn cleanup_loop(set: std::sync::Arc<std::sync::RwLock<Vec<Entry>>>) {
    // pedantic form: the only panic is a poisoned lock's
    tokio::spawn(async move { //~ detached_task(pedantic)
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            set.write().expect("lock poisoned").retain(|e| e.fresh());
        }
    });
}

async fn cleanup_then_parse(set: std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    tokio::spawn(async move { //~ detached_task(pedantic)
        let first = set.lock().unwrap().first().cloned();
        let n: u64 = first.unwrap_or_default().parse().unwrap();
        report(n).await;
    });
}
