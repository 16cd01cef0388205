use std::sync::{Arc, RwLock};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::Notify;

use crate::health::Backends;

#[derive(Default)]
pub struct Counters {
    pub commands: u64,
    pub errors: u64,
}

pub struct AdminState {
    pub backends: Arc<Backends>,
    pub counters: RwLock<Counters>,
    pub shutdown: Notify,
}

impl AdminState {
    pub fn new(backends: Arc<Backends>) -> Self {
        AdminState {
            backends,
            counters: RwLock::new(Counters::default()),
            shutdown: Notify::new(),
        }
    }
}

pub async fn serve(sock: TcpStream, state: Arc<AdminState>) -> std::io::Result<()> {
    let (read, mut write) = sock.into_split();
    let mut reader = BufReader::new(read);
    loop {
        let mut line = String::new();
        tokio::select! {
            n = reader.read_line(&mut line) => { //~ select_cancel_unsafe
                if n? == 0 {
                    return Ok(());
                }
            }
            _ = state.shutdown.notified() => return Ok(()),
        }
        state.counters.write().unwrap().commands += 1;
        match line.trim() {
            "stats" => {
                let counters = state.counters.read().unwrap(); //~ lock_across_await
                let text = format!("commands={} errors={}\n", counters.commands, counters.errors);
                write.write_all(text.as_bytes()).await?;
            }
            "backends" => {
                let names: Vec<String> = state.backends.iter().map(|b| b.name.clone()).collect();
                write.write_all(names.join(",").as_bytes()).await?;
                write.write_all(b"\n").await?;
            }
            _ => {
                {
                    let mut c = state.counters.write().unwrap();
                    c.errors += 1;
                }
                write.write_all(b"unknown command\n").await?;
            }
        }
    }
}
