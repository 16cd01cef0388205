// A library's async functions are called by code the index does not see (other crates, on
// their hot paths): they stay in the default form even when this package's own binary only
// calls them alone.
pub async fn export(path: &str) -> std::io::Result<Vec<u8>> {
    std::fs::read(path) //~ blocking_in_async
}
