use std::net::{SocketAddr, ToSocketAddrs};
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

#[derive(Deserialize, Clone)]
pub struct BackendConfig {
    pub name: String,
    /// `host:port`; host names are resolved when a connection is made, so a backend that
    /// moves is followed without a restart.
    pub target: String,
}

#[derive(Deserialize)]
pub struct Config {
    pub listen: SocketAddr,
    pub admin: SocketAddr,
    pub backends: Vec<BackendConfig>,
    #[serde(default = "default_idle")]
    pub idle_secs: u64,
}

fn default_idle() -> u64 {
    60
}

impl Config {
    pub fn idle(&self) -> Duration {
        Duration::from_secs(self.idle_secs)
    }
}

pub fn load(path: &Path) -> anyhow::Result<Config> {
    let text = std::fs::read_to_string(path)?;
    Ok(toml::from_str(&text)?)
}

pub fn resolve(target: &str) -> std::io::Result<SocketAddr> {
    target
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, target.to_owned()))
}
