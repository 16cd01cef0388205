use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::hub::Hub;

pub async fn handle(socket: TcpStream, hub: &Hub) -> anyhow::Result<()> {
    let (rd, mut wr) = socket.into_split();
    let mut lines = BufReader::new(rd).lines();
    while let Some(line) = lines.next_line().await? {
        let reply = match line.trim() {
            "online" => hub.online().to_string(),
            "rooms" => hub.room_names().join(","),
            other => format!("unknown command {other}"),
        };
        wr.write_all(reply.as_bytes()).await?;
        wr.write_all(b"\n").await?;
    }
    Ok(())
}

pub async fn answer_probe(mut socket: TcpStream) -> anyhow::Result<()> {
    socket.write_all(b"OK\n").await?;
    socket.shutdown().await?;
    Ok(())
}
