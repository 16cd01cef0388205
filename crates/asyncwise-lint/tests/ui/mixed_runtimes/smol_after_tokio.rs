// mixed_runtimes: tokio spawns, then smol runs a future.
async fn work() {}

async fn serve() {
    tokio::spawn(work());
}

fn main() {
    smol::block_on(serve()); //~ mixed_runtimes
}
