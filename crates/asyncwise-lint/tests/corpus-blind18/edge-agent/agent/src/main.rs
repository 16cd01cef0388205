mod collector;
mod http;
mod platform;
mod uplink;

use std::sync::Arc;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let kernel = sysinfo_lite::kernel_version()?; // @helper //~ blocking_in_async(pedantic)
    tracing::info!(%kernel, "edge agent starting");
    platform::spawn_event_watch();

    let state = Arc::new(collector::State::default());
    let collector = tokio::spawn(collector::run(state.clone()));

    let listener = TcpListener::bind("0.0.0.0:9500").await?;
    loop {
        let (stream, _) = listener.accept().await?;
        let state = state.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| http::handle(req, state.clone()));
            if let Err(e) = http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await {
                tracing::debug!("http connection: {e}");
            }
        });
        if collector.is_finished() {
            anyhow::bail!("collector stopped");
        }
    }
}
