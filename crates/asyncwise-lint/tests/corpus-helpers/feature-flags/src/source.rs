//! Where flags come from. With `file-source` (the default) a file, otherwise the environment.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum FlagError {
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error("line {0}: expected `name = true|false`")]
    Syntax(usize),
}

#[cfg(feature = "file-source")]
pub fn read_flags(path: &Path) -> io::Result<String> {
    std::fs::read_to_string(path)
}

#[cfg(not(feature = "file-source"))]
pub fn read_flags(_path: &Path) -> io::Result<String> {
    Ok(std::env::var("FEATURE_FLAGS").unwrap_or_default().replace(';', "\n"))
}

// Both alternatives are plain values.
#[cfg(target_os = "linux")]
pub fn default_path() -> PathBuf {
    PathBuf::from("/etc/feature-flags.conf")
}

#[cfg(not(target_os = "linux"))]
pub fn default_path() -> PathBuf {
    PathBuf::from("feature-flags.conf")
}

#[cfg(feature = "file-source")]
pub fn describe_location(path: &Path) -> String {
    path.display().to_string()
}

#[cfg(not(feature = "file-source"))]
pub fn describe_location(_path: &Path) -> String {
    "$FEATURE_FLAGS".to_owned()
}

pub fn parse(raw: &str) -> Result<HashMap<String, bool>, FlagError> {
    let mut flags = HashMap::new();
    for (i, line) in raw.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, value) = line.split_once('=').ok_or(FlagError::Syntax(i + 1))?;
        let value = value.trim().parse().map_err(|_| FlagError::Syntax(i + 1))?;
        flags.insert(name.trim().to_owned(), value);
    }
    Ok(flags)
}

pub fn render(flags: &HashMap<String, bool>) -> String {
    let mut names: Vec<_> = flags.iter().collect();
    names.sort();
    names.iter().map(|(k, v)| format!("{k} = {v}\n")).collect()
}
