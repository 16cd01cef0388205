pub mod auth;

pub use auth::Credential;
