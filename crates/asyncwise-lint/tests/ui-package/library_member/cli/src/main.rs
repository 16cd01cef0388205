#[tokio::main]
async fn main() -> std::io::Result<()> {
    let text = engine::import("in.txt").await?;
    println!("{text}");
    Ok(())
}
