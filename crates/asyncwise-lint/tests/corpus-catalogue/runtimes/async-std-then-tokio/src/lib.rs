//! Catalogue corpus: mail relay on async-std; the manifest also enables tokio's reactor.

use async_std::io::WriteExt;
use async_std::net::TcpStream;

pub struct Relay {
    smarthost: String,
}

impl Relay {
    pub fn new(smarthost: &str) -> Self {
        Relay { smarthost: smarthost.to_string() }
    }

    pub async fn forward(&self, message: &[u8]) -> std::io::Result<()> {
        let mut stream = TcpStream::connect(&self.smarthost).await?;
        stream.write_all(message).await?;
        stream.flush().await?;
        log::info!("forwarded {} bytes", message.len());
        Ok(())
    }
}
