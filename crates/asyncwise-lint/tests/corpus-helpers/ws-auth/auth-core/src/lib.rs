//! Users, password hashes and signing keys.

pub mod keys;
pub mod passwords;
pub mod users;
