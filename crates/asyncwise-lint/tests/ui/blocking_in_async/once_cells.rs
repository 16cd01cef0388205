// Blocking work in the initialiser of a `static` once-cell runs once per process, the first
// time anything asks for the value: the pedantic form, however often the asking code runs.
// Readings: a receiver named in SCREAMING_CASE is a static (rustc's `non_upper_case_globals`);
// a cell in a field or a local may be one per connection and stays default; a helper that
// blocks only inside such an initialiser is the pedantic form where async code calls it.
use axum::extract::State;
use std::sync::{Once, OnceLock};

static KEYS: OnceLock<Vec<u8>> = OnceLock::new();
static LOG: Once = Once::new();

struct App {
    banner: OnceLock<String>,
}

fn server_keys() -> &'static [u8] {
    KEYS.get_or_init(|| std::fs::read("server.key").unwrap_or_default())
}

pub async fn handshake(State(app): State<App>) -> usize {
    let keys = server_keys(); //~ blocking_in_async(pedantic)
    let peers = KEYS.get_or_init(|| std::fs::read("peers.key").unwrap_or_default()); //~ blocking_in_async(pedantic)
    LOG.call_once(|| {
        std::fs::create_dir_all("logs").ok(); //~ blocking_in_async(pedantic)
        std::thread::sleep(std::time::Duration::from_millis(5)); //~ blocking_in_async(pedantic)
    });
    // a cell per value: may run once per connection
    let banner = app.banner.get_or_init(|| std::fs::read_to_string("banner.txt").unwrap_or_default()); //~ blocking_in_async
    let mut local = OnceLock::new();
    let _ = local.get_or_init(|| std::thread::sleep(std::time::Duration::from_millis(5))); //~ blocking_in_async
    drop(&mut local);
    // a map's `get_or_insert_with` runs once per key, not once per process
    let mut cache = std::collections::HashMap::new();
    cache.entry(1).or_insert_with(|| std::thread::sleep(std::time::Duration::from_millis(5))); //~ blocking_in_async
    keys.len() + peers.len() + banner.len()
}
