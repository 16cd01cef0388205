// A binary's `run` and the library's `run` are different crates' functions.
fn run() {
    std::thread::sleep(std::time::Duration::from_millis(5));
}

#[tokio::main]
async fn main() {
    tokio::task::spawn_blocking(run).await.ok();
    cfg_module_files::commit(std::path::Path::new(".")).await.ok();
}
