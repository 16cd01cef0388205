//! Catalogue corpus: the gateway library's root — module list and the shared error type.
//! Labels: a trailing marker comment names the rules of a finding that must start on that line; unmarked lines must stay quiet.

mod health_report;
mod jobs_worker;
mod listeners;
mod profile_service;
mod reconnect;
mod request_metrics;
pub mod session_store;
mod stream_relay;
mod telemetry;
mod upstream_pool;

use std::time::Duration;

/// Errors every gateway component can return.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("upstream unavailable: {0}")]
    Unavailable(String),
    #[error("conflict on {0}")]
    Conflict(String),
    #[error("deadlock detected")]
    Deadlock,
    #[error("bad frame: {0}")]
    BadFrame(&'static str),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl GatewayError {
    /// Whether trying again may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, GatewayError::Unavailable(_) | GatewayError::Deadlock)
    }
}

pub type Result<T> = std::result::Result<T, GatewayError>;

/// Static settings read once at start-up.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: String,
    pub admin_socket: String,
    pub upstreams: Vec<String>,
    pub request_timeout: Duration,
    pub workers: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: "0.0.0.0:8080".into(),
            admin_socket: "/run/gateway/admin.sock".into(),
            upstreams: vec!["10.0.0.2:9000".into()],
            request_timeout: Duration::from_secs(5),
            workers: 4,
        }
    }
}

/// Starts the public parts of the gateway.
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let relay = stream_relay::RelayConfig::from_settings(&settings);
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let accept = tokio::spawn(listeners::serve_public(settings.clone(), ready_tx));
    ready_rx.await?;
    tracing::info!(listen = %settings.listen, ?relay, "gateway ready");
    accept.await??;
    Ok(())
}
