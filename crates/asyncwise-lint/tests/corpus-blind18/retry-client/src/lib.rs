//! Client for the accounts API.

mod auth;
mod client;
mod error;
mod legacy;
mod pool;
mod resolve;

pub use client::{AccountsClient, Account};
pub use error::Error;
pub use pool::Pool;
