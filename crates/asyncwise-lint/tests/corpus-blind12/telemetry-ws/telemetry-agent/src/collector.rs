use std::sync::Arc;

use async_std::io::BufReader;
use async_std::net::{TcpListener, TcpStream};
use async_std::prelude::*;
use telemetry_core::Record;

use crate::state::Agent;

pub async fn accept_clients(listener: TcpListener, agent: Arc<Agent>) -> std::io::Result<()> {
    let mut incoming = listener.incoming();
    while let Some(stream) = incoming.next().await {
        let stream = stream?;
        read_records(stream, &agent).await?; //~ inline_accept_loop
    }
    Ok(())
}

pub async fn accept_clients_concurrently(listener: TcpListener, agent: Arc<Agent>) -> std::io::Result<()> {
    let mut incoming = listener.incoming();
    while let Some(stream) = incoming.next().await {
        let stream = stream?;
        let agent = agent.clone();
        async_std::task::spawn(async move {
            if let Err(e) = read_records(stream, &agent).await {
                eprintln!("client dropped: {e}");
            }
        });
    }
    Ok(())
}

async fn read_records(stream: TcpStream, agent: &Agent) -> std::io::Result<()> {
    let mut lines = BufReader::new(stream).lines();
    while let Some(line) = lines.next().await {
        let line = line?;
        match Record::parse_line(&line) { // @helper
            Some(record) if record.metric.starts_with("alert.") => {
                telemetry_core::spool::append_once(&agent.alert_path, &record)?; // @helper //~ blocking_in_async
            }
            Some(record) => agent.accept(record).await?,
            None => eprintln!("bad line: {line}"),
        }
    }
    Ok(())
}
