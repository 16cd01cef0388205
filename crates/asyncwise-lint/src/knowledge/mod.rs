//! What asyncwise knows about libraries, as data: one table per kind of knowledge.
//!
//! Paths are canonical: `std::thread::sleep`, never `thread::sleep`; the resolver in
//! [`crate::model`] turns what the user wrote into these. Types are matched by their canonical
//! path too. To teach asyncwise about another library, add rows here; matching code never
//! names a library function itself.

pub mod blocking;
pub mod channels;
pub mod locks;
pub mod offload;
pub mod spawn;
pub mod types;

/// True if `path` names something, or a module containing something, in any table: used to
/// resolve glob imports (`use std::sync::*;` makes `Mutex` mean `std::sync::Mutex` only if we
/// know such a thing exists).
///
/// ```
/// assert!(asyncwise_lint::knowledge::is_known_path("std::sync::Mutex"));
/// assert!(!asyncwise_lint::knowledge::is_known_path("std::sync::NoSuchThing"));
/// ```
pub fn is_known_path(path: &str) -> bool {
    // A table row names `path` itself, something inside it, or (`module::*`) covers it.
    let hit = |p: &str| {
        p == path
            || p.strip_prefix(path)
                .is_some_and(|rest| rest.starts_with("::"))
            || blocking::path_matches(p, path)
    };
    blocking::BLOCKING_FNS.iter().any(|b| hit(b.path))
        || blocking::BLOCKING_METHODS.iter().any(|b| hit(b.receiver))
        || blocking::BLOCK_ON_FNS.iter().any(|p| hit(p))
        || channels::CHANNEL_CONSTRUCTORS.iter().any(|c| hit(c.path))
        || locks::LOCK_TYPES.iter().any(|l| hit(l.path))
        || locks::ASYNC_LOCK_TYPES.iter().any(|p| hit(p))
        || offload::OFFLOAD_FNS.iter().any(|p| hit(p))
        || spawn::SPAWN_FNS.iter().any(|p| hit(p))
        || spawn::SPAWN_METHODS.iter().any(|(t, _)| hit(t))
        || types::CONSTRUCTOR_RETURNS.iter().any(|(p, _)| hit(p))
        || types::METHOD_RETURNS.iter().any(|m| hit(m.receiver))
}
