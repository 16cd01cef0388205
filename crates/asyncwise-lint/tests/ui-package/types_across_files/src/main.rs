use std::sync::Arc;

mod handlers;
mod pages;
mod settings;

pub struct App {
    pub settings: settings::Settings,
    pub name: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = settings::Settings::from_env()?;
    if !settings.usable() { //~ blocking_in_async(pedantic)
        anyhow::bail!("unusable root");
    }
    let spool = settings.spool.canonicalize()?; //~ blocking_in_async(pedantic)
    let backup = settings::Settings::fallback();
    let ok = tokio::task::spawn_blocking(move || backup.root.exists()).await?;
    let app = Arc::new(App { settings, name: format!("{} {ok}", spool.display()) });
    let router = axum::Router::new()
        .route("/page/*rel", axum::routing::get(handlers::page))
        .route("/spool/*rel", axum::routing::get(handlers::spooled))
        .with_state(app);
    let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
    axum::serve(listener, router).await?;
    Ok(())
}
