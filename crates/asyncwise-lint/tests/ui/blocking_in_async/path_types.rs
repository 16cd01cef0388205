// `Path` methods that ask the filesystem, on receivers whose type the light inference follows
// through more steps: `parent()`, `canonicalize()`, `strip_prefix()`, the `dirs` crate's
// directories, `std::env::current_exe()`, a directory listing's entries (`DirEntry::path`).
// Readings: only a receiver known to be a `Path` or `PathBuf` counts; metadata-only methods
// (`exists`, `is_dir`, `metadata`, `canonicalize`, ...) are the pedantic form, listing a
// directory is the default form.
use std::path::{Path, PathBuf};

pub async fn cache_entries(app: &str) -> std::io::Result<usize> {
    let cache = dirs::cache_dir().unwrap().join(app);
    if !cache.is_dir() { //~ blocking_in_async(pedantic)
        return Ok(0);
    }
    Ok(cache.read_dir()?.count()) //~ blocking_in_async
}

pub async fn sibling_of_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    let plugins = dir.join("plugins");
    plugins.exists().then_some(plugins) //~ blocking_in_async(pedantic)
}

pub async fn first_entry(root: &Path) -> std::io::Result<Option<PathBuf>> {
    let mut listing = root.read_dir()?; //~ blocking_in_async
    let Some(entry) = listing.next() else {
        return Ok(None);
    };
    let path = entry?.path();
    let meta = path.symlink_metadata()?; //~ blocking_in_async(pedantic)
    Ok(meta.is_file().then_some(path))
}

pub async fn sync_imports(imports: PathBuf) -> std::io::Result<usize> {
    let mut n = 0;
    for dir in imports.read_dir()? { //~ blocking_in_async
        let to_dir = dir?.path();
        for entry in to_dir.read_dir()? { //~ blocking_in_async
            n += usize::from(entry?.path().is_file()); //~ blocking_in_async(pedantic)
        }
    }
    Ok(n)
}

pub async fn relative(root: &Path, full: PathBuf) -> Option<PathBuf> {
    let real = full.canonicalize().ok()?; //~ blocking_in_async(pedantic)
    let rel = real.strip_prefix(root).ok()?;
    Some(rel.to_path_buf()) // ok: pure path manipulation
}

pub async fn unknown_source(cfg: &Settings) -> bool {
    let p = cfg.location();
    p.exists() // ok: the type of `location()` is not known
}

pub fn listing_sync(root: &Path) -> usize {
    root.read_dir().map(|d| d.count()).unwrap_or(0) // ok: sync code
}
