// The credential type is re-exported by a glob, as many crates re-export a private module.
pub mod auth;

pub use auth::*;
