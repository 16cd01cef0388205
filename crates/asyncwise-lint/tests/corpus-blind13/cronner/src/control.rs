use std::sync::Arc;

use async_std::io::{BufReader, WriteExt};
use async_std::net::TcpStream;
use async_std::prelude::*;
use async_std::task;

use crate::jobs;
use crate::schedule::Scheduler;

pub async fn serve(stream: TcpStream, sched: Arc<Scheduler>) -> anyhow::Result<()> {
    let mut writer = stream.clone();
    let mut lines = BufReader::new(stream).lines();
    while let Some(line) = lines.next().await {
        let line = line?;
        let (cmd, arg) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        match cmd {
            "pause" => {
                sched.paused.write().await.insert(arg.to_owned());
                writer.write_all(b"ok\n").await?;
            }
            "resume" => {
                let removed = sched.paused.write().await.remove(arg);
                writer.write_all(if removed { b"ok\n" } else { b"??\n" }).await?;
            }
            "status" => {
                let last = sched.last_run.lock().await;
                for (name, at) in last.iter() {
                    writer.write_all(format!("{name} {at}\n").as_bytes()).await?;
                }
            }
            "list" => {
                for job in &sched.jobs {
                    writer.write_all(jobs::describe(job).as_bytes()).await?; // @helper
                    writer.write_all(b"\n").await?;
                }
            }
            "run" => {
                task::block_on(sched.trigger(arg))?; //~ block_on_in_async
                writer.write_all(b"started\n").await?;
            }
            _ => writer.write_all(b"unknown\n").await?,
        }
    }
    Ok(())
}

pub async fn answer_probe(mut stream: TcpStream) -> std::io::Result<()> {
    stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").await
}
