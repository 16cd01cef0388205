//! What asyncwise knows about libraries, as data: one table per kind of knowledge.
//!
//! Paths are canonical: `std::thread::sleep`, never `thread::sleep`; the resolver in
//! [`crate::model`] turns what the user wrote into these. Types are matched by their canonical
//! path too. To teach asyncwise about another library, add rows here; matching code never
//! names a library function itself.

pub mod awaits;
pub mod blocking;
mod blocking_rows;
pub mod cancel_safety;
pub mod channels;
pub mod cleanup_pairs;
pub mod dependencies;
pub mod iterators;
pub mod locks;
pub mod macros;
pub mod offload;
pub mod pacing;
pub mod quiet_paths;
pub mod rewrites;
pub mod round_trips;
pub mod runtimes;
pub mod spawn;
pub mod test_code;
pub mod types;
mod value;
pub mod web;

pub use value::{Knowledge, RowKind, UserRows};

/// True if `path` names something, or a module containing something, in any built-in table
/// (see [`Knowledge::is_known_path`]).
///
/// ```
/// assert!(asyncwise_lint::knowledge::is_known_path("std::sync::Mutex"));
/// assert!(!asyncwise_lint::knowledge::is_known_path("std::fs::Mutex"));
/// ```
pub fn is_known_path(path: &str) -> bool {
    Knowledge::builtin().is_known_path(path)
}
