#[tokio::main]
async fn main() -> std::io::Result<()> {
    let data = cli_with_library::export("in.bin").await?;
    run(&data).await
}

// Only `main` calls it, before anything concurrent: it runs alone.
async fn run(data: &[u8]) -> std::io::Result<()> {
    for name in ["a", "b"] {
        std::fs::write(name, data)?; //~ blocking_in_async(pedantic)
    }
    Ok(())
}
