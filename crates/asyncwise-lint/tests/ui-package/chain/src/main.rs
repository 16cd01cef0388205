// Chains three functions deep across two files: install -> copy_files -> std::fs::copy.
mod setup;

use setup::install;

fn main() {
    install("/opt/app"); // ok: sync caller
}

async fn deploy(root: &str) {
    install(root); //~ blocking_in_async(pedantic)
    setup::install(root); //~ blocking_in_async(pedantic)
    crate::setup::checksum(root); // ok: checksum does not block
    tokio::task::spawn_blocking(move || install("/opt/app")); // ok: offloaded
    let _ = std::thread::spawn(|| setup::install("/srv")); // ok: on its own thread
    setup::prepare().await; // ok: an async fn (its own body is judged where it is)
}

async fn later(root: String) {
    let run = move || install(&root); // ok: stored closure, runs who knows where
    tokio::task::spawn_blocking(run);
}

async fn inline(roots: Vec<String>) {
    roots.iter().for_each(|r| install(r)); //~ blocking_in_async(pedantic)
}

struct Server;

impl Server {
    // A set-up function runs once: a helper that blocks there is the pedantic form, as the
    // same blocking call made there directly would be.
    async fn new(root: &str) -> Server {
        install(root); //~ blocking_in_async(pedantic)
        for r in ["/a", "/b"] {
            install(r); //~ blocking_in_async(pedantic)
        }
        Server
    }
}
