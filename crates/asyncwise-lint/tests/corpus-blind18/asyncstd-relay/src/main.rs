mod login;
mod relay;
mod sessions;

use std::sync::Arc;

fn main() -> anyhow::Result<()> {
    async_std::task::block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let token = login::obtain_token("127.0.0.1:8765").await?;
    let sessions = Arc::new(sessions::Sessions::default());
    let upstream = std::env::var("RELAY_UPSTREAM").unwrap_or_else(|_| "127.0.0.1:9000".into());
    let audit = async_std::task::spawn(relay::audit_log(sessions.clone()));
    futures::try_join!(
        relay::serve_public("0.0.0.0:7070", upstream.clone(), token.clone(), sessions.clone()),
        relay::serve_debug("127.0.0.1:7071", upstream, sessions.clone()),
    )?;
    audit.await;
    Ok(())
}
