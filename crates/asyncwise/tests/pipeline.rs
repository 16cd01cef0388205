//! `map_concurrent`: the in-flight bound under a slow consumer (property
//! test), order, concurrency, timeouts and the error policies.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asyncwise::{OnError, PipelineExt, StageError, StageErrorKind};
use futures_util::StreamExt;
use proptest::prelude::*;
use tokio::time::{Instant, sleep};

fn paused_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime")
}

proptest! {
    #[test]
    fn items_held_never_exceed_the_limit_with_a_slow_consumer(
        limit in 1_usize..12,
        ordered in any::<bool>(),
        work_ms in proptest::collection::vec(0_u64..50, 1..60),
        consumer_ms in proptest::collection::vec(0_u64..80, 1..20),
        fail_every in 0_u64..6,
    ) {
        let items = work_ms.len() as u64;
        let pulled = Arc::new(AtomicU64::new(0));
        let released = Arc::new(AtomicU64::new(0));
        let max_held = Arc::new(AtomicU64::new(0));
        let running = Arc::new(AtomicUsize::new(0));
        let max_running = Arc::new(AtomicUsize::new(0));
        let yielded = paused_runtime().block_on({
            let (pulled, released, max_held) = (pulled.clone(), released.clone(), max_held.clone());
            let (running, max_running) = (running.clone(), max_running.clone());
            async move {
                let source = futures_util::stream::iter(0..items).inspect({
                    let (pulled, released, max_held) = (pulled.clone(), released.clone(), max_held.clone());
                    move |_| {
                        let held = pulled.fetch_add(1, Ordering::SeqCst) + 1 - released.load(Ordering::SeqCst);
                        max_held.fetch_max(held, Ordering::SeqCst);
                    }
                });
                let dead_released = released.clone();
                let mut stage = source
                    .map_concurrent(limit, move |n| {
                        let work = Duration::from_millis(work_ms[n as usize]);
                        let (running, max_running) = (running.clone(), max_running.clone());
                        async move {
                            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                            max_running.fetch_max(now, Ordering::SeqCst);
                            sleep(work).await;
                            running.fetch_sub(1, Ordering::SeqCst);
                            if fail_every > 0 && n % fail_every == 0 { Err(n) } else { Ok(n) }
                        }
                    })
                    .on_error(OnError::dead_letter(move |_| {
                        dead_released.fetch_add(1, Ordering::SeqCst);
                    }));
                if ordered {
                    stage = stage.ordered();
                }
                let mut stage = std::pin::pin!(stage);
                let mut yielded = Vec::new();
                while let Some(result) = stage.next().await {
                    let n = result.expect("errors go to the dead-letter sink");
                    released.fetch_add(1, Ordering::SeqCst);
                    yielded.push(n);
                    // A slow consumer.
                    sleep(Duration::from_millis(consumer_ms[yielded.len() % consumer_ms.len()])).await;
                }
                yielded
            }
        });
        prop_assert!(max_held.load(Ordering::SeqCst) <= limit as u64);
        prop_assert!(max_running.load(Ordering::SeqCst) <= limit);
        let expected: Vec<u64> = (0..items)
            .filter(|n| fail_every == 0 || n % fail_every != 0)
            .collect();
        let mut sorted = yielded.clone();
        sorted.sort_unstable();
        prop_assert_eq!(&sorted, &expected);
        if ordered {
            prop_assert_eq!(yielded, expected);
        }
        prop_assert_eq!(released.load(Ordering::SeqCst), items);
    }
}

