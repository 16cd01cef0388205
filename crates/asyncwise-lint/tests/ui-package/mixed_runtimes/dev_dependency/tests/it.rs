// ok: an integration test on another runtime
#[test]
fn it_works() {
    async_std::task::block_on(async {});
}
