#[derive(Default)]
pub struct Server {
    pub config: String,
}

impl Server {
    pub async fn run(self) -> std::io::Result<()> {
        // Read before the server starts anything: nothing else runs yet.
        let zones = std::fs::read_to_string(&self.config)?; //~ blocking_in_async(pedantic)
        let listener = tokio::net::TcpListener::bind("0.0.0.0:53").await?;
        tokio::spawn(async move { zones.len() });
        loop {
            let (_socket, _) = listener.accept().await?;
            let _hints = std::fs::read("hints")?; //~ blocking_in_async
        }
    }
}
