// Readings: an entering call and a leaving call in different arms of one `match` (or `if`/
// `else`) never run in one pass through the body: they handle different events, and nothing
// between them can skip one for the other. A leaving call in each of several arms after one
// await is one missing guard, reported once (at the first; `request` in left_on_error.rs),
// unless all of them are failure arms: then nothing leaves on success and the calls undo an
// entry that did not take.
use std::sync::atomic::{AtomicUsize, Ordering};

pub enum Event {
    Start(u32),
    Update(u32),
    End(u32),
}

pub struct Progress {
    active: AtomicUsize,
}

impl Progress {
    pub async fn handle(&self, event: Event, log: &Log) -> bool {
        match event {
            Event::Start(id) => {
                self.active.fetch_add(1, Ordering::Relaxed); // ok: its own event
                log.write(id).await;
            }
            Event::Update(id) => {
                if id == 0 {
                    return false; // ok: no state was entered on this path
                }
                log.write(id).await;
            }
            Event::End(id) => {
                log.write(id).await;
                self.active.fetch_sub(1, Ordering::Relaxed); // ok: another event's arm
            }
        }
        true
    }

    pub async fn store(&self, queue: &Queue, item: u32) -> Result<(), QueueError> {
        self.active.fetch_add(1, Ordering::Relaxed);
        let sent = queue.send(item).await;
        match sent {
            Ok(()) => Ok(()),
            Err(QueueError::Full) => {
                self.active.fetch_sub(1, Ordering::Relaxed); // ok: left only on a failure, never on success (left_on_error.rs)
                Err(QueueError::Full)
            }
            Err(e) => {
                self.active.fetch_sub(1, Ordering::Relaxed); // ok: the same
                Err(e)
            }
        }
    }
}
