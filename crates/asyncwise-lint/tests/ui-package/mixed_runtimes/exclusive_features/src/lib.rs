// ok: each runtime's code is behind its own optional feature
#[cfg(feature = "rt-tokio")]
pub fn spawn_tokio() {
    tokio::spawn(async {});
}

#[cfg(feature = "rt-async-std")]
pub fn spawn_async_std() {
    async_std::task::spawn(async {});
}
