// A binary declared by a `[[bin]]` path: its `main` is a root like `src/main.rs`'s.
fn main() -> std::io::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(dns_daemon::Server::default().run())
}
