use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures::{select, FutureExt};

use crate::state::Agent;

const ENDPOINT: &str = "https://ingest.example.net/v1/records";

pub async fn ship_forever(agent: Arc<Agent>) {
    let mut control = async_std::io::BufReader::new(async_std::io::stdin());
    let mut command = String::new();
    loop {
        command.clear();
        select! {
            read = control.read_line(&mut command).fuse() => { //~ select_cancel_unsafe
                if matches!(read, Ok(0) | Err(_)) {
                    return;
                }
            }
            _ = async_std::task::sleep(Duration::from_secs(10)).fuse() => {
                if let Err(e) = ship_once(&agent).await {
                    eprintln!("shipping failed: {e}");
                }
            }
        }
    }
}

async fn ship_once(agent: &Agent) -> surf::Result<()> {
    agent.shipping.store(true, Ordering::Relaxed);
    let batch = agent.take_batch().await?; //~ cleanup_after_await
    let body = serde_json::to_vec(&batch).unwrap_or_default();
    post_until_accepted(body).await;
    agent.shipping.store(false, Ordering::Relaxed);
    Ok(())
}

async fn post_until_accepted(body: Vec<u8>) {
    loop {
        match surf::post(ENDPOINT).body_bytes(body.clone()).await { //~ retry_without_backoff
            Ok(resp) if resp.status().is_success() => break,
            Ok(resp) => eprintln!("ingest refused: {}", resp.status()),
            Err(e) => eprintln!("ingest unreachable: {e}"),
        }
    }
}
