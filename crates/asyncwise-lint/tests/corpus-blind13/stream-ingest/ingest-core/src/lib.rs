//! Shared pieces of the ingest pipeline: event decoding, batching and the local spool.

pub mod batch;
pub mod codec;
pub mod spool;

pub use batch::Batcher;
pub use codec::{Event, decode};
pub use spool::Spool;
