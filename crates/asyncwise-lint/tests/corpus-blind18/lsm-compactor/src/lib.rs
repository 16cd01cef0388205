//! Background compaction for an LSM tree: picks overlapping tables of a level, merges them
//! into the next level, and records the edit in the manifest.

mod compaction;
mod levels;
mod manifest;
mod sstable;
mod throttle;

pub use compaction::Compactor;
pub use levels::{Levels, TableMeta};
pub use manifest::Manifest;
