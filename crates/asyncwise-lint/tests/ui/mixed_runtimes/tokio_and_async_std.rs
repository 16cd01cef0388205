// mixed_runtimes in code (no manifest: the file alone): the first call into a second runtime.
async fn work() {}

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(work());
    async_std::task::block_on(work()); //~ mixed_runtimes
}
