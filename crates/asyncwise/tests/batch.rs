//! `Batcher` and `batched`: batch sizes, deadlines from the first item,
//! backpressure, and zero loss on shutdown with and without failing flushes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asyncwise::{BatchConfig, BatchReport, BatchedExt, Batcher, RetryPolicy, TrySendError};
use futures_util::StreamExt;
use proptest::prelude::*;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

fn paused_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime")
}

proptest! {
    #[test]
    fn batcher_batches_never_exceed_max_items_and_keep_order(
        max_items in 1_usize..40,
        capacity in 1_usize..80,
        items in 0_u32..400,
        gaps in proptest::collection::vec(0_u64..20, 1..50),
    ) {
        let batches = Arc::new(Mutex::new(Vec::new()));
        let sink = batches.clone();
        let report = paused_runtime().block_on(async move {
            let config = BatchConfig::new(max_items, Duration::from_millis(7)).capacity(capacity);
            let (batcher, worker) = Batcher::new(config, move |batch| {
                sink.lock().expect("sink").push(batch.to_vec());
                async { Ok::<_, String>(()) }
            });
            let worker = tokio::spawn(worker.run());
            for n in 0..items {
                batcher.send(n).await.expect("open");
                let gap = gaps[n as usize % gaps.len()];
                if gap > 0 {
                    tokio::time::sleep(Duration::from_millis(gap)).await;
                }
            }
            drop(batcher);
            worker.await.expect("worker")
        });
        let batches = batches.lock().expect("batches");
        prop_assert!(batches.iter().all(|b| !b.is_empty() && b.len() <= max_items));
        let flat: Vec<u32> = batches.iter().flatten().copied().collect();
        prop_assert_eq!(flat, (0..items).collect::<Vec<_>>());
        prop_assert_eq!(report.items_flushed, u64::from(items));
        prop_assert_eq!(report.batches_flushed, batches.len() as u64);
    }

    #[test]
    fn batched_stream_batches_never_exceed_max_items(
        max_items in 1_usize..40,
        items in 0_u32..400,
        gaps in proptest::collection::vec(0_u64..20, 1..50),
    ) {
        let batches = paused_runtime().block_on(async move {
            let source = futures_util::stream::iter(0..items).then(move |n| {
                let gap = gaps[n as usize % gaps.len()];
                async move {
                tokio::time::sleep(Duration::from_millis(gap)).await;
                n
            }});
            source.batched(max_items, Duration::from_millis(5)).collect::<Vec<_>>().await
        });
        prop_assert!(batches.iter().all(|b| !b.is_empty() && b.len() <= max_items));
        let flat: Vec<u32> = batches.into_iter().flatten().collect();
        prop_assert_eq!(flat, (0..items).collect::<Vec<_>>());
    }
}

/// Batches as flushed, each with the paused time its flush began (since the test started).
type Flushes = Arc<Mutex<Vec<(Duration, Vec<i32>)>>>;

/// A batcher whose flush records each batch and then takes `flush_time`, with its worker
/// running as a task.
fn recording_batcher(
    config: BatchConfig,
    flush_time: Duration,
) -> (Batcher<i32>, tokio::task::JoinHandle<BatchReport>, Flushes) {
    let origin = Instant::now();
    let flushes = Flushes::default();
    let sink = flushes.clone();
    let (batcher, worker) = Batcher::new(config, move |batch| {
        sink.lock()
            .expect("sink")
            .push((origin.elapsed(), batch.to_vec()));
        async move {
            if !flush_time.is_zero() {
                tokio::time::sleep(flush_time).await;
            }
            Ok::<_, String>(())
        }
    });
    (batcher, tokio::spawn(worker.run()), flushes)
}

#[tokio::test(start_paused = true)]
async fn batcher_deadline_runs_from_the_first_item_of_each_batch() {
    let (batcher, worker, flushes) = recording_batcher(
        BatchConfig::new(100, Duration::from_millis(10)),
        Duration::ZERO,
    );
    // Idle for a while first: a periodic tick would fire at once here.
    tokio::time::sleep(Duration::from_millis(33)).await;
    batcher.send(1).await.expect("open");
    tokio::time::sleep(Duration::from_millis(7)).await;
    batcher.send(2).await.expect("open");
    tokio::time::sleep(Duration::from_millis(8)).await;
    batcher.send(3).await.expect("open");
    drop(batcher);
    worker.await.expect("worker");
    let flushes = flushes.lock().expect("flushes");
    assert_eq!(
        *flushes,
        [
            (Duration::from_millis(43), vec![1, 2]),
            // Sent at 48 ms; the last sender left at once, so it is flushed then.
            (Duration::from_millis(48), vec![3]),
        ]
    );
}

