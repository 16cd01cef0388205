//! `OnError::Skip`'s promise that a skipped item is recorded as a `tracing`
//! debug event. In a test binary of its own, for the reason given in
//! `tests/circuit_breaker_tracing.rs` (a subscriber set for one thread
//! races with other tests registering the same callsite without one).

#[path = "support/captured_log.rs"]
mod captured_log;

use asyncwise::{OnError, PipelineExt};
use futures_util::StreamExt;

#[tokio::test(start_paused = true)]
async fn a_skipped_item_is_a_debug_event_with_its_index() {
    let (captured, _guard) = captured_log::capture(tracing::Level::DEBUG);
    let kept: Vec<_> = futures_util::stream::iter(0..5_u64)
        .map_concurrent(2, |n| async move {
            if n % 2 == 1 {
                Err(format!("odd {n}"))
            } else {
                Ok(n)
            }
        })
        .ordered()
        .on_error(OnError::Skip)
        .collect()
        .await;
    assert_eq!(kept, [Ok(0), Ok(2), Ok(4)]);
    // Unordered (the stage's other poll path): the same events.
    let mut kept: Vec<u64> = futures_util::stream::iter(0..5_u64)
        .map_concurrent(2, |n| async move {
            if n % 2 == 1 {
                Err(format!("odd {n}"))
            } else {
                Ok(n)
            }
        })
        .on_error(OnError::Skip)
        .map(|result| result.expect("failures are skipped"))
        .collect()
        .await;
    kept.sort_unstable();
    assert_eq!(kept, [0, 2, 4]);
    let text = captured.text();
    let skipped: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("pipeline item skipped"))
        .collect();
    assert_eq!(skipped.len(), 4, "{text}");
    assert!(skipped.iter().all(|line| line.contains("DEBUG")), "{text}");
    assert!(
        skipped[0].contains("index=1") && skipped[1].contains("index=3"),
        "{text}"
    );
    let mut unordered = [skipped[2], skipped[3]].map(|line| line.contains("index=1"));
    unordered.sort_unstable();
    assert_eq!(unordered, [false, true], "{text}");
    assert!(
        skipped[2].contains("index=3") || skipped[3].contains("index=3"),
        "{text}"
    );
}
