//! Catalogue corpus: runtime-agnostic sleep and spawn, one runtime chosen by feature.

use std::future::Future;
use std::time::Duration;

#[cfg(feature = "rt-tokio")]
pub async fn sleep(d: Duration) {
    tokio::time::sleep(d).await
}

#[cfg(feature = "rt-async-std")]
pub async fn sleep(d: Duration) {
    async_std::task::sleep(d).await
}

#[cfg(feature = "rt-tokio")]
pub fn spawn<F: Future<Output = ()> + Send + 'static>(f: F) {
    drop(tokio::spawn(f));
}

#[cfg(feature = "rt-async-std")]
pub fn spawn<F: Future<Output = ()> + Send + 'static>(f: F) {
    drop(async_std::task::spawn(f));
}
