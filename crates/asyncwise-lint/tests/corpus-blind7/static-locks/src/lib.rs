//! Process-wide state of a session gateway, kept in statics.

pub mod limits;
pub mod persist;
pub mod sessions;

pub type SessionId = u64;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("rate limited")]
    Limited,
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
}
