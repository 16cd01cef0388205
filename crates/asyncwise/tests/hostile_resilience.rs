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
