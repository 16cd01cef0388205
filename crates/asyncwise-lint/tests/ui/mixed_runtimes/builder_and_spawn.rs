// mixed_runtimes: a tokio runtime built by hand, and async-std's spawn.
fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().build().unwrap();
    rt.block_on(async {
        async_std::task::spawn(async {}).await; //~ mixed_runtimes
    });
}