/// The worker keeps one timer and re-arms it per batch: a batch that filled
/// before its deadline must not leave that deadline to cut the next batch
/// short, and a deadline that fired must arm again for the next batch.
#[tokio::test(start_paused = true)]
async fn each_batch_gets_its_own_deadline_when_the_timer_is_reused() {
    let (batcher, worker, flushes) = recording_batcher(
        BatchConfig::new(2, Duration::from_millis(10)),
        Duration::ZERO,
    );
    let ms = Duration::from_millis;
    batcher.send(1).await.expect("open"); // deadline armed for 10 ms
    tokio::time::sleep(ms(3)).await;
    batcher.send(2).await.expect("open"); // full at 3 ms, before that deadline
    tokio::time::sleep(ms(3)).await;
    batcher.send(3).await.expect("open"); // its own deadline: 16 ms, not 10
    tokio::time::sleep(ms(14)).await;
    batcher.send(4).await.expect("open"); // at 20 ms, after a deadline fired
    tokio::time::sleep(ms(11)).await;
    batcher.send(5).await.expect("open"); // 31 ms
    batcher.send(6).await.expect("open");
    tokio::time::sleep(ms(19)).await;
    batcher.send(7).await.expect("open"); // 50 ms
    tokio::time::sleep(ms(20)).await;
    drop(batcher);
    worker.await.expect("worker");
    let flushes = flushes.lock().expect("flushes");
    assert_eq!(
        *flushes,
        [
            (ms(3), vec![1, 2]),
            (ms(16), vec![3]),
            (ms(30), vec![4]),
            (ms(31), vec![5, 6]),
            (ms(60), vec![7]),
        ]
    );
}

/// The worker gathers the next batch into the flushed batch's buffer only
/// when nobody else holds it: batches a flush function keeps stay intact.
#[tokio::test(start_paused = true)]
async fn batches_kept_by_the_flush_function_stay_intact() {
    let kept = Arc::new(Mutex::new(Vec::new()));
    let sink = kept.clone();
    let (batcher, worker) = Batcher::new(BatchConfig::new(3, Duration::from_millis(5)), {
        move |batch: asyncwise::Batch<u32>| {
            sink.lock().expect("sink").push(batch);
            async { Ok::<_, String>(()) }
        }
    });
    let worker = tokio::spawn(worker.run());
    for n in 0..10 {
        batcher.send(n).await.expect("open");
    }
    drop(batcher);
    worker.await.expect("worker");
    let kept: Vec<Vec<u32>> = kept
        .lock()
        .expect("kept")
        .iter()
        .map(|batch| batch.to_vec())
        .collect();
    assert_eq!(kept, [vec![0, 1, 2], vec![3, 4, 5], vec![6, 7, 8], vec![9]]);
}

/// `send` takes a free slot without waiting, but still spends the task's
/// cooperative budget as Tokio's own channel does: a producer whose queue
/// never fills lets other tasks on its thread run.
#[tokio::test(flavor = "current_thread")]
async fn a_producer_that_never_waits_for_room_still_yields() {
    let (batcher, worker) = Batcher::new(
        BatchConfig::new(10_000, Duration::from_secs(60)).capacity(10_000),
        |_: asyncwise::Batch<u32>| async { Ok::<_, String>(()) },
    );
    let other_ran = Arc::new(AtomicU64::new(0));
    let flag = other_ran.clone();
    let other = tokio::spawn(async move {
        flag.store(1, Ordering::SeqCst);
    });
    let mut sent_before_other_ran = None;
    for n in 0..5_000 {
        batcher.send(n).await.expect("open");
        if sent_before_other_ran.is_none() && other_ran.load(Ordering::SeqCst) == 1 {
            sent_before_other_ran = Some(n);
        }
    }
    other.await.expect("other task");
    assert!(
        sent_before_other_ran.is_some(),
        "5 000 sends into an empty queue never yielded to the scheduler"
    );
    drop(batcher);
    assert_eq!(worker.run().await.items_flushed, 5_000);
}

