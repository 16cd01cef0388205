//! Sessions as JSON files, one per session id.

mod codec;
mod store;

pub use codec::Session;
pub use store::{purge_all, SessionStore};
