fn run() -> u32 {
    7
}

#[tokio::main]
async fn main() {
    let n = run();
    tokio::spawn(async move { n }).await.ok();
}
