//! A minimal connection pool for the PostgreSQL wire protocol.

mod conn;
mod pool;

pub use conn::{Config, Conn};
pub use pool::{ClusterPool, Pool, Pooled};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("pool closed")]
    Closed,
    #[error("server error: {0}")]
    Server(String),
}
