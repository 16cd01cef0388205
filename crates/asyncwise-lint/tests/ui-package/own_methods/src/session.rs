pub struct Session {
    pub id: u64,
    pub socket: u32,
}

impl Session {
    pub async fn serve(self) {
        if let Err(e) = self.exchange().await {
            eprintln!("session {} ended: {e}", self.id);
        }
    }

    async fn exchange(&self) -> std::io::Result<()> {
        tokio::net::TcpStream::connect(("127.0.0.1", self.socket as u16)).await?;
        Ok(())
    }
}
