//! Where a run's time goes: with `ASYNCWISE_TIMINGS` set in the environment, each stage of a
//! check prints, on stderr, the milliseconds since the first mark of the process and its name
//! (`T    9.159 ms discovered`). Off, a mark costs one load of a flag; the benchmark
//! (`scripts/bench.sh`) uses it to break a warm run down by stage.
//!
//! ```
//! // Without the variable set (as in this test), marks print nothing.
//! asyncwise_lint::timing::mark("start");
//! asyncwise_lint::timing::mark("done");
//! ```

use std::sync::OnceLock;
use std::time::Instant;

/// The environment variable that turns the marks on.
pub const ENV: &str = "ASYNCWISE_TIMINGS";

/// Records that `stage` has just finished (the first mark of the process starts the clock).
pub fn mark(stage: &str) {
    static START: OnceLock<Option<Instant>> = OnceLock::new();
    let start = START.get_or_init(|| std::env::var_os(ENV).map(|_| Instant::now()));
    if let Some(start) = start {
        eprintln!(
            "T {:8.3} ms {stage}",
            start.elapsed().as_secs_f64() * 1000.0
        );
    }
}
