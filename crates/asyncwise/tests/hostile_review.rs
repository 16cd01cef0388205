//! Promise audit of session 10 (`PROMISES.md`): the gaps session 9 left open
//! (a stream that is always ready under `batched`, which of a group and the
//! drain cuts a deaf task first on a multi-thread runtime, `ExitCode` as a
//! task's output), then a hostile review of every public item's docs. Each
//! test names the doc sentence it checks. No test depends on how fast the
//! machine is: time is paused, or the order of events is forced by explicit
//! synchronisation (a real-time duration then only decides how long a test
//! takes, never what it asserts).

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use asyncwise::{Shutdown, TaskError, TaskGroup, TaskInfo};
use futures_util::StreamExt;
use tokio::time::sleep;

fn names(tasks: &[TaskInfo]) -> Vec<&str> {
    tasks.iter().map(|task| task.name.as_ref()).collect()
}

/// Moves paused time forward inside a poll, without yielding: the first poll
/// of `tokio::time::advance` moves the clock, the rest of it only yields.
/// Stands for an upstream whose items take time to produce but are always
/// ready.
fn advance_inside_a_poll(by: Duration) {
    let mut advance = pin!(tokio::time::advance(by));
    let _ = advance
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()));
}

/// `batched` under an upstream that is never `Pending`.
mod batched {
    use super::*;
    use asyncwise::BatchedExt;

    /// 100 items, each taking 1 ms to produce and always ready.
    fn always_ready(count: u32) -> impl futures_core::Stream<Item = u32> {
        let mut next = 0;
        futures_util::stream::poll_fn(move |_| {
            if next == count {
                return Poll::Ready(None);
            }
            advance_inside_a_poll(Duration::from_millis(1));
            next += 1;
            Poll::Ready(Some(next - 1))
        })
    }

    /// `batched`: "Yields a batch ... when `max_delay` has passed since its first item
    /// arrived", with an upstream that always has an item ready: the batch ends with the
    /// first item that arrives once the delay has passed (item 0 at 1 ms, deadline 11 ms,
    /// item 10 at 11 ms), and the stream's end yields the rest. Before session 10 the
    /// deadline was looked at only when the upstream was `Pending`: one batch of 100.
    #[tokio::test(start_paused = true)]
    async fn an_always_ready_stream_still_ends_batches_at_the_deadline_and_loses_nothing() {
        let batches: Vec<Vec<u32>> = always_ready(100)
            .batched(usize::MAX, Duration::from_millis(10))
            .collect()
            .await;
        let sizes: Vec<usize> = batches.iter().map(Vec::len).collect();
        assert_eq!(sizes, [11, 11, 11, 11, 11, 11, 11, 11, 11, 1]);
        assert_eq!(batches.concat(), (0..100).collect::<Vec<_>>());
    }

    /// The same with a flooded Tokio channel, the common never-waiting upstream: its
    /// `recv` is `Pending` only when the task's cooperative budget is spent, and then the
    /// flush timer has no budget to fire either. Before session 10: one batch of 1000.
    #[tokio::test(start_paused = true)]
    async fn a_flooded_channel_does_not_starve_the_flush_timer() {
        let (tx, mut rx) = tokio::sync::mpsc::channel(1000);
        for n in 0..1000_u32 {
            tx.try_send(n).unwrap();
        }
        drop(tx);
        let flooded = futures_util::stream::poll_fn(move |cx| {
            let polled = rx.poll_recv(cx);
            if matches!(polled, Poll::Ready(Some(_))) {
                advance_inside_a_poll(Duration::from_millis(1));
            }
            polled
        });
        let batches: Vec<Vec<u32>> = flooded
            .batched(usize::MAX, Duration::from_millis(10))
            .collect()
            .await;
        assert!(
            batches.iter().all(|batch| batch.len() <= 11),
            "{:?}",
            batches.iter().map(Vec::len).collect::<Vec<_>>()
        );
        assert_eq!(batches.concat(), (0..1000).collect::<Vec<_>>());
    }

    /// `Duration::ZERO` "has passed when the first item arrives": one item per batch, even
    /// from an upstream whose items are all ready at once; `Duration::MAX` never ends a
    /// batch by time, only by size and at the stream's end.
    #[tokio::test(start_paused = true)]
    async fn zero_and_endless_delays_with_an_always_ready_stream() {
        let zero: Vec<Vec<u32>> = futures_util::stream::iter(0..5)
            .batched(100, Duration::ZERO)
            .collect()
            .await;
        assert_eq!(zero, [vec![0], vec![1], vec![2], vec![3], vec![4]]);
        let endless: Vec<Vec<u32>> = always_ready(25)
            .batched(10, Duration::MAX)
            .collect()
            .await;
        let sizes: Vec<usize> = endless.iter().map(Vec::len).collect();
        assert_eq!(sizes, [10, 10, 5]);
    }
}
