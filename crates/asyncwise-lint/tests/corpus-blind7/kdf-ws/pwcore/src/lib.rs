//! Password storage and key derivation shared by the accounts services.

pub mod derive;
pub mod phc;

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid scrypt parameters")]
    Params,
    #[error("output length not supported")]
    Length,
    #[error("password hash: {0}")]
    Hash(#[from] password_hash::Error),
}
