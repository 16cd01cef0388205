// A binary's `run` and the library's `run` are different crates' functions. The library's
// `commit` runs in a task, beside others: not code that runs alone.
fn run() {
    std::thread::sleep(std::time::Duration::from_millis(5));
}

#[tokio::main]
async fn main() {
    tokio::task::spawn_blocking(run).await.ok();
    let commit = tokio::spawn(async { cfg_module_files::commit(std::path::Path::new(".")).await });
    commit.await.ok();
}
