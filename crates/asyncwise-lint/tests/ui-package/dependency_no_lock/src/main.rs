// The dependency's sources are in the fake cargo home, but without a `Cargo.lock` no version
// is pinned: nothing is read, nothing is reported.
async fn upload(body: String) -> usize {
    probe::probe(&body).len()
}

#[tokio::main]
async fn main() {
    let server = tokio::spawn(upload(String::new()));
    server.await.unwrap();
}
