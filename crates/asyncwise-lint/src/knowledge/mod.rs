//! What asyncwise knows about libraries, as data: one table per kind of knowledge.
//!
//! Paths are canonical: `std::thread::sleep`, never `thread::sleep`; the resolver in
//! [`crate::model`] turns what the user wrote into these. Types are matched by their canonical
//! path too. To teach asyncwise about another library, add rows here; matching code never
//! names a library function itself.

pub mod blocking;
pub mod channels;
pub mod iterators;
pub mod locks;
pub mod macros;
pub mod offload;
pub mod spawn;
pub mod test_code;
pub mod types;

/// True if `path` names something, or a module containing something, in any table: used to
/// resolve glob imports (`use std::sync::*;` makes `Mutex` mean `std::sync::Mutex` only if we
/// know such a thing exists).
///
/// ```
/// assert!(asyncwise_lint::knowledge::is_known_path("std::sync::Mutex"));
/// assert!(!asyncwise_lint::knowledge::is_known_path("std::sync::NoSuchThing"));
/// assert!(asyncwise_lint::knowledge::is_known_path("std::fs::metadata"));
/// assert!(!asyncwise_lint::knowledge::is_known_path("std::fs::Mutex"));
/// ```
pub fn is_known_path(path: &str) -> bool {
    let is_type = path
        .rsplit("::")
        .next()
        .is_some_and(|last| last.starts_with(char::is_uppercase));
    // A row names `path` itself or something inside it; a `module::*` row of a function table
    // covers the module's functions, one of a type table its types.
    let named = |p: &str| {
        p == path
            || p.strip_prefix(path)
                .is_some_and(|rest| rest.starts_with("::"))
    };
    let function = |p: &str| named(p) || !is_type && blocking::path_matches(p, path);
    let ty = |p: &str| named(p) || is_type && blocking::path_matches(p, path);
    blocking::BLOCKING_FNS.iter().any(|b| function(b.path))
        || blocking::BLOCKING_METHODS.iter().any(|b| ty(b.receiver))
        || blocking::BLOCK_ON_FNS.iter().any(|p| named(p))
        || channels::CHANNEL_CONSTRUCTORS.iter().any(|c| named(c.path))
        || locks::LOCK_TYPES.iter().any(|l| named(l.path))
        || locks::ASYNC_LOCK_TYPES.iter().any(|p| named(p))
        || offload::OFFLOAD_FNS.iter().any(|p| named(p))
        || spawn::SPAWN_FNS.iter().any(|p| named(p))
        || spawn::SPAWN_METHODS.iter().any(|(t, _)| named(t))
        || types::CONSTRUCTOR_RETURNS.iter().any(|(p, _)| named(p))
        || types::METHOD_RETURNS.iter().any(|m| ty(m.receiver))
}
