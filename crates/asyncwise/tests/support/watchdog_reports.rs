//! What the watchdog tests share: one watchdog per process (so tests run one at a time) and a
//! sink that records its reports.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use asyncwise::watchdog::{BlockedPoll, Phase, Watchdog};

static SERIAL: Mutex<()> = Mutex::new(());

/// Taken by every test (a plain test function, never across an `.await`): one watchdog runs
/// per process.
pub fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Every report a watchdog made, and whether one came while a poll was still blocking.
#[derive(Clone, Default)]
pub struct Reports {
    pub all: Arc<Mutex<Vec<BlockedPoll>>>,
    pub blocking_seen: Arc<AtomicBool>,
}

impl Reports {
    /// Starts a watchdog with `threshold` that reports here.
    pub fn watchdog(&self, threshold: Duration) -> Watchdog {
        let sink = self.clone();
        Watchdog::builder()
            .threshold(threshold)
            .on_blocked(move |report| {
                // Recorded before the flag is raised: a test that sees the flag and then takes
                // the reports finds this one.
                sink.all.lock().unwrap().push(report.clone());
                if report.phase == Phase::Blocking {
                    sink.blocking_seen.store(true, Ordering::SeqCst);
                }
            })
            .start()
            .unwrap()
    }

    /// The reports so far, emptying the list.
    pub fn take(&self) -> Vec<BlockedPoll> {
        std::mem::take(&mut *self.all.lock().unwrap())
    }
}