#[tokio::test(start_paused = true)]
async fn batched_stream_deadline_runs_from_the_first_item() {
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    let stream =
        futures_util::stream::unfold(rx, |mut rx| async { rx.recv().await.map(|v| (v, rx)) });
    let origin = Instant::now();
    let producer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        for n in 0..3 {
            tx.send(n).await.expect("open");
            tokio::time::sleep(Duration::from_millis(4)).await;
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
        tx.send(9).await.expect("open");
    });
    let mut batches = std::pin::pin!(stream.batched(10, Duration::from_millis(10)));
    let mut seen = Vec::new();
    while let Some(batch) = batches.next().await {
        seen.push((origin.elapsed(), batch));
    }
    producer.await.expect("producer");
    assert_eq!(
        seen,
        [
            (Duration::from_millis(110), vec![0, 1, 2]),
            // The stream ended right after the last item: flushed at once.
            (Duration::from_millis(142), vec![9]),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn send_waits_when_the_queue_is_full() {
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let flush_gate = gate.clone();
    let (batcher, worker) = Batcher::new(
        BatchConfig::new(2, Duration::from_secs(1)).capacity(3),
        move |_| {
            let gate = flush_gate.clone();
            async move {
                gate.acquire().await.map_err(|e| e.to_string())?.forget();
                Ok::<_, String>(())
            }
        },
    );
    let worker = tokio::spawn(worker.run());
    // Two items form the first batch, whose flush blocks on the gate.
    batcher.send(0).await.expect("open");
    batcher.send(1).await.expect("open");
    tokio::task::yield_now().await;
    for n in 2..5 {
        batcher.try_send(n).expect("room in the queue");
    }
    assert_eq!(batcher.try_send(5), Err(TrySendError::Full(5)));
    let pending_send = tokio::spawn({
        let batcher = batcher.clone();
        async move { batcher.send(5).await }
    });
    tokio::task::yield_now().await;
    assert!(!pending_send.is_finished(), "send must wait for room");
    gate.add_permits(100);
    pending_send.await.expect("task").expect("accepted");
    drop(batcher);
    let report = worker.await.expect("worker");
    assert_eq!(report.items_flushed, 6);
}

#[tokio::test(start_paused = true)]
async fn failed_flushes_are_retried_then_dead_lettered_never_dropped() {
    let attempts = Arc::new(AtomicU64::new(0));
    let counter = attempts.clone();
    let config = BatchConfig::new(2, Duration::from_millis(5))
        .retry(RetryPolicy::exponential(Duration::from_millis(10)).max_attempts(3));
    let (batcher, worker) = Batcher::new(config, move |batch| {
        counter.fetch_add(1, Ordering::Relaxed);
        // Batches holding an odd first item always fail.
        let fails = batch[0] % 2 == 1;
        async move { if fails { Err("rejected") } else { Ok(()) } }
    });
    let dead = Arc::new(Mutex::new(Vec::new()));
    let dead_sink = dead.clone();
    let worker = worker.dead_letter(move |batch, error| {
        assert_eq!(error.attempts(), 3);
        dead_sink
            .lock()
            .expect("dead")
            .extend(batch.iter().copied());
    });
    let worker = tokio::spawn(worker.run());
    for n in [0, 2, 1, 4] {
        batcher.send(n).await.expect("open");
    }
    drop(batcher);
    let report = worker.await.expect("worker");
    assert_eq!(*dead.lock().expect("dead"), [1, 4]);
    assert_eq!(report.items_flushed, 2);
    assert_eq!(report.items_dead_lettered, 2);
    assert_eq!(report.flush_retries, 2);
    assert_eq!(attempts.load(Ordering::Relaxed), 4);
}

/// 8 producers send up to 100 000 distinct ids; shutdown fires once half of
/// them were accepted. Every accepted id must be flushed or dead-lettered
/// exactly once, and nothing else may appear.
async fn zero_loss_run(fail_rate: f64, seed: u64) {
    const PRODUCERS: u64 = 8;
    const ITEMS: u64 = 100_000;
    let token = CancellationToken::new();
    let flushed = Arc::new(Mutex::new(Vec::new()));
    let dead = Arc::new(Mutex::new(Vec::new()));
    let config = BatchConfig::new(256, Duration::from_millis(2))
        .capacity(1_024)
        .retry(
            RetryPolicy::exponential(Duration::from_millis(1))
                .max_attempts(3)
                .seed(seed),
        )
        .cancel_on(token.clone());
    let sink = flushed.clone();
    let mut rng = fastrand::Rng::with_seed(seed);
    let (batcher, worker) = Batcher::new(config, move |batch| {
        let fails = rng.f64() < fail_rate;
        if !fails {
            sink.lock().expect("flushed").extend(batch.iter().copied());
        }
        async move {
            tokio::task::yield_now().await;
            if fails {
                Err("injected failure")
            } else {
                Ok(())
            }
        }
    });
    let dead_sink = dead.clone();
    let worker = tokio::spawn(
        worker
            .dead_letter(move |batch, _| dead_sink.lock().expect("dead").extend(batch.iter()))
            .run(),
    );
    let accepted_total = Arc::new(AtomicU64::new(0));
    let mut producers = tokio::task::JoinSet::new();
    for p in 0..PRODUCERS {
        let batcher = batcher.clone();
        let token = token.clone();
        let accepted_total = accepted_total.clone();
        producers.spawn(async move {
            let mut accepted = Vec::new();
            for id in (p..ITEMS).step_by(PRODUCERS as usize) {
                if batcher.send(id).await.is_err() {
                    break;
                }
                accepted.push(id);
                if accepted_total.fetch_add(1, Ordering::Relaxed) + 1 == ITEMS / 2 {
                    token.cancel();
                }
            }
            accepted
        });
    }
    drop(batcher);
    let mut accepted = Vec::new();
    while let Some(ids) = producers.join_next().await {
        accepted.extend(ids.expect("producer"));
    }
    let report = worker.await.expect("worker");
    assert!(
        accepted.len() as u64 >= ITEMS / 2,
        "shutdown came too early"
    );
    assert!(
        (accepted.len() as u64) < ITEMS,
        "shutdown was not mid-stream"
    );

    let mut seen: HashMap<u64, u32> = HashMap::new();
    for id in flushed
        .lock()
        .expect("flushed")
        .iter()
        .chain(dead.lock().expect("dead").iter())
    {
        *seen.entry(*id).or_default() += 1;
    }
    for id in &accepted {
        assert_eq!(
            seen.remove(id),
            Some(1),
            "id {id} not accounted exactly once"
        );
    }
    assert!(seen.is_empty(), "ids that were never accepted: {seen:?}");
    assert_eq!(
        report.items_flushed + report.items_dead_lettered,
        accepted.len() as u64
    );
    if fail_rate > 0.0 {
        assert!(report.flush_retries > 0);
    } else {
        assert_eq!(report.items_dead_lettered, 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_loss_with_shutdown_mid_stream() {
    zero_loss_run(0.0, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_loss_with_twenty_percent_failing_flushes() {
    zero_loss_run(0.2, 2).await;
}

#[tokio::test(start_paused = true)]
async fn zero_loss_on_paused_time_with_failures() {
    zero_loss_run(0.2, 3).await;
}

#[tokio::test(start_paused = true)]
async fn a_panicking_flush_is_dead_lettered_and_the_worker_goes_on() {
    let config = BatchConfig::new(2, Duration::from_millis(5))
        .retry(RetryPolicy::exponential(Duration::from_millis(10)).max_attempts(3));
    let flushed = Arc::new(Mutex::new(Vec::new()));
    let sink = flushed.clone();
    let (batcher, worker) = Batcher::new(config, move |batch| {
        let sink = sink.clone();
        async move {
            if batch.contains(&13) {
                panic!("unlucky batch");
            }
            sink.lock().expect("flushed").extend(batch.iter().copied());
            Ok::<_, String>(())
        }
    });
    let dead = Arc::new(Mutex::new(Vec::new()));
    let dead_sink = dead.clone();
    let worker = tokio::spawn(
        worker
            .dead_letter(move |batch, error| {
                dead_sink
                    .lock()
                    .expect("dead")
                    .push((batch.to_vec(), error));
            })
            .run(),
    );
    for n in [1, 2, 13, 14, 5, 6] {
        batcher.send(n).await.expect("open");
    }
    drop(batcher);
    let report = worker.await.expect("the worker survives the panic");
    assert_eq!(*flushed.lock().expect("flushed"), [1, 2, 5, 6]);
    assert_eq!(
        *dead.lock().expect("dead"),
        [(
            vec![13, 14],
            asyncwise::FlushError::Panicked {
                message: "unlucky batch".into(),
                attempts: 1
            }
        )]
    );
    assert_eq!(report.flush_retries, 0, "a panic is not retried");
    assert_eq!(report.items_dead_lettered, 2);
}

#[tokio::test(start_paused = true)]
async fn huge_limits_neither_panic_nor_preallocate() {
    let config = BatchConfig::new(usize::MAX, Duration::from_millis(1)).capacity(usize::MAX);
    let (batcher, worker) = Batcher::new(config, |batch| {
        let len = batch.len();
        async move { if len == 3 { Ok(()) } else { Err(len) } }
    });
    let worker = tokio::spawn(worker.run());
    for n in 0..3 {
        batcher.send(n).await.expect("open");
    }
    drop(batcher);
    assert_eq!(worker.await.expect("worker").items_flushed, 3);
    let batches: Vec<Vec<u8>> = futures_util::stream::iter(0..3_u8)
        .batched(usize::MAX, Duration::from_secs(1))
        .collect()
        .await;
    assert_eq!(batches, [vec![0, 1, 2]]);
}

#[tokio::test(start_paused = true)]
async fn no_send_succeeds_after_the_token_fired_even_before_the_worker_noticed() {
    let token = CancellationToken::new();
    let config = BatchConfig::new(10, Duration::from_secs(60)).cancel_on(token.clone());
    let (batcher, worker) = Batcher::new(config, |_| async { Ok::<_, String>(()) });
    let worker = tokio::spawn(worker.run());
    batcher.send(1).await.expect("open");
    assert!(!batcher.is_closed());
    token.cancel();
    // The worker has not run since: the senders check the token themselves.
    assert!(batcher.is_closed());
    assert_eq!(batcher.send(2).await.expect_err("closed").0, 2);
    assert_eq!(batcher.try_send(3), Err(TrySendError::Closed(3)));
    let report = worker.await.expect("worker");
    assert_eq!(report.items_flushed, 1, "only the accepted item");
}

/// The senders see the token through a flag the token's own `cancel` sets:
/// a cancel of a parent token, on another thread, is seen by the next send
/// on this one, and so is a token that fired before the batcher was made.
#[tokio::test(start_paused = true)]
async fn no_send_succeeds_after_a_parent_token_fired_on_another_thread() {
    let parent = CancellationToken::new();
    let config = BatchConfig::new(10, Duration::from_secs(60)).cancel_on(parent.child_token());
    let (batcher, worker) = Batcher::new(config, |_| async { Ok::<_, String>(()) });
    let worker = tokio::spawn(worker.run());
    batcher.send(1).await.expect("open");
    let canceller = parent.clone();
    tokio::task::spawn_blocking(move || canceller.cancel())
        .await
        .expect("cancelling thread");
    assert!(batcher.is_closed());
    assert_eq!(batcher.try_send(2), Err(TrySendError::Closed(2)));
    assert_eq!(batcher.send(3).await.expect_err("closed").0, 3);
    let report = worker.await.expect("worker");
    assert_eq!(report.items_flushed, 1, "only the accepted item");

    let fired = CancellationToken::new();
    fired.cancel();
    let config = BatchConfig::new(10, Duration::from_secs(60)).cancel_on(fired);
    let (batcher, worker) = Batcher::new(config, |_| async { Ok::<_, String>(()) });
    assert!(batcher.is_closed());
    assert_eq!(batcher.send(4).await.expect_err("closed").0, 4);
    assert_eq!(worker.run().await.items_flushed, 0);
}

#[tokio::test(start_paused = true)]
async fn a_send_waiting_for_room_hands_its_item_back_on_shutdown() {
    let token = CancellationToken::new();
    let flushed = Arc::new(Mutex::new(Vec::new()));
    let sink = flushed.clone();
    let config = BatchConfig::new(1, Duration::ZERO)
        .capacity(1)
        .cancel_on(token.clone());
    let (batcher, worker) = Batcher::new(config, move |batch| {
        sink.lock().expect("flushed").extend(batch.iter().copied());
        // A flush that takes an hour keeps the queue full.
        async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok::<_, String>(())
        }
    });
    let worker = tokio::spawn(worker.run());
    batcher.send(0).await.expect("open"); // taken by the worker, flushing
    tokio::task::yield_now().await;
    batcher.send(1).await.expect("open"); // fills the queue
    let waiting = tokio::spawn({
        let batcher = batcher.clone();
        async move { batcher.send(2).await }
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(!waiting.is_finished(), "the queue is full");
    token.cancel();
    let cancelled_at = Instant::now();
    let returned = waiting.await.expect("task").expect_err("shut down");
    assert_eq!(returned.0, 2, "the item comes back, not dropped");
    assert_eq!(
        cancelled_at.elapsed(),
        Duration::ZERO,
        "at once, not when the worker finishes its flush"
    );
    let report = worker.await.expect("worker");
    assert_eq!(*flushed.lock().expect("flushed"), [0, 1]);
    assert_eq!(report.items_flushed, 2);
}

#[tokio::test(start_paused = true)]
async fn items_queued_during_a_flush_get_their_deadline_when_the_flush_ends() {
    // Each flush takes 100 ms.
    let (batcher, worker, flushes) = recording_batcher(
        BatchConfig::new(100, Duration::from_millis(10)),
        Duration::from_millis(100),
    );
    batcher.send(1).await.expect("open");
    tokio::time::sleep(Duration::from_millis(20)).await;
    // Sent at 20 ms while the first batch is being flushed (10..110 ms).
    batcher.send(2).await.expect("open");
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(batcher);
    worker.await.expect("worker");
    assert_eq!(
        *flushes.lock().expect("flushes"),
        [
            (Duration::from_millis(10), vec![1]),
            // Taken from the queue at 110 ms, when the flush ended.
            (Duration::from_millis(120), vec![2]),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn without_a_dead_letter_callback_failed_batches_are_counted() {
    let config = BatchConfig::new(2, Duration::from_millis(1))
        .capacity(0)
        .retry(RetryPolicy::exponential(Duration::from_millis(1)).max_attempts(2));
    assert_eq!(config.get_capacity(), 1, "capacity 0 is taken as 1");
    let (batcher, worker) = Batcher::new(config, |_| async { Err::<(), _>("down") });
    let worker = tokio::spawn(worker.run());
    for n in 0..5 {
        batcher.send(n).await.expect("open");
    }
    drop(batcher);
    let report = worker.await.expect("worker");
    assert_eq!(report.items_dead_lettered, 5);
    assert_eq!(report.batches_dead_lettered, 3);
    assert_eq!(report.items_flushed, 0);
    assert_eq!(report.flush_retries, 3, "one retry per batch");
}

#[tokio::test(start_paused = true)]
async fn batched_takes_zero_as_one_and_never_yields_an_empty_batch() {
    let batches: Vec<Vec<u8>> = futures_util::stream::iter(0..3_u8)
        .batched(0, Duration::ZERO)
        .collect()
        .await;
    assert_eq!(batches, [vec![0], vec![1], vec![2]]);
    let empty: Vec<Vec<u8>> = futures_util::stream::iter(Vec::<u8>::new())
        .batched(4, Duration::from_millis(1))
        .collect()
        .await;
    assert!(empty.is_empty());
}

#[tokio::test(start_paused = true)]
async fn shutdown_does_not_cancel_the_retries_of_a_failing_flush() {
    let token = CancellationToken::new();
    let attempts = Arc::new(AtomicU64::new(0));
    let counter = attempts.clone();
    let config = BatchConfig::new(1, Duration::ZERO)
        .retry(
            RetryPolicy::exponential(Duration::from_secs(1))
                .jitter(asyncwise::Jitter::None)
                .max_attempts(4),
        )
        .cancel_on(token.clone());
    let (batcher, worker) = Batcher::new(config, move |_| {
        // Fails three times, then succeeds.
        let attempt = counter.fetch_add(1, Ordering::SeqCst) + 1;
        async move { if attempt < 4 { Err("busy") } else { Ok(()) } }
    });
    let origin = Instant::now();
    let worker = tokio::spawn(worker.run());
    batcher.send(7).await.expect("open");
    tokio::time::sleep(Duration::from_millis(500)).await;
    token.cancel(); // during the first retry's sleep
    let report = worker.await.expect("worker");
    assert_eq!(report.items_flushed, 1);
    assert_eq!(report.flush_retries, 3);
    assert_eq!(attempts.load(Ordering::SeqCst), 4);
    // Sleeps of 1, 2 and 4 s, none cut short by the shutdown.
    assert_eq!(origin.elapsed(), Duration::from_secs(7));
}
