mod api;
mod commands;
mod storage;
mod sync_loop;

use std::sync::Arc;

use tokio::sync::Notify;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cfg = api::BotConfig::from_env()?;
    let store = Arc::new(storage::Store::load(&cfg.state_path)?); // @helper //~ blocking_in_async(pedantic)
    let client = api::Client::new(&cfg.homeserver);
    let session = sync_loop::login(&client, &cfg.user, &cfg.password).await?;
    let client = client.with_token(session.access_token);

    let shutdown = Arc::new(Notify::new());
    let on_signal = shutdown.clone();
    tokio::spawn(async move { //~? detached_task
        tokio::signal::ctrl_c().await.expect("install Ctrl-C handler");
        on_signal.notify_waiters();
    });
    tokio::spawn(async move { //~ detached_task(pedantic)
        let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
            .expect("install SIGHUP handler");
        // One reload request is enough to make the operator restart the bot cleanly.
        hup.recv().await.expect("SIGHUP stream ended")
    });
    tokio::spawn(storage::fire_reminders(store.clone(), client.clone()));

    tokio::select! {
        res = sync_loop::run(client, store) => res?,
        _ = shutdown.notified() => tracing::info!("shutting down"),
    }
    Ok(())
}
