// Regressions from running over real crates (tokio, async-std, mini-redis): shapes that are
// not blocking the executor, next to ones that are.
use std::io;
use std::path::{Path, PathBuf};

// A crate's own offloading helper: the closure is handed to a function whose result is awaited,
// so it runs wherever that future sends it (tokio's `fs::asyncify`).
async fn asyncify<F, T>(f: F) -> io::Result<T>
where
    F: FnOnce() -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(res) => res,
        Err(_) => Err(io::Error::new(io::ErrorKind::Other, "background task failed")),
    }
}

pub async fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::read(path)).await // ok: offloaded through the awaited helper
}

pub async fn metadata(path: PathBuf) -> io::Result<std::fs::Metadata> {
    // ok: a crate-local `spawn_blocking` (async-std's `crate::task::spawn_blocking`)
    crate::task::spawn_blocking(move || std::fs::metadata(path)).await
}

pub async fn spawn_thread() {
    // ok: tokio's loom shim around `std::thread::spawn`: a sync closure given to `spawn`
    crate::loom::thread::spawn(|| {
        std::thread::sleep(std::time::Duration::from_millis(5));
    });
}

pub async fn create_dirs(path: &Path, recursive: bool) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new(); // ok: a constructor, not file-system access
    builder.recursive(recursive);
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || builder.create(path)).await?
}

pub async fn config(path: &Path) -> io::Result<String> {
    std::fs::read_to_string(path) //~ blocking_in_async
}

pub async fn wait_for_server(handle: std::thread::JoinHandle<()>) {
    handle.join().unwrap(); //~ blocking_in_async
}

pub async fn spawn_and_join() {
    std::thread::spawn(move || { //~ blocking_in_async
        std::thread::sleep(std::time::Duration::from_millis(5)); // ok: runs on its own thread
    })
    .join()
    .unwrap();
}

// electrum-client (also re-exported by bdk 0.x) is a synchronous JSON-RPC client: each call is
// a round trip on this thread, and a bdk wallet's `sync` makes many.
pub struct ElectrumWallet {
    electrum: bdk::electrum_client::Client,
    wallet: bdk::Wallet<bdk::database::MemoryDatabase>,
    blockchain: bdk::blockchain::ElectrumBlockchain,
}

impl ElectrumWallet {
    pub async fn history(&self, script: &bdk::bitcoin::Script) -> usize {
        self.electrum.script_get_history(script).map(|h| h.len()).unwrap_or(0) //~ blocking_in_async
    }

    pub async fn sync(&self) {
        let _ = self.wallet.sync(&self.blockchain, bdk::SyncOptions::default()); //~ blocking_in_async
    }

    pub async fn offloaded(client: std::sync::Arc<electrum_client::Client>) {
        // ok: the round trip runs on the blocking pool
        let _ = tokio::task::spawn_blocking(move || client.relay_fee()).await;
    }
}
