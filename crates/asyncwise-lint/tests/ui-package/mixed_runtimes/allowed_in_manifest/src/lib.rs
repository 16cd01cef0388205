pub fn f() {}

// ok: mixing is allowed in the manifest
pub fn bridge() {
    tokio::spawn(async {});
    async_std::task::spawn(async {});
}
