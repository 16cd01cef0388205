//! Feature flags read from a file (or the environment), refreshed at run time.

mod source;

#[cfg(unix)]
#[path = "sys/unix.rs"]
mod sys;
#[cfg(not(unix))]
#[path = "sys/other.rs"]
mod sys;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::RwLock;

pub use source::FlagError;
pub use sys::FileLock;

pub struct Flags {
    values: RwLock<HashMap<String, bool>>,
    path: PathBuf,
}

impl Flags {
    pub fn at_default_path() -> Flags {
        Flags::new(source::default_path())
    }

    pub fn new(path: PathBuf) -> Flags {
        Flags {
            values: RwLock::new(HashMap::new()),
            path,
        }
    }

    pub fn is_on(&self, name: &str) -> bool {
        let values = self.values.read().unwrap_or_else(|e| e.into_inner());
        values.get(name).copied().unwrap_or(false)
    }

    /// Re-reads the flags; returns how many are set.
    pub async fn refresh(&self) -> Result<usize, FlagError> {
        let raw = source::read_flags(&self.path)?; // @helper //~ blocking_in_async
        let parsed = source::parse(&raw)?; // @helper
        let n = parsed.len();
        *self.values.write().unwrap_or_else(|e| e.into_inner()) = parsed;
        Ok(n)
    }

    /// Sets one flag and writes the file durably.
    pub async fn set(&self, name: &str, on: bool) -> Result<(), FlagError> {
        let _lock = sys::lock_exclusive(&self.path)?; // @helper //~ blocking_in_async
        let text = {
            let mut values = self.values.write().unwrap_or_else(|e| e.into_inner());
            values.insert(name.to_owned(), on);
            source::render(&values) // @helper
        };
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || sys::write_durably(&path, text.as_bytes())).await??; // @helper
        Ok(())
    }

    pub async fn describe(&self) -> String {
        let place = source::describe_location(&self.path); // @helper
        format!("{} flags from {place}", self.values.read().map(|v| v.len()).unwrap_or(0))
    }
}
