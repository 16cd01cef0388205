use std::io;

use futures::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::Mutex;
use tokio_util::codec::{Framed, LinesCodec};

pub struct Conn {
    framed: Framed<TcpStream, LinesCodec>,
}

impl Conn {
    async fn connect(addr: &str) -> io::Result<Conn> {
        let stream = TcpStream::connect(addr).await?;
        Ok(Conn { framed: Framed::new(stream, LinesCodec::new()) })
    }

    pub async fn call(&mut self, line: String) -> io::Result<String> {
        self.framed.send(line).await.map_err(io::Error::other)?;
        match self.framed.next().await {
            Some(reply) => reply.map_err(io::Error::other),
            None => Err(io::ErrorKind::UnexpectedEof.into()),
        }
    }
}

/// A pool of line-protocol connections to the accounts server's admin port.
pub struct Pool {
    addr: String,
    idle: Mutex<Vec<Conn>>, //~ async_mutex_unneeded(pedantic)
    control: Mutex<Conn>,
}

impl Pool {
    pub async fn new(addr: &str) -> io::Result<Pool> {
        let control = Conn::connect(addr).await?;
        Ok(Pool { addr: addr.to_owned(), idle: Mutex::new(Vec::new()), control: Mutex::new(control) })
    }

    async fn checkout(&self) -> io::Result<Conn> {
        let mut idle = self.idle.lock().await;
        if let Some(conn) = idle.pop() {
            return Ok(conn);
        }
        drop(idle);
        Conn::connect(&self.addr).await
    }

    async fn checkin(&self, conn: Conn) {
        self.idle.lock().await.push(conn);
    }

    pub async fn call(&self, line: String) -> io::Result<String> {
        let mut conn = self.checkout().await?;
        let reply = conn.call(line).await;
        if reply.is_ok() {
            self.checkin(conn).await;
        }
        reply
    }

    /// Admin commands go over one connection, held for the whole exchange.
    pub async fn admin(&self, lines: Vec<String>) -> io::Result<Vec<String>> {
        let mut control = self.control.lock().await;
        let mut out = Vec::new();
        for line in lines {
            out.push(control.call(line).await?);
        }
        Ok(out)
    }
}
