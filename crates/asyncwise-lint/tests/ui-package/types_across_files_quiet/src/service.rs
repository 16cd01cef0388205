use crate::disk;
use crate::memory::{Holder, Index};

pub async fn quiet(store: &crate::memory::Store, other: &disk::Store) -> usize {
    // `Store.root` is a `PathBuf` in one file and an `Index` in the other: not settled.
    let a = store.root.exists();
    let b = other.root.exists();
    // A constructor of the crate returning `Self` whose field is the crate's own `Index`.
    let held = Holder::new();
    let c = held.index.exists();
    let d = held.index().read_dir().count();
    // A generic and an opaque return type: nothing is known.
    let made: Index = disk::make();
    let e = made.exists();
    let f = disk::lister().count();
    // Offloaded: not async context.
    let opened = disk::Store::open();
    let g = tokio::task::spawn_blocking(move || opened.root.exists()).await.unwrap_or(false);
    usize::from(a) + usize::from(b) + usize::from(c) + d + usize::from(e) + f + usize::from(g)
}
