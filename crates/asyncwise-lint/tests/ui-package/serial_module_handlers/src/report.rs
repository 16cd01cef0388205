pub async fn summary() -> usize {
    std::thread::sleep(std::time::Duration::from_millis(10)); //~ blocking_in_async(pedantic)
    count().await
}

async fn count() -> usize {
    0
}
