#[derive(Clone)]
pub struct Gateway {
    port: u16,
}

impl Gateway {
    pub fn new(port: u16) -> Self {
        Self { port }
    }

    pub async fn serve(self) -> std::io::Result<()> {
        tokio::net::TcpListener::bind(("0.0.0.0", self.port)).await?;
        Ok(())
    }
}
