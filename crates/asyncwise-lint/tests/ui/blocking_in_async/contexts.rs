// blocking_in_async: which bodies are async contexts.
//
// Readings chosen where the issue is not explicit:
// - A sync closure bound with `let` inside an async body and called there runs inline: it is
//   async context (only closures handed to a known offloader are not).
// - `std::thread::scope` is an offloader (as the issue lists it): nothing inside its closure
//   is reported, although the scope's own closure runs on the calling thread.
// - Arguments of formatting macros (`println!`, `format!`) are expressions of the enclosing
//   body and are checked.

use std::path::{Path, PathBuf};
use std::time::Duration;

async fn sizes(paths: &[PathBuf]) -> Vec<u64> {
    paths
        .iter()
        .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)) //~ blocking_in_async(pedantic)
        .collect()
}

async fn existing(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    paths.into_iter().filter(|p| p.extension().is_some()).collect() // ok: no blocking call
}

async fn nested_closures(dirs: &[PathBuf]) -> usize {
    dirs.iter()
        .flat_map(|d| {
            d.ancestors()
                .map(|a| std::fs::read_dir(a).map(|r| r.count()).unwrap_or(0)) //~ blocking_in_async
                .collect::<Vec<_>>()
        })
        .sum()
}

async fn inline_let_closure(path: &Path) -> std::io::Result<Vec<u8>> {
    let load = |p: &Path| std::fs::read(p); //~ blocking_in_async
    load(path)
}

async fn with_helper(path: &Path) -> std::io::Result<String> {
    // A sync fn nested in an async fn is a sync context of its own.
    fn parse_file(p: &Path) -> std::io::Result<String> {
        std::fs::read_to_string(p) // ok: nested sync fn
    }
    let _ = parse_file;
    tokio::fs::read_to_string(path).await // ok: tokio::fs
}

fn make_task(path: PathBuf) -> impl std::future::Future<Output = std::io::Result<Vec<u8>>> {
    async move {
        std::fs::read(&path) //~ blocking_in_async
    }
}

fn sync_outer(path: &Path) -> std::io::Result<Vec<u8>> {
    let _fut = async {
        std::thread::sleep(Duration::from_millis(1)); //~ blocking_in_async
    };
    std::fs::read(path) // ok: sync fn body
}

async fn async_closures(paths: Vec<PathBuf>) {
    let read = async |p: PathBuf| std::fs::read(p); //~ blocking_in_async
    let read_ok = async move |p: PathBuf| tokio::fs::read(p).await; // ok: tokio::fs
    for p in paths {
        let _ = read(p.clone()).await;
        let _ = read_ok(p).await;
    }
}

async fn offloaded(path: PathBuf) -> std::io::Result<Vec<u8>> {
    let p = path.clone();
    let bytes = tokio::task::spawn_blocking(move || std::fs::read(&p)).await??; // ok: spawn_blocking
    let _n = tokio::task::block_in_place(|| std::fs::metadata(&path).map(|m| m.len())); // ok: block_in_place
    // ok: the watchdog's block_in_place, which also tells the watchdog not to report the poll
    let _m = asyncwise::watchdog::block_in_place(|| std::fs::read(&path));
    let p2 = path.clone();
    let worker = std::thread::spawn(move || { // ok: std::thread::spawn returns at once
        std::thread::sleep(Duration::from_millis(50)); // ok: on its own thread
        std::fs::read(&p2) // ok: on its own thread
    });
    let _ = worker;
    let named = std::thread::Builder::new().name("indexer".into()).spawn(move || { // ok: Builder::spawn
        std::fs::read_dir("/var/lib/index").map(|d| d.count()) // ok: on its own thread
    });
    let _ = named;
    Ok(bytes)
}

async fn scoped(chunks: &[PathBuf]) {
    std::thread::scope(|s| {
        for c in chunks {
            s.spawn(move || std::fs::read(c)); // ok: scoped thread
        }
        std::fs::write("/tmp/marker", b"done").ok(); // ok: inside std::thread::scope (offloader)
    });
}

async fn other_offloaders(path: PathBuf) {
    let p = path.clone();
    rayon::spawn(move || {
        let _ = std::fs::read(&p); // ok: rayon::spawn
    });
    // The closures run on rayon's pool, but `join` and `scope` return only when they are done:
    // the call waits (see `parallel_jobs.rs`); the blocking calls inside are not reported.
    let (_a, _b) = rayon::join(|| std::fs::read("a"), || std::fs::read("b")); //~ blocking_in_async
    rayon::scope(|s| { //~ blocking_in_async
        s.spawn(|_| std::thread::sleep(Duration::from_millis(1))); // ok: inside rayon::scope
    });
    let p = path.clone();
    let _ = async_std::task::spawn_blocking(move || std::fs::read(p)).await; // ok: async_std spawn_blocking //~ mixed_runtimes
    let p = path.clone();
    let _ = smol::unblock(move || std::fs::read(p)).await; // ok: smol::unblock
    let _ = blocking::unblock(move || std::fs::read(path)).await; // ok: blocking::unblock
}

async fn offloaded_then_inline(path: PathBuf) -> std::io::Result<()> {
    let p = path.clone();
    tokio::task::spawn_blocking(move || std::fs::remove_file(p)).await??; // ok: spawn_blocking
    std::fs::remove_file(&path)?; //~ blocking_in_async(pedantic)
    Ok(())
}

async fn in_spawned_task(path: PathBuf) {
    let h = tokio::spawn(async move {
        std::fs::read_to_string(&path).unwrap_or_default() //~ blocking_in_async
    });
    let _ = h.await;
}

async fn in_format_macro(path: &Path) -> std::io::Result<()> {
    println!("{}", std::fs::read_to_string(path)?); //~ blocking_in_async
    Ok(())
}

trait Store {
    async fn load(&self, key: &str) -> std::io::Result<Vec<u8>>;
    fn load_sync(&self, key: &str) -> std::io::Result<Vec<u8>>;
}

struct DiskStore {
    root: PathBuf,
}

impl Store for DiskStore {
    async fn load(&self, key: &str) -> std::io::Result<Vec<u8>> {
        std::fs::read(self.root.join(key)) //~ blocking_in_async
    }

    fn load_sync(&self, key: &str) -> std::io::Result<Vec<u8>> {
        std::fs::read(self.root.join(key)) // ok: sync method
    }
}

#[tokio::test]
async fn reads_fixture() {
    let data = std::fs::read("tests/data/fixture.json").unwrap(); //~ blocking_in_async
    assert!(!data.is_empty());
}

#[test]
fn reads_fixture_sync() {
    let data = std::fs::read("tests/data/fixture.json").unwrap(); // ok: sync test
    assert!(!data.is_empty());
}

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        std::thread::sleep(Duration::from_millis(1)); //~ blocking_in_async
    });
    std::thread::sleep(Duration::from_millis(1)); // ok: fn main is sync
}
