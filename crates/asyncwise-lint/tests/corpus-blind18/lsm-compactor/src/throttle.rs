use std::time::Duration;

/// Keeps compaction I/O under `limit` bytes per second by sleeping after each chunk.
pub struct IoThrottle {
    pub bytes_per_sec: u64,
}

impl IoThrottle {
    pub fn pause_for(&self, bytes: u64) {
        if self.bytes_per_sec == 0 {
            return;
        }
        let micros = bytes * 1_000_000 / self.bytes_per_sec;
        std::thread::sleep(Duration::from_micros(micros));
    }

    pub fn delay_for(&self, bytes: u64) -> Duration {
        if self.bytes_per_sec == 0 {
            return Duration::ZERO;
        }
        Duration::from_micros(bytes * 1_000_000 / self.bytes_per_sec)
    }
}
