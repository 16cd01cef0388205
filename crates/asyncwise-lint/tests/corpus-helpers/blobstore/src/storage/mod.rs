//! Storage backends. Implementations may block: callers decide where to run them.

mod disk;
mod memory;

pub use disk::DiskStore;
pub use memory::MemoryStore;

use bytes::Bytes;

pub trait Storage: Send + Sync {
    fn get(&self, key: &str) -> std::io::Result<Option<Bytes>>;
    fn put(&self, key: &str, value: Bytes) -> std::io::Result<()>;
    fn remove(&self, key: &str) -> std::io::Result<()>;
}
