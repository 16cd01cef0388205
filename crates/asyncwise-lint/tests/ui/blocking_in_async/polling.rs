// blocking_in_async: a receive with a zero or near-zero constant timeout is a poll.
// `recv_timeout(Duration::from_nanos(1))` returns at once whether or not a message is there,
// exactly like `try_recv`; it never parks the worker thread, so it is not reported.
// Readings chosen: "near zero" is at most one microsecond, written as a literal constant
// (`Duration::ZERO`, `from_nanos(n <= 1000)`, `from_micros(0 | 1)`, `from_millis(0)`,
// `from_secs(0)`); any other timeout, or one computed at run time, is a wait and is reported.

use std::sync::mpsc::Receiver;
use std::time::Duration;

struct Frame(u8);

async fn drain_ui_updates(updates: Receiver<Frame>) -> Vec<Frame> {
    let mut frames = Vec::new();
    // ok: a 1 ns timeout polls the queue and returns at once
    while let Ok(frame) = updates.recv_timeout(Duration::from_nanos(1)) {
        frames.push(frame);
    }
    frames
}

async fn poll_once(updates: &Receiver<Frame>) -> Option<Frame> {
    updates.recv_timeout(Duration::ZERO).ok() // ok: a zero timeout is try_recv
}

async fn poll_micro(updates: &Receiver<Frame>) -> Option<Frame> {
    updates.recv_timeout(Duration::from_micros(1)).ok() // ok: one microsecond is a poll
}

async fn wait_a_bit(updates: &Receiver<Frame>) -> Option<Frame> {
    updates.recv_timeout(Duration::from_millis(50)).ok() //~ blocking_in_async
}

async fn wait_configured(updates: &Receiver<Frame>, patience: Duration) -> Option<Frame> {
    updates.recv_timeout(patience).ok() //~ blocking_in_async
}

async fn wait_seconds(updates: &Receiver<Frame>) -> Option<Frame> {
    updates.recv_timeout(Duration::from_secs(1)).ok() //~ blocking_in_async
}
