// A module's own imports reach its child modules through `use super::*;`: a module path
// (`archive::load_index`) or a name (`load_index`) brought in that way resolves to the
// helper in `archive.rs`, so blocking through it is found from async code there too.
use std::path::Path;

use crate::archive;
use crate::archive::load_index;

pub fn summary(path: &Path) -> usize {
    load_index(path).map(|b| b.len()).unwrap_or(0)
}

pub mod render {
    use super::*;

    pub async fn page(path: &Path) -> String {
        let bytes = archive::load_index(path).unwrap_or_default(); //~ blocking_in_async(pedantic)
        archive::label(&bytes.len().to_string())
    }

    pub async fn size(path: &Path) -> usize {
        load_index(path).map(|b| b.len()).unwrap_or(0) //~ blocking_in_async(pedantic)
    }

    pub async fn offloaded(path: &Path) -> usize {
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || summary(&path)).await.unwrap_or(0)
    }
}