#[tokio::test(start_paused = true)]
async fn runs_limit_items_at_once() {
    let origin = Instant::now();
    let out: Vec<_> = futures_util::stream::iter(0..10_u64)
        .map_concurrent(5, |n| async move {
            sleep(Duration::from_secs(1)).await;
            Ok::<_, String>(n)
        })
        .collect()
        .await;
    assert_eq!(out.len(), 10);
    // Two waves of five.
    assert_eq!(origin.elapsed(), Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn unordered_yields_in_completion_order_and_ordered_in_input_order() {
    let work = [30_u64, 10, 20];
    let stage = |ordered: bool| {
        let stage = futures_util::stream::iter(work).map_concurrent(3, |ms| async move {
            sleep(Duration::from_millis(ms)).await;
            Ok::<_, String>(ms)
        });
        let stage = if ordered { stage.ordered() } else { stage };
        stage.map(Result::unwrap).collect::<Vec<_>>()
    };
    assert_eq!(stage(false).await, [10, 20, 30]);
    assert_eq!(stage(true).await, [30, 10, 20]);
}

#[tokio::test(start_paused = true)]
async fn stop_yields_the_first_error_and_ends() {
    let started = Arc::new(Mutex::new(Vec::new()));
    let log = started.clone();
    let out: Vec<_> = futures_util::stream::iter(0..100_u64)
        .map_concurrent(2, move |n| {
            log.lock().expect("log").push(n);
            async move {
                sleep(Duration::from_millis(10)).await;
                if n == 3 { Err("broken") } else { Ok(n) }
            }
        })
        .ordered()
        .collect()
        .await;
    assert_eq!(
        out,
        [
            Ok(0),
            Ok(1),
            Ok(2),
            Err(Box::new(StageError {
                index: 3,
                kind: StageErrorKind::Failed("broken")
            }))
        ]
    );
    // Nothing far beyond the failure was started.
    assert!(started.lock().expect("log").len() <= 6);
}

#[tokio::test(start_paused = true)]
async fn skip_drops_failed_and_timed_out_items() {
    let out: Vec<_> = futures_util::stream::iter(0..6_u64)
        .map_concurrent(6, |n| async move {
            sleep(Duration::from_secs(n)).await;
            if n == 2 { Err("bad") } else { Ok(n) }
        })
        .item_timeout(Duration::from_millis(3_500))
        .on_error(OnError::Skip)
        .map(Result::unwrap)
        .collect()
        .await;
    assert_eq!(out, [0, 1, 3]);
}

#[tokio::test(start_paused = true)]
async fn timeouts_go_to_the_dead_letter_sink_with_their_index() {
    let dead = Arc::new(Mutex::new(Vec::new()));
    let sink = dead.clone();
    let origin = Instant::now();
    let out: Vec<_> = futures_util::stream::iter([1_u64, 10, 2, 20])
        .map_concurrent(2, |secs| async move {
            sleep(Duration::from_secs(secs)).await;
            Ok::<_, String>(secs)
        })
        .item_timeout(Duration::from_secs(5))
        .on_error(OnError::dead_letter(move |err| {
            sink.lock().expect("dead").push(err);
        }))
        .ordered()
        .map(Result::unwrap)
        .collect()
        .await;
    assert_eq!(out, [1, 2]);
    let dead = dead.lock().expect("dead");
    let indexes: Vec<_> = dead.iter().map(|e| e.index).collect();
    assert_eq!(indexes, [1, 3]);
    assert!(
        dead.iter()
            .all(|e| e.kind == StageErrorKind::TimedOut(Duration::from_secs(5)))
    );
    // Item 2 finishes at 3 s but, output being ordered, waits for item 1 and
    // keeps its slot; item 1 times out at 5 s, so item 3 starts only then and
    // times out at 10 s.
    assert_eq!(origin.elapsed(), Duration::from_secs(10));
}

proptest! {
    #[test]
    fn with_a_timeout_every_item_is_yielded_or_dead_lettered_once_and_held_stays_bounded(
        limit in 1_usize..8,
        ordered in any::<bool>(),
        work_ms in proptest::collection::vec(0_u64..60, 1..40),
        timeout_ms in 1_u64..50,
        consumer_ms in 0_u64..20,
    ) {
        let items = work_ms.len() as u64;
        let running = Arc::new(AtomicUsize::new(0));
        let max_running = Arc::new(AtomicUsize::new(0));
        let dead = Arc::new(Mutex::new(Vec::new()));
        let (yielded, max_held) = paused_runtime().block_on({
            let (running, max_running, dead) = (running.clone(), max_running.clone(), dead.clone());
            async move {
                let stage = futures_util::stream::iter(0..items)
                    .map_concurrent(limit, move |n| {
                        let work = Duration::from_millis(work_ms[n as usize]);
                        let guard = RunningGuard::enter(running.clone(), &max_running);
                        async move {
                            let _guard = guard;
                            sleep(work).await;
                            Ok::<_, String>(n)
                        }
                    })
                    .item_timeout(Duration::from_millis(timeout_ms))
                    .on_error(OnError::dead_letter(move |err| {
                        dead.lock().expect("dead").push(err);
                    }));
                let stage = if ordered { stage.ordered() } else { stage };
                let mut stage = std::pin::pin!(stage);
                let mut yielded = Vec::new();
                let mut max_held = 0;
                while let Some(result) = stage.next().await {
                    max_held = max_held.max(stage.held() + 1);
                    yielded.push(result.expect("errors go to the sink"));
                    sleep(Duration::from_millis(consumer_ms)).await;
                }
                (yielded, max_held)
            }
        });
        prop_assert!(max_held <= limit);
        // A timed-out item's future is dropped: nothing is left running.
        prop_assert_eq!(running.load(Ordering::SeqCst), 0);
        prop_assert!(max_running.load(Ordering::SeqCst) <= limit);
        let dead = dead.lock().expect("dead");
        prop_assert!(dead.iter().all(|e| e.kind == StageErrorKind::TimedOut(Duration::from_millis(timeout_ms))));
        let mut all: Vec<u64> = yielded.iter().copied().chain(dead.iter().map(|e| e.index)).collect();
        all.sort_unstable();
        prop_assert_eq!(all, (0..items).collect::<Vec<_>>());
        if ordered {
            prop_assert!(yielded.windows(2).all(|w| w[0] < w[1]));
        }
    }
}

/// Counts futures alive (created and not yet dropped).
struct RunningGuard(Arc<AtomicUsize>);

impl RunningGuard {
    fn enter(running: Arc<AtomicUsize>, max: &AtomicUsize) -> Self {
        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
        max.fetch_max(now, Ordering::SeqCst);
        RunningGuard(running)
    }
}

impl Drop for RunningGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[tokio::test(start_paused = true)]
async fn stop_drops_the_items_in_flight_and_the_stream_stays_ended() {
    let alive = Arc::new(AtomicUsize::new(0));
    let max = AtomicUsize::new(0);
    let pulled = Arc::new(AtomicU64::new(0));
    let source = futures_util::stream::iter(0..100_u64).inspect({
        let pulled = pulled.clone();
        move |_| {
            pulled.fetch_add(1, Ordering::SeqCst);
        }
    });
    let mut stage = std::pin::pin!(source.map_concurrent(4, |n| {
        let guard = RunningGuard::enter(alive.clone(), &max);
        async move {
            let _guard = guard;
            if n == 1 {
                return Err("broken");
            }
            sleep(Duration::from_secs(60)).await;
            Ok(n)
        }
    }));
    let first = stage.next().await.expect("an item");
    assert_eq!(
        first,
        Err(Box::new(StageError {
            index: 1,
            kind: StageErrorKind::Failed("broken")
        }))
    );
    assert_eq!(alive.load(Ordering::SeqCst), 0, "items in flight dropped");
    assert_eq!(stage.held(), 0);
    assert_eq!(stage.next().await, None);
    assert_eq!(stage.next().await, None, "stays ended");
    assert_eq!(
        pulled.load(Ordering::SeqCst),
        4,
        "nothing pulled after the stop"
    );
}

#[tokio::test(start_paused = true)]
async fn limit_zero_is_one_and_nothing_is_pulled_before_the_first_poll() {
    let pulled = Arc::new(AtomicU64::new(0));
    let source = futures_util::stream::iter(0..3_u64).inspect({
        let pulled = pulled.clone();
        move |_| {
            pulled.fetch_add(1, Ordering::SeqCst);
        }
    });
    let origin = Instant::now();
    let stage = source.map_concurrent(0, |n| async move {
        sleep(Duration::from_secs(1)).await;
        Ok::<_, String>(n)
    });
    assert_eq!(pulled.load(Ordering::SeqCst), 0);
    let out: Vec<_> = stage.map(Result::unwrap).collect().await;
    assert_eq!(out, [0, 1, 2]);
    // One at a time.
    assert_eq!(origin.elapsed(), Duration::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn a_timeout_set_after_items_started_applies_to_later_items() {
    let origin = Instant::now();
    let mut stage =
        futures_util::stream::iter([5_u64, 1, 5, 1]).map_concurrent(2, |secs| async move {
            sleep(Duration::from_secs(secs)).await;
            Ok::<_, String>(secs)
        });
    // The stage is `Unpin` here, so it can be polled, then configured.
    assert_eq!(stage.next().await, Some(Ok(1)));
    assert_eq!(stage.held(), 1, "item 0 runs, started without a timeout");
    let rest: Vec<_> = stage
        .item_timeout(Duration::from_secs(2))
        .on_error(OnError::Skip)
        .collect()
        .await;
    // Item 2 (5 s) starts at 1 s with the timeout and is dropped at 3 s;
    // item 3 then runs 3..4 s; item 0 is not cut and ends at 5 s.
    assert_eq!(rest, [Ok(1), Ok(5)]);
    assert_eq!(origin.elapsed(), Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn ordered_after_items_were_yielded_orders_the_later_items_and_loses_none() {
    let mut stage =
        futures_util::stream::iter([4_u64, 1, 3, 1, 2]).map_concurrent(2, |secs| async move {
            sleep(Duration::from_secs(secs)).await;
            Ok::<_, String>(secs)
        });
    // Unordered so far: item 1 (1 s) overtakes item 0 (4 s).
    assert_eq!(stage.next().await, Some(Ok(1)));
    let rest = tokio::time::timeout(Duration::from_secs(60), stage.ordered().collect::<Vec<_>>())
        .await
        .expect("every item is yielded after `ordered()`; none waits for an index already out");
    // Item 0, started before the call, comes out when it finishes; the items taken from
    // the call on (2, 3, 4) come out in input order among themselves.
    let mut values: Vec<u64> = rest.into_iter().map(Result::unwrap).collect();
    assert_eq!(values.len(), 4, "items 0, 2, 3 and 4 all come out");
    let started_before = values.iter().position(|&v| v == 4).expect("item 0");
    values.remove(started_before);
    assert_eq!(
        values,
        [3, 1, 2],
        "items taken after `ordered()` keep input order"
    );
}
