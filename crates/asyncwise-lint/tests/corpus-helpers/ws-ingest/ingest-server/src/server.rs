//! Connection handling.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use ingest_core::index::{self, Index};
use ingest_core::segment::append;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

pub struct Shared {
    pub data_dir: PathBuf,
    pub index: RwLock<Index>,
}

pub async fn serve(listener: TcpListener, shared: Arc<Shared>) -> std::io::Result<()> {
    loop {
        let (sock, peer) = listener.accept().await?;
        let shared = shared.clone();
        tokio::spawn(async move {
            if let Err(e) = handle(sock, shared).await {
                tracing::debug!(%peer, error = %e, "connection closed with an error");
            }
        });
    }
}

async fn handle(sock: TcpStream, shared: Arc<Shared>) -> std::io::Result<()> {
    let (rd, mut wr) = sock.into_split();
    let mut lines = BufReader::new(rd).lines();
    while let Some(line) = lines.next_line().await? {
        let reply = match line.split_once(' ') {
            Some(("PUT", record)) => {
                let crc = ingest_core::checksum::crc32(record.as_bytes()); // @helper
                let size = append(&shared.data_dir, record.as_bytes())?; // @helper //~ blocking_in_async
                format!("OK {size} {crc:08x}\n")
            }
            Some(("GET", key)) => {
                let hit = shared.index.read().unwrap_or_else(|e| e.into_inner()).lookup(key).cloned(); // @helper
                match hit {
                    Some((seg, offset)) => format!("AT {} {offset}\n", seg.display()),
                    None => "MISS\n".to_owned(),
                }
            }
            Some(("REINDEX", _)) => {
                let fresh = index::rebuild(&shared.data_dir)?; // @helper //~ blocking_in_async
                let n = fresh.len();
                *shared.index.write().unwrap_or_else(|e| e.into_inner()) = fresh;
                format!("OK {n}\n")
            }
            _ => "ERR unknown command\n".to_owned(),
        };
        wr.write_all(reply.as_bytes()).await?;
    }
    Ok(())
}
