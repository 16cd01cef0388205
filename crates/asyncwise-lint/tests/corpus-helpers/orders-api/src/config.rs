//! Configuration: a TOML file that may `include` others, read once at start-up.

use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct Config {
    pub listen: String,
    pub database_path: PathBuf,
    pub invoice_dir: PathBuf,
    #[serde(default)]
    pub include: Vec<PathBuf>,
    #[serde(default)]
    pub admin_tokens: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("reading {0}")]
    Io(PathBuf, #[source] std::io::Error),
    #[error("parsing {0}")]
    Parse(PathBuf, #[source] toml::de::Error),
    #[error("{0} includes itself")]
    Cycle(PathBuf),
}

pub fn load(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
    let mut seen = Vec::new();
    load_with_includes(path.as_ref(), &mut seen)
}

// Recursive: an included file may include further files.
fn load_with_includes(path: &Path, seen: &mut Vec<PathBuf>) -> Result<Config, ConfigError> {
    if seen.iter().any(|p| p == path) {
        return Err(ConfigError::Cycle(path.to_owned()));
    }
    seen.push(path.to_owned());
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io(path.to_owned(), e))?;
    let mut cfg: Config =
        toml::from_str(&text).map_err(|e| ConfigError::Parse(path.to_owned(), e))?;
    for include in std::mem::take(&mut cfg.include) {
        let child = load_with_includes(&base_dir(path).join(include), seen)?;
        merge(&mut cfg, child);
    }
    Ok(cfg)
}

fn base_dir(path: &Path) -> &Path {
    path.parent().unwrap_or(Path::new("."))
}

fn merge(into: &mut Config, from: Config) {
    into.admin_tokens.extend(from.admin_tokens);
}

/// Token check for the admin routes (no I/O).
pub fn is_admin_token(cfg: &Config, token: &str) -> bool {
    cfg.admin_tokens.iter().any(|t| t == token)
}
