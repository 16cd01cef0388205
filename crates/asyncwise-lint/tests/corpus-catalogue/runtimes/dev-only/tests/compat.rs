//! Catalogue corpus: a compatibility test that drives the limiter from async-std (test code
//! may use another runtime).

use std::time::Duration;

#[async_std::test]
async fn acquire_works_on_async_std() {
    async_std::task::sleep(Duration::from_millis(1)).await;
    assert!(Duration::from_millis(1) > Duration::ZERO);
}
