// A command-line program that does one thing after another: blocking here stalls no other task,
// so the blocking calls are the pedantic form. Except tokio's `blocking_*` methods: they panic
// when called within an asynchronous execution context (tokio's docs), so in async code they
// crash the program wherever it is, at start-up or in a serial command, directly or through a
// sync helper.
use tokio::sync::{Mutex, RwLock, mpsc};

struct Counters {
    hits: Mutex<u64>,
    names: RwLock<Vec<String>>,
}

fn current_hits(counters: &Counters) -> u64 {
    *counters.hits.blocking_lock()
}

// Only ever called from plain threads: no async context, nothing to report.
fn from_a_thread(counters: &Counters) -> usize {
    counters.names.blocking_read().len()
}

async fn report(counters: &Counters) {
    let hits = current_hits(counters); //~ blocking_in_async
    let names = counters.names.blocking_read(); //~ blocking_in_async
    let summary = std::fs::read_to_string("summary.txt").unwrap_or_default(); //~ blocking_in_async(pedantic)
    println!("{hits} {} {summary}", names.len());
}

#[tokio::main]
async fn main() {
    let counters = Counters {
        hits: Mutex::new(0),
        names: RwLock::new(Vec::new()),
    };
    let config = std::fs::read_to_string("config.toml").unwrap_or_default(); //~ blocking_in_async(pedantic)
    let (tx, mut rx) = mpsc::channel::<String>(1);
    tx.blocking_send(config).ok(); //~ blocking_in_async
    let _first = rx.blocking_recv(); //~ blocking_in_async
    report(&counters).await;
    let counters = std::sync::Arc::new(counters);
    let on_thread = std::sync::Arc::clone(&counters);
    std::thread::spawn(move || from_a_thread(&on_thread)).join().ok(); //~ blocking_in_async(pedantic)
}
