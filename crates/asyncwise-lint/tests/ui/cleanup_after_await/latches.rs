// Readings: a latch — state entered only behind a check of its own value
// (`if gate.load(..) == 0 { gate.fetch_add(..) }`) and left only behind another such check — is
// shared by every caller and reset by whichever one sees it held, so the scope that raised it
// does not own it: not reported. A pair with only one of its two calls behind a check of the
// receiver, or behind a check of something else, is an ordinary pair: reported.
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

static MENU_GATE: AtomicUsize = AtomicUsize::new(0);
static PAUSED: AtomicBool = AtomicBool::new(false);

struct Scanner {
    active: AtomicUsize,
    draining: AtomicBool,
    limit: usize,
}

async fn wait_while_paused(ticker: &mut Ticker) {
    // ok: the first caller to see the gate free raises it; whichever caller later sees it held
    // lowers it
    if MENU_GATE.load(Ordering::Relaxed) == 0 {
        MENU_GATE.fetch_add(1, Ordering::Relaxed);
        show_menu().await;
    }
    loop {
        ticker.tick().await;
        if !PAUSED.load(Ordering::Acquire) {
            if MENU_GATE.load(Ordering::Relaxed) == 1 {
                MENU_GATE.fetch_sub(1, Ordering::Relaxed);
            }
            return;
        }
    }
}

async fn first_drainer(s: &Scanner) {
    // ok: a flag set only if unset and cleared only if set, as a latch (an `else` branch is
    // behind the same check)
    if s.draining.load(Ordering::Acquire) {
        log_skip();
    } else {
        s.draining.store(true, Ordering::Release);
    }
    drain_queue().await;
    if s.draining.load(Ordering::Acquire) {
        s.draining.store(false, Ordering::Release);
    }
}

impl Scanner {
    pub async fn scan_one(&self, url: &str) {
        // the entry is checked, but the exit is the scope's own: a cancelled scan leaks a slot
        if self.active.load(Ordering::Relaxed) < self.limit {
            self.active.fetch_add(1, Ordering::Relaxed);
        }
        fetch(url).await;
        self.active.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await
    }

    pub async fn scan_logged(&self, url: &str, verbose: bool) {
        self.active.fetch_add(1, Ordering::Relaxed);
        fetch(url).await;
        // the exit is checked, but the entry was unconditional: still this scope's pair
        if self.active.load(Ordering::Relaxed) > 0 {
            self.active.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await
        }
        if verbose {
            log_skip();
        }
    }

    pub async fn scan_if_allowed(&self, url: &str, allowed: &AtomicBool) {
        // both calls sit behind checks, but of another value: an ordinary pair
        if allowed.load(Ordering::Relaxed) {
            self.active.fetch_add(1, Ordering::Relaxed);
        }
        fetch(url).await;
        if allowed.load(Ordering::Relaxed) {
            self.active.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await
        }
    }

    pub async fn mark_busy(&self, url: &str) {
        if !self.draining.load(Ordering::Acquire) {
            self.draining.store(true, Ordering::Release);
        }
        fetch(url).await;
        self.draining.store(false, Ordering::Release); //~ cleanup_after_await(pedantic)
    }
}
