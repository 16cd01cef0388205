//! Session 15's hostile review of the resilience patterns (`retry`, `Backoff`, the circuit
//! breaker, the batcher, `batched`, `map_concurrent`) and of `spawn`'s `TaskOutput`: each test
//! quotes the sentence it checks and tries it where a hostile caller would: a send suspended by
//! Tokio's cooperative budget while the shutdown token fires, a future dropped at an await, a
//! closure that panics, a limit at its edge. Time is paused; the order of events is forced by
//! the single-threaded scheduler, never by the wall clock.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asyncwise::{BatchConfig, Batcher, CancellationToken};

mod batcher {
    use super::*;

    /// `Batcher::send`, "Errors": closed "when the batcher has shut down: its shutdown token
    /// fired (checked by the sender itself, also while it waits for room, so no send succeeds
    /// after the token fired)". A producer with plenty of room sends in a loop until its
    /// cooperative budget runs out: the send that finds the budget spent yields to the
    /// scheduler, the test cancels the token meanwhile, and that send must then fail with its
    /// item back, not return `Ok` after the token fired.
    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn a_send_suspended_by_the_cooperative_budget_fails_once_the_token_fired() {
        let token = CancellationToken::new();
        let config = BatchConfig::new(10_000, Duration::from_secs(60))
            .capacity(10_000)
            .cancel_on(token.clone());
        let (batcher, worker) = Batcher::new(config, |_| async { Ok::<_, String>(()) });
        let cancelled = Arc::new(AtomicBool::new(false));
        let accepted_after_cancel = Arc::new(Mutex::new(Vec::new()));
        let handed_back = Arc::new(AtomicUsize::new(0));
        let producer = {
            let cancelled = Arc::clone(&cancelled);
            let late = Arc::clone(&accepted_after_cancel);
            let handed_back = Arc::clone(&handed_back);
            tokio::spawn(async move {
                for n in 0..1_000_u32 {
                    match batcher.send(n).await {
                        Ok(()) if cancelled.load(Ordering::SeqCst) => late.lock().unwrap().push(n),
                        Ok(()) => {}
                        Err(closed) => {
                            assert_eq!(closed.0, n, "the refused item is handed back");
                            handed_back.fetch_add(1, Ordering::SeqCst);
                            return n;
                        }
                    }
                }
                1_000
            })
        };
        // The producer runs until its budget is spent and its next send yields.
        tokio::task::yield_now().await;
        token.cancel();
        cancelled.store(true, Ordering::SeqCst);
        let first_refused = producer.await.unwrap();
        assert!(first_refused < 1_000, "the producer never yielded");
        assert_eq!(
            *accepted_after_cancel.lock().unwrap(),
            Vec::<u32>::new(),
            "sends returned Ok after the token fired"
        );
        assert_eq!(handed_back.load(Ordering::SeqCst), 1);
        // Everything accepted before the token is flushed: nothing lost.
        let report = worker.run().await;
        assert_eq!(report.items_flushed, u64::from(first_refused));
    }
}

/// Our own futures dropped at each of their awaits, with `asyncwise::testing`.
mod dropped_at_each_await {
    use super::*;
    use asyncwise::testing::{cancel_at_each_await, traced};
    use asyncwise::{Batch, BreakerError, BreakerState, CircuitBreaker, FlushError, RetryPolicy};
    use futures_util::FutureExt;

