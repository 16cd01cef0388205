use std::path::PathBuf;

/// Same name as `memory::Store`, with a `root` of another type: a field reached by the
/// struct's name alone is ambiguous, and nothing is guessed.
pub struct Store {
    pub root: PathBuf,
}

impl Store {
    pub fn open() -> Self {
        Store { root: PathBuf::from("data") }
    }
}

/// A generic constructor: its return type names no type of the crate.
pub fn make<T: Default>() -> T {
    T::default()
}

/// An opaque return type.
pub fn lister() -> impl Iterator<Item = PathBuf> {
    std::iter::empty()
}
