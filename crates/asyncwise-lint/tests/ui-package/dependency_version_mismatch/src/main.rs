// The lock pins probe 0.2.0; only 0.1.0 is on disk, whose functions may not be those of
// 0.2.0: not followed, no finding.
async fn upload(body: String) -> usize {
    probe::probe(&body).len()
}

#[tokio::main]
async fn main() {
    let server = tokio::spawn(upload(String::new()));
    server.await.unwrap();
}
