#[tokio::main]
async fn main() -> std::io::Result<()> {
    taskq::daemon::run().await
}
