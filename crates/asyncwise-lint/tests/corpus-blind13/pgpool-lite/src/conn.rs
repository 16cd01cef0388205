use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::Error;

#[derive(Clone, Debug)]
pub struct Config {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub database: String,
    pub max_size: usize,
    pub keepalive: Duration,
}

pub struct Conn {
    stream: TcpStream,
    pub(crate) broken: bool,
}

impl Conn {
    pub async fn connect(cfg: Config) -> Result<Conn, Error> {
        let mut stream = TcpStream::connect((cfg.host.as_str(), cfg.port)).await?;
        let mut startup = Vec::new();
        startup.extend_from_slice(&196608u32.to_be_bytes());
        for (k, v) in [("user", &cfg.user), ("database", &cfg.database)] {
            startup.extend_from_slice(k.as_bytes());
            startup.push(0);
            startup.extend_from_slice(v.as_bytes());
            startup.push(0);
        }
        startup.push(0);
        let len = (startup.len() as u32 + 4).to_be_bytes();
        stream.write_all(&len).await?;
        stream.write_all(&startup).await?;
        let mut conn = Conn { stream, broken: false };
        conn.wait_ready().await?;
        Ok(conn)
    }

    /// Reads one backend message: a tag byte and a length-prefixed body.
    pub(crate) async fn read_message(&mut self) -> Result<(u8, Vec<u8>), Error> {
        let mut head = [0u8; 5];
        self.stream.read_exact(&mut head).await?;
        let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
        let mut body = vec![0u8; len.saturating_sub(4)];
        self.stream.read_exact(&mut body).await?;
        Ok((head[0], body))
    }

    async fn wait_ready(&mut self) -> Result<(), Error> {
        loop {
            let (tag, body) = self.read_message().await?;
            match tag {
                b'Z' => return Ok(()),
                b'E' => return Err(Error::Server(String::from_utf8_lossy(&body).into_owned())),
                _ => {}
            }
        }
    }

    pub async fn simple_query(&mut self, sql: &str) -> Result<Vec<Vec<u8>>, Error> {
        let mut msg = vec![b'Q'];
        msg.extend_from_slice(&(sql.len() as u32 + 5).to_be_bytes());
        msg.extend_from_slice(sql.as_bytes());
        msg.push(0);
        self.stream.write_all(&msg).await?;
        let mut rows = Vec::new();
        loop {
            let (tag, body) = self.read_message().await?;
            match tag {
                b'D' => rows.push(body),
                b'Z' => return Ok(rows),
                b'E' => return Err(Error::Server(String::from_utf8_lossy(&body).into_owned())),
                _ => {}
            }
        }
    }

    pub(crate) async fn ping(&mut self) -> Result<(), Error> {
        self.simple_query("SELECT 1").await.map(drop)
    }
}
