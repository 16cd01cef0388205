// Readings: a channel whose every message carries a semaphore permit acquired before the send
// (`tx.send((job, permit))` after `let permit = sem.clone().acquire_owned().await`) holds at
// most as many messages as there are permits: the pedantic form, even when it is fed in a
// loop. One send without the permit, or a sender handed away, keeps the default form.
use std::sync::Arc;
use tokio::sync::{Semaphore, mpsc};

pub async fn dispatch(mut source: Source, workers: usize) {
    let limit = Arc::new(Semaphore::new(workers));
    let (tx, mut rx) = mpsc::unbounded_channel(); //~ unbounded_channel(pedantic)
    tokio::spawn(async move {
        while let Some((job, permit)) = rx.recv().await {
            run(job).await;
            drop(permit);
        }
    });
    while let Some(job) = source.next().await {
        let permit = limit.clone().acquire_owned().await.expect("semaphore open");
        tx.send((job, permit)).ok();
    }
}

pub async fn dispatch_permit_kept(mut source: Source, workers: usize) {
    let limit = Arc::new(Semaphore::new(workers));
    let (tx, mut rx) = mpsc::unbounded_channel(); //~ unbounded_channel
    tokio::spawn(async move {
        while let Some(job) = rx.recv().await {
            run(job).await;
        }
    });
    while let Some(job) = source.next().await {
        let permit = limit.clone().acquire_owned().await.expect("semaphore open");
        tx.send(job).ok();
        drop(permit);
    }
}

pub async fn dispatch_and_hand_away(mut source: Source, workers: usize) {
    let limit = Arc::new(Semaphore::new(workers));
    let (tx, rx) = mpsc::unbounded_channel(); //~ unbounded_channel
    start_workers(rx);
    register(tx.clone());
    while let Some(job) = source.next().await {
        let permit = limit.clone().acquire_owned().await.expect("semaphore open");
        tx.send((job, permit)).ok();
    }
}