    /// `Batcher`: "every accepted item ends up either flushed or handed to the dead-letter
    /// callback"; the worker's drop "dead-letters what it had accepted: the batch in flight, the
    /// batch being gathered and everything still queued". Seven items accepted, batches of
    /// three, each flush taking 10 ms and the second batch's first attempt failing (retried
    /// 1 ms later): the worker's `run` dropped at each of its suspensions (in a flush, in a
    /// retry's sleep, waiting for a batch to fill) must leave every item flushed or
    /// dead-lettered, none twice.
    #[tokio::test(start_paused = true)]
    async fn a_worker_dropped_at_any_await_accounts_for_every_item_once() {
        let report = cancel_at_each_await(
            || {
                let flushed: Arc<Mutex<Vec<u32>>> = Arc::default();
                let dead: Arc<Mutex<Vec<(u32, bool)>>> = Arc::default();
                let calls = Arc::new(AtomicUsize::new(0));
                let config = BatchConfig::new(3, Duration::from_millis(50))
                    .capacity(10)
                    .retry(
                        RetryPolicy::exponential(Duration::from_millis(1))
                            .jitter(asyncwise::Jitter::None)
                            .max_attempts(3),
                    );
                let sink = Arc::clone(&flushed);
                let (batcher, worker) = Batcher::new(config, move |batch: Batch<u32>| {
                    let sink = Arc::clone(&sink);
                    let call = calls.fetch_add(1, Ordering::SeqCst);
                    async move {
                        traced(tokio::time::sleep(Duration::from_millis(10))).await;
                        if call == 1 {
                            return Err("store busy");
                        }
                        sink.lock().unwrap().extend(batch.iter().copied());
                        Ok(())
                    }
                });
                let letters = Arc::clone(&dead);
                let worker = worker.dead_letter(move |batch, error| {
                    let cancelled = matches!(error, FlushError::Cancelled { .. });
                    letters
                        .lock()
                        .unwrap()
                        .extend(batch.iter().map(|&item| (item, cancelled)));
                });
                for item in 0..7 {
                    batcher.try_send(item).expect("room for seven");
                }
                drop(batcher);
                ((flushed, dead), worker.run())
            },
            |(flushed, dead), stage| {
                let mut seen: Vec<u32> = flushed.lock().unwrap().clone();
                seen.extend(dead.lock().unwrap().iter().map(|(item, _)| *item));
                seen.sort_unstable();
                if seen != (0..7).collect::<Vec<_>>() {
                    return Err(format!(
                        "flushed {:?}, dead-lettered {:?}",
                        flushed.lock().unwrap(),
                        dead.lock().unwrap()
                    ));
                }
                let completed = stage.suspension().is_none();
                if completed && !dead.lock().unwrap().is_empty() {
                    return Err("a completed run dead-lettered items".to_owned());
                }
                if dead.lock().unwrap().iter().any(|(_, cancelled)| !cancelled) {
                    return Err("an item dead-lettered for another reason than the drop".into());
                }
                Ok(())
            },
        )
        .await
        .unwrap_or_else(|error| panic!("{error}"));
        // Three flushes of 10 ms, the second's failed attempt and its 1 ms retry sleep.
        assert_eq!(report.suspensions, 5, "{report:?}");
    }

    /// `CircuitBreaker::call`: "A call dropped before it finished counts as neither success nor
    /// failure (and frees its trial slot)"; `half_open_trials`: "all of them must succeed to
    /// close the breaker". A future that trips the breaker, waits out the open second and makes
    /// the one trial call (10 ms): dropped at each await, the breaker is never closed by the
    /// dropped trial, and a call made right after the drop is never turned away for a taken
    /// slot (`retry_in` zero): it is admitted, or rejected only while the breaker is still open.
    #[tokio::test(start_paused = true)]
    async fn a_trial_dropped_at_any_await_frees_its_slot_and_decides_nothing() {
        let report = cancel_at_each_await(
            || {
                let breaker = CircuitBreaker::builder()
                    .consecutive_failures(1)
                    .open_for(Duration::from_secs(1))
                    .half_open_trials(1)
                    .build();
                let inner = breaker.clone();
                let future = async move {
                    let tripped = traced(inner.call(async { Err::<(), _>("down") })).await;
                    assert!(matches!(tripped, Err(BreakerError::Inner(_))));
                    traced(tokio::time::sleep(Duration::from_secs(1))).await;
                    traced(inner.call(async {
                        traced(tokio::time::sleep(Duration::from_millis(10))).await;
                        Ok::<_, &str>(())
                    }))
                    .await
                    .expect("the trial runs and succeeds");
                };
                (breaker, future)
            },
            |breaker, stage| {
                let state = breaker.state();
                if stage.suspension().is_none() {
                    return if state == BreakerState::Closed {
                        Ok(())
                    } else {
                        Err(format!("the trial succeeded but the breaker is {state:?}"))
                    };
                }
                match breaker
                    .call(async { Ok::<_, &str>(()) })
                    .now_or_never()
                    .expect("an admitted call with a ready operation finishes at once")
                {
                    Ok(()) => Ok(()),
                    Err(BreakerError::Open { retry_in }) if !retry_in.is_zero() => Ok(()),
                    other => Err(format!("{state:?}: the next call got {other:?}")),
                }
            },
        )
        .await
        .unwrap_or_else(|error| panic!("{error}"));
        // The open second and the trial's 10 ms (the failing call is ready at once).
        assert_eq!(report.suspensions, 2, "{report:?}");
    }
}

