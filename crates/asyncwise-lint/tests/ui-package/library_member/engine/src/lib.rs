// A package that is only a library is there for other crates: its async functions stay in the
// default form although the one binary of the workspace calls them while nothing else runs.
pub async fn import(path: &str) -> std::io::Result<String> {
    std::fs::read_to_string(path) //~ blocking_in_async(pedantic)
}
