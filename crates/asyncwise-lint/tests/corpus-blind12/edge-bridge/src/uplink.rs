use std::time::Duration;

use futures_lite::AsyncWriteExt;
use smol::net::TcpStream;
use smol::Timer;

pub struct Uplink {
    stream: TcpStream,
    addr: String,
}

impl Uplink {
    pub async fn connect(addr: &str) -> std::io::Result<Uplink> {
        let mut delay = Duration::from_millis(250);
        loop {
            match TcpStream::connect(addr).await {
                Ok(stream) => return Ok(Uplink { stream, addr: addr.to_owned() }),
                Err(e) => {
                    eprintln!("uplink {addr} unreachable ({e}), retrying in {delay:?}");
                    Timer::after(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(30));
                }
            }
        }
    }

    pub async fn reconnect(&mut self) {
        while let Err(e) = self.redial().await { //~ retry_without_backoff
            eprintln!("uplink redial failed: {e}");
        }
    }

    async fn redial(&mut self) -> std::io::Result<()> {
        self.stream = TcpStream::connect(&self.addr).await?;
        Ok(())
    }

    pub async fn publish(&mut self, topic: &str, payload: &[u8]) -> std::io::Result<()> {
        let header = format!("PUB {topic} {}\n", payload.len());
        self.stream.write_all(header.as_bytes()).await?;
        self.stream.write_all(payload).await?;
        self.stream.flush().await
    }

    pub fn close(&mut self) {
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
    }
}