mod breaker_builder {
    use super::*;
    use asyncwise::{BreakerError, CircuitBreaker, Jitter, RetryPolicy};

    /// `BreakerBuilder::open_backoff`: "Makes successive open durations follow `policy` ...
    /// Replaces `open_for`" — also when `open_for` is called after it (the builder's other
    /// setters leave such an order unsaid; this one is now said: either order). Open durations
    /// 2 s, then 4 s, from the policy; the later `open_for(1 s)` changes nothing.
    #[tokio::test(start_paused = true)]
    async fn open_backoff_replaces_open_for_in_either_order() {
        let breaker = CircuitBreaker::builder()
            .consecutive_failures(1)
            .open_backoff(RetryPolicy::exponential(Duration::from_secs(2)).jitter(Jitter::None))
            .open_for(Duration::from_secs(1))
            .build();
        let fail = || breaker.call(async { Err::<(), _>("down") });
        assert!(matches!(fail().await, Err(BreakerError::Inner(_))));
        assert_eq!(
            fail().await,
            Err(BreakerError::Open {
                retry_in: Duration::from_secs(2)
            })
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(
            matches!(fail().await, Err(BreakerError::Inner(_))),
            "the trial ran"
        );
        assert_eq!(
            fail().await,
            Err(BreakerError::Open {
                retry_in: Duration::from_secs(4)
            })
        );
    }
}

/// The tower layer (`CircuitBreakerLayer`), which session 13's blind audit did not cover.
mod tower {
    use super::*;
    use ::tower_layer::Layer;
    use asyncwise::{BreakerError, BreakerState, CircuitBreaker, CircuitBreakerLayer};
    use futures_util::FutureExt;
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use tower_service::Service;

    /// A service whose request says how it behaves: 0 fails, 1 succeeds, 2 panics in `call`,
    /// 3 returns a future that panics when polled.
    #[derive(Clone)]
    struct Hostile;

    impl Service<u8> for Hostile {
        type Response = u8;
        type Error = &'static str;
        type Future = Pin<Box<dyn Future<Output = Result<u8, &'static str>> + Send>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, request: u8) -> Self::Future {
            match request {
                0 => Box::pin(async { Err("down") }),
                2 => panic!("call exploded"),
                3 => Box::pin(async { panic!("response exploded") }),
                n => Box::pin(async move { Ok(n) }),
            }
        }
    }

    /// `CircuitBreaker::call`: "A call dropped before it finished counts as neither success nor
    /// failure (and frees its trial slot); so does an operation that panics (the panic reaches
    /// the caller)", through `CircuitBreakerLayer` ("every service made by one layer shares the
    /// layer's breaker"): a half-open trial whose inner `call` panics, then one whose response
    /// future panics, each reach the caller, decide nothing and free the one trial slot; the
    /// next trial succeeds and closes the breaker.
    #[tokio::test(start_paused = true)]
    async fn a_trial_panicking_in_the_inner_service_frees_its_slot() {
        let breaker = CircuitBreaker::builder()
            .consecutive_failures(1)
            .open_for(Duration::from_secs(1))
            .half_open_trials(1)
            .build();
        let mut service = CircuitBreakerLayer::new(breaker.clone()).layer(Hostile);
        assert_eq!(service.call(0).await, Err(BreakerError::Inner("down")));
        tokio::time::sleep(Duration::from_secs(1)).await;
        let in_call = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| service.call(2)));
        assert!(
            in_call.is_err(),
            "the inner call's panic reaches the caller"
        );
        assert_eq!(breaker.state(), BreakerState::HalfOpen);
        let in_future = std::panic::AssertUnwindSafe(service.call(3))
            .catch_unwind()
            .await;
        assert!(
            in_future.is_err(),
            "the response future's panic reaches the caller"
        );
        assert_eq!(breaker.state(), BreakerState::HalfOpen);
        assert_eq!(service.call(1).await, Ok(1), "the slot was freed twice");
        assert_eq!(breaker.state(), BreakerState::Closed);
    }
}
