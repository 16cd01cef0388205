// Readings: a loop with a delay is still a retry without backoff when the delay runs only on
// the success path: the iteration's first await is a fallible call whose `Err` arm (a `match`
// arm, `let .. else`, `if let Err`) ends in `continue` to this loop, and the delay comes after
// the call, so the `continue` skips it. A delay before the call or in the `Err` arm, an
// earlier await (a receive that paces the loop), an attempt bound, or an `Err` arm that falls
// through to the delay or leaves the loop are fine.
use std::time::Duration;

async fn refresh_index(db: &Db, tx: &Sender<Update>) {
    loop {
        let crates = match db.update_list().await { //~ retry_without_backoff
            Ok(crates) => crates,
            Err(e) => {
                tracing::error!("could not get the update list: {e}");
                continue;
            }
        };
        for c in crates {
            let _ = tx.send(c);
        }
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
}

async fn poll_status(client: &Client) {
    loop {
        let Ok(status) = client.status().await else { //~ retry_without_backoff
            continue;
        };
        publish(status);
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
}

async fn push_metrics(sink: &Sink, registry: &Registry) {
    'push: loop {
        if let Err(e) = sink.push(registry.gather()).await { //~ retry_without_backoff
            log::warn!("push failed: {e}");
            continue 'push;
        }
        tokio::time::sleep(Duration::from_secs(15)).await;
    }
}

async fn sleep_first(db: &Db) {
    loop {
        tokio::time::sleep(Duration::from_secs(60)).await;
        // ok: the sleep at the head of the iteration runs on the failure path too
        let rows = match db.update_list().await {
            Ok(rows) => rows,
            Err(_) => continue,
        };
        apply(rows);
    }
}

async fn sleep_in_err_arm(db: &Db) {
    loop {
        // ok: the `Err` arm waits before going round
        let rows = match db.update_list().await {
            Ok(rows) => rows,
            Err(_) => {
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        apply(rows);
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
}

async fn err_falls_through(db: &Db) {
    loop {
        // ok: the `Err` arm only logs and falls through to the sleep
        match db.update_list().await {
            Ok(rows) => apply(rows),
            Err(e) => tracing::warn!("{e}"),
        }
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
}

async fn err_leaves(db: &Db) {
    loop {
        // ok: a failure ends the loop
        let rows = match db.update_list().await {
            Ok(rows) => rows,
            Err(_) => break,
        };
        apply(rows);
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
}

async fn paced_by_receive(rx: &mut Receiver<Job>, db: &Db) {
    loop {
        let job = rx.recv().await;
        // ok: the receive before it waits for the next job
        if let Err(e) = db.store(job).await {
            tracing::warn!("{e}");
            continue;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn ticked(db: &Db, mut interval: tokio::time::Interval) {
    loop {
        interval.tick().await;
        // ok: the tick heads every iteration
        let Ok(rows) = db.update_list().await else {
            continue;
        };
        apply(rows);
    }
}

async fn bounded(db: &Db) {
    let mut failures = 0;
    loop {
        // ok: failures are counted and bounded
        let rows = match db.update_list().await {
            Ok(rows) => rows,
            Err(_) => {
                failures += 1;
                if failures > 5 {
                    return;
                }
                continue;
            }
        };
        apply(rows);
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
}
