//! A crawler worker that reports what it is doing through gauges and flags.

pub mod driver;
pub mod guarded;
pub mod plugin;
pub mod work;

/// A health flag the `/ready` endpoint reads.
#[derive(Default)]
pub struct Flag(std::sync::atomic::AtomicBool);

impl Flag {
    pub fn set(&self, on: bool) {
        self.0.store(on, std::sync::atomic::Ordering::Release);
    }

    pub fn get(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Acquire)
    }
}
