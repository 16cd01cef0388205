//! Segment files and the key index of the ingest store. Synchronous by design: the server
//! decides which calls go to the blocking pool.

pub mod checksum;
pub mod index;
pub mod segment;
