//! Content-addressed blob storage with an in-memory read cache.

pub mod service;
pub mod storage;

pub use service::{copy_all, BlobService, Stats};
