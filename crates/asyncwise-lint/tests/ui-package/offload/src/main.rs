// A helper called from spawn_blocking, from a thread, from sync code, and from async code:
// only the async call is reported. A helper called only from sync code is never reported.
use std::io::Read;

fn load(path: &str) -> Vec<u8> {
    let mut out = Vec::new();
    if let Ok(mut f) = std::fs::File::open(path) {
        f.read_to_end(&mut out).ok();
    }
    out
}

fn only_sync() {
    std::thread::sleep(std::time::Duration::from_secs(1));
}

fn offloads_itself(path: String) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || load(&path))
}

fn main() {
    only_sync();
    load("a");
}

async fn serve() {
    let _ = tokio::task::spawn_blocking(|| load("a")).await; // ok: offloaded
    let _ = std::thread::spawn(|| load("b")); // ok: another thread
    offloads_itself("c".into()); // ok: the helper only starts a thread
    load("d"); //~ blocking_in_async(pedantic)
    let f = async { load("e") }; //~ blocking_in_async(pedantic)
    f.await;
}
